import { userState } from "../affinity/affinity-model.js";
import { defaultBprOptions } from "../affinity/bpr.js";
import { CatalogueIndex } from "../matching/catalogue-index.js";
import { spearman } from "../metrics/correlation.js";
import { Random } from "../random.js";
import { rankCandidates, textCandidates } from "../serving/resolve.js";
import { resolveUncertainty } from "../serving/resolve-decision.js";
import { simulateVoice } from "../simulate/voice/index.js";
import { firstDay } from "../simulate/voice/schedule.js";
import {
  type BinnedThresholds,
  decideAll,
  fitEwDpmt,
  fitMist,
  fitSingleThreshold,
  thresholdsToJson,
} from "../thresholds/index.js";
import { turnFromEvent } from "../voice/turn.js";
import { trainOnPlays, voiceWorldView } from "./voice-context.js";

export interface ResolveDecisionOptions {
  seed: number;
  users: number;
  days: number;
  heldOutDays: number;
  precisions: number[];
  uncertaintyBins: number;
  scoreCells: number;
  epochs: number;
  /**
   * Members of a bootstrap ensemble of the affinity model (0 = none): each trained on a random share of the
   * training requests' plays, so each request's top candidate gets a spread of confidences, the
   * uncertainty MIST and EW-DPMT are then also fitted on, beside the user's-evidence one that serving uses.
   */
  bootstrap: number;
  /** Share of the training requests each bootstrap member sees (subsampling without replacement). */
  bootstrapShare: number;
  /** Share of users new to the assistant, starting on a uniform random day (the simulator's newUserShare). */
  newUserShare: number;
}

export const defaultResolveDecisionOptions: ResolveDecisionOptions = {
  seed: 1,
  users: 700,
  days: 28,
  heldOutDays: 7,
  precisions: [0.8, 0.9, 0.95],
  uncertaintyBins: 4,
  scoreCells: 10,
  epochs: defaultBprOptions.epochs,
  bootstrap: 0,
  bootstrapShare: 0.8,
  newUserShare: 0,
};

/** One policy at one P* on the test half: share of requests played directly, and precision of those. */
export interface DecisionQuality {
  played: number;
  precision: number;
}

export interface ResolveDecisionReport {
  seed: number;
  calibrationRequests: number;
  testRequests: number;
  /** Share of test requests whose top candidate is the intended item. */
  topAccuracy: number;
  /** The simulator's share of new users, and their part of the test requests and its top-1 accuracy. */
  newUsers: { share: number; testShare: number; topAccuracy: number | null };
  /** Per P*: confidence >= P* (the rule without fitting), the fitted single threshold, MIST, EW-DPMT. */
  byPrecision: Record<string, Record<"confidence" | "single" | "mist" | "ewDpmt", DecisionQuality>>;
  /** The fitted thresholds per P*, as resolve loads them (resolve-decision.json). */
  policies: Record<string, Record<"single" | "mist" | "ewDpmt", ReturnType<typeof thresholdsToJson>>>;
  /**
   * With options.bootstrap: MIST and EW-DPMT on (confidence, the ensemble's spread of it) instead of the
   * user's-evidence uncertainty, on the same requests and halves; and the Spearman correlation of the two
   * uncertainties over the test half.
   */
  bootstrap?: {
    members: number;
    byPrecision: Record<string, Record<"mist" | "ewDpmt", DecisionQuality>>;
    spearmanWithEvidence: number;
  };
}

/**
 * Play or ask, measured on the simulated assistant where the intended item is known: the affinity model
 * learns from the first days; held-out first attempts are resolved; their (confidence, uncertainty,
 * right?) triples are split in half by a seeded draw, thresholds fitted on one half and judged on the other.
 */
export function evaluateResolveDecision(
  options: Partial<ResolveDecisionOptions> = {},
): ResolveDecisionReport {
  const o = { ...defaultResolveDecisionOptions, ...options };
  const world = simulateVoice({ seed: o.seed, users: o.users, days: o.days, newUserShare: o.newUserShare });
  const userNumber = new Map(world.users.map((u, k) => [u.id, k]));
  const cutMs = Date.parse(world.startDate) + (o.days - o.heldOutDays) * 86_400_000;
  const turns = world.requests.map(turnFromEvent);
  const trainIds = new Set(turns.filter((t) => t.timeMs < cutMs).map((t) => t.requestId));
  const model = trainOnPlays(world, trainIds, {
    factors: defaultBprOptions.factors,
    epochs: o.epochs,
    seed: o.seed,
  });
  const view = voiceWorldView(model, world);
  const matcher = new CatalogueIndex(view.all);
  const userIndex = new Map(model.users.map((u, k) => [u, k]));
  const s: number[] = [];
  const u: number[] = [];
  const y: number[] = [];
  const isNew: boolean[] = [];
  // Each judged request's user, candidates and top item, for the bootstrap members to rank again.
  const judged: Array<{ user: string; candidates: ReturnType<typeof textCandidates>; top: string }> = [];
  for (let k = 0; k < turns.length; k++) {
    const truth = world.truth[k];
    if (turns[k].timeMs < cutMs || truth.attempt !== 1 || truth.intendedItem === null) continue;
    const ui = userIndex.get(turns[k].user);
    const user = ui === undefined ? null : userState(model, ui);
    const candidates = textCandidates(matcher, truth.spokenText);
    const ranked = rankCandidates(model, view, user, candidates, "personal", () => 0);
    if (ranked.length === 0) continue;
    s.push(ranked[0].confidence);
    u.push(resolveUncertainty(view, user, ranked));
    y.push(ranked[0].item === truth.intendedItem ? 1 : 0);
    isNew.push(firstDay(world.options, userNumber.get(turns[k].user) ?? 0) > 0);
    judged.push({ user: turns[k].user, candidates, top: ranked[0].item });
  }
  const spread = o.bootstrap > 0 ? bootstrapSpread(world, trainIds, judged, o) : null;
  const rng = new Random(o.seed * 31 + 7);
  const isCalibration = s.map(() => rng.next() < 0.5);
  const pick = (xs: number[], calibration: boolean) => xs.filter((_, i) => isCalibration[i] === calibration);
  const cal = { s: pick(s, true), u: pick(u, true), y: pick(y, true) };
  const test = { s: pick(s, false), u: pick(u, false), y: pick(y, false) };
  const testNew = isNew.filter((_, i) => !isCalibration[i]);
  const newRight = test.y.filter((_, i) => testNew[i]);
  const calSpread = spread ? pick(spread, true) : [];
  const testSpread = spread ? pick(spread, false) : [];
  const bootstrapByPrecision: NonNullable<ResolveDecisionReport["bootstrap"]>["byPrecision"] = {};
  const quality = (selected: boolean[]): DecisionQuality => {
    let n = 0;
    let hits = 0;
    selected.forEach((p, i) => {
      if (p) {
        n++;
        hits += test.y[i];
      }
    });
    return { played: n / Math.max(1, selected.length), precision: n ? hits / n : 1 };
  };
  const byPrecision: ResolveDecisionReport["byPrecision"] = {};
  const policies: ResolveDecisionReport["policies"] = {};
  for (const pStar of o.precisions) {
    const fitted: Record<"single" | "mist" | "ewDpmt", BinnedThresholds> = {
      single: fitSingleThreshold(cal.s, cal.y, pStar),
      mist: fitMist(cal.s, cal.u, cal.y, pStar, o.uncertaintyBins),
      ewDpmt: fitEwDpmt(cal.s, cal.u, cal.y, pStar, o.uncertaintyBins, o.scoreCells),
    };
    byPrecision[String(pStar)] = {
      confidence: quality(test.s.map((v) => v >= pStar)),
      single: quality(decideAll(fitted.single, test.s, test.u)),
      mist: quality(decideAll(fitted.mist, test.s, test.u)),
      ewDpmt: quality(decideAll(fitted.ewDpmt, test.s, test.u)),
    };
    if (spread)
      bootstrapByPrecision[String(pStar)] = {
        mist: quality(
          decideAll(fitMist(cal.s, calSpread, cal.y, pStar, o.uncertaintyBins), test.s, testSpread),
        ),
        ewDpmt: quality(
          decideAll(
            fitEwDpmt(cal.s, calSpread, cal.y, pStar, o.uncertaintyBins, o.scoreCells),
            test.s,
            testSpread,
          ),
        ),
      };
    policies[String(pStar)] = {
      single: thresholdsToJson(fitted.single),
      mist: thresholdsToJson(fitted.mist),
      ewDpmt: thresholdsToJson(fitted.ewDpmt),
    };
  }
  return {
    seed: o.seed,
    calibrationRequests: cal.s.length,
    testRequests: test.s.length,
    topAccuracy: test.y.reduce((a, b) => a + b, 0) / Math.max(1, test.y.length),
    newUsers: {
      share: o.newUserShare,
      testShare: newRight.length / Math.max(1, test.y.length),
      topAccuracy: newRight.length ? newRight.reduce((a, b) => a + b, 0) / newRight.length : null,
    },
    byPrecision,
    policies,
    ...(spread
      ? {
          bootstrap: {
            members: o.bootstrap,
            byPrecision: bootstrapByPrecision,
            spearmanWithEvidence: spearman(test.u, testSpread),
          },
        }
      : {}),
  };
}

/**
 * Per judged request, the spread (standard deviation) over bootstrap members of the confidence each member
 * gives the full model's top candidate (0 where a member does not rank it). Members are trained on a seeded
 * random share of the training requests, with their own BPR seeds.
 */
function bootstrapSpread(
  world: ReturnType<typeof simulateVoice>,
  trainIds: ReadonlySet<string>,
  judged: ReadonlyArray<{ user: string; candidates: ReturnType<typeof textCandidates>; top: string }>,
  o: ResolveDecisionOptions,
): number[] {
  const rng = new Random(o.seed * 131 + 17);
  const ids = [...trainIds];
  const sum = new Float64Array(judged.length);
  const sumSq = new Float64Array(judged.length);
  for (let b = 0; b < o.bootstrap; b++) {
    const share = new Set(ids.filter(() => rng.next() < o.bootstrapShare));
    const member = trainOnPlays(world, share, {
      factors: defaultBprOptions.factors,
      epochs: o.epochs,
      seed: o.seed * 1000 + b + 1,
    });
    const view = voiceWorldView(member, world);
    const users = new Map(member.users.map((u, k) => [u, k]));
    judged.forEach((r, j) => {
      const ui = users.get(r.user);
      const ranked = rankCandidates(
        member,
        view,
        ui === undefined ? null : userState(member, ui),
        r.candidates,
        "personal",
        () => 0,
      );
      const c = ranked.find((x) => x.item === r.top)?.confidence ?? 0;
      sum[j] += c;
      sumSq[j] += c * c;
    });
  }
  const n = o.bootstrap;
  return Array.from(sum, (m, j) => Math.sqrt(Math.max(0, sumSq[j] / n - (m / n) ** 2)));
}
