import { Random } from "../random.js";
import {
  decideAll,
  fitEwDpmt,
  fitMist,
  fitSingleThreshold,
  type SelectionQuality,
  selectionQuality,
} from "../thresholds/index.js";
import { eventuallyConverts } from "./delayed-examples.js";
import {
  type CreatorPlayTable,
  defaultFavouriteRule,
  type FavouriteRule,
  favouriteExamples,
} from "./favourites.js";
import {
  bootstrapEnsemble,
  compareDelayedMethods,
  type DelayedComparison,
  ensemblePredict,
  featureRows,
  splitAtCuts,
  trainingSet,
} from "./training-methods.js";

const DAY = 86_400_000;

export interface FavouriteEvaluationOptions {
  rule: FavouriteRule;
  /** Days of first plays before the cut that training sees. */
  lookbackDays: number;
  /** Days of first plays after the cut that are tested (their windows must close inside the data). */
  testDays: number;
  /** Cuts: each moves the cut this many days earlier than the latest possible (several evaluations). */
  cutShiftsDays: number[];
  /** Bootstrap members of the uncertainty ensemble. */
  ensemble: number;
  uncertaintyBins: number;
  scoreCells: number;
  precisions: number[];
  seed: number;
}

export const defaultFavouriteEvaluation: FavouriteEvaluationOptions = {
  rule: defaultFavouriteRule,
  lookbackDays: 90,
  testDays: 45,
  cutShiftsDays: [0, 30, 60],
  ensemble: 10,
  uncertaintyBins: 4,
  scoreCells: 10,
  precisions: [0.5, 0.8, 0.9, 0.95],
  seed: 1,
};

export type ThresholdComparison = Record<string, Record<"single" | "mist" | "ewDpmt", SelectionQuality>>;

export interface FavouriteRun extends DelayedComparison {
  cutShiftDays: number;
  /** Recall and precision at each P* (key "0.9") of the importance-weighted classifier's bootstrap ensemble. */
  thresholds: ThresholdComparison;
}

export interface FavouriteEvaluation {
  examples: number;
  positiveRate: number;
  runs: FavouriteRun[];
}

/**
 * The delayed-label evaluation on one play history: per cut, the four training methods on a matured
 * hold-out, then thresholds on (ensemble mean, ensemble spread) of the importance-weighted classifier,
 * fitted on a calibration half of the hold-out and measured on the other half.
 */
export function evaluateFavourites(
  plays: CreatorPlayTable,
  options: Partial<FavouriteEvaluationOptions> = {},
  onProgress?: (phase: string, done: number, total: number) => void,
): FavouriteEvaluation {
  const o = { ...defaultFavouriteEvaluation, ...options };
  const ex = favouriteExamples(plays, o.rule);
  const W = ex.windowMs;
  const userEnd = new Float64Array(plays.nUsers).fill(Number.NEGATIVE_INFINITY);
  for (let r = 0; r < plays.userIndex.length; r++)
    userEnd[plays.userIndex[r]] = Math.max(userEnd[plays.userIndex[r]], plays.endTimeMs[r]);
  const lastMatured = Float64Array.from(userEnd, (t) => t - W);
  let positives = 0;
  for (let i = 0; i < ex.n; i++) positives += eventuallyConverts(ex, i);
  const runs: FavouriteRun[] = [];
  for (const [k, shift] of o.cutShiftsDays.entries()) {
    onProgress?.("cuts", k, o.cutShiftsDays.length);
    const cut = Float64Array.from(lastMatured, (t) => t - (o.testDays + shift) * DAY);
    const split = splitAtCuts(ex, cut, lastMatured, o.lookbackDays * DAY, o.testDays * DAY);
    const { models: _m, delay, ...comparison } = compareDelayedMethods(ex, split, o.seed + k);
    const set = trainingSet("importance", ex, split, delay);
    const members = bootstrapEnsemble(ex, set, o.ensemble, o.seed + k);
    const rng = new Random(o.seed * 7919 + k);
    const calib: number[] = [];
    const held: number[] = [];
    for (const i of split.testRows) (rng.next() < 0.5 ? calib : held).push(i);
    const predict = (rows: number[]) => {
      const { mean, spread } = ensemblePredict(members, featureRows(ex, rows), rows.length);
      return { s: mean, u: spread, y: rows.map((i) => eventuallyConverts(ex, i)) };
    };
    const c = predict(calib);
    const h = predict(held);
    const thresholds: ThresholdComparison = {};
    for (const pStar of o.precisions) {
      const q = (p: Parameters<typeof decideAll>[0]) => selectionQuality(decideAll(p, h.s, h.u), h.y);
      thresholds[String(pStar)] = {
        single: q(fitSingleThreshold(c.s, c.y, pStar)),
        mist: q(fitMist(c.s, c.u, c.y, pStar, o.uncertaintyBins)),
        ewDpmt: q(fitEwDpmt(c.s, c.u, c.y, pStar, o.uncertaintyBins, o.scoreCells)),
      };
    }
    runs.push({ cutShiftDays: shift, ...comparison, thresholds });
  }
  onProgress?.("cuts", o.cutShiftsDays.length, o.cutShiftsDays.length);
  return { examples: ex.n, positiveRate: ex.n ? positives / ex.n : 0, runs };
}
