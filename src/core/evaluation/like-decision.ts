import {
  scoreAffinity,
  type TimedPlayTable,
  type TrainConfig,
  trainAffinityModel,
} from "../affinity/affinity-model.js";
import { countsAsLong } from "../affinity/cells.js";
import { aucMannWhitney, spearman } from "../metrics/index.js";
import { Random } from "../random.js";
import {
  compareThresholdPolicies,
  defaultPolicyComparisonOptions,
  type PolicyComparison,
  type UncertaintyVariant,
} from "../thresholds/policy-comparison.js";
import { type Split, subsetPlays } from "./split.js";

export interface LikeDecisionOptions {
  seed: number;
  train: TrainConfig;
  /** Bootstrap members trained beside the model (each on `bootstrapShare` of the training rows). */
  members: number;
  bootstrapShare: number;
  /** Ensemble sizes (first n members) the calibration half may choose among; capped at `members`. */
  ensembleSizes: number[];
  precisions: number[];
  bins: number[];
  cells: number[];
}

export const defaultLikeDecisionOptions: Omit<LikeDecisionOptions, "train"> = {
  seed: 1,
  members: 10,
  bootstrapShare: 0.8,
  ensembleSizes: [5, 10],
  precisions: defaultPolicyComparisonOptions.precisions,
  bins: defaultPolicyComparisonOptions.bins,
  cells: defaultPolicyComparisonOptions.cells,
};

/** Held-out (user, item) examples with the model's score, a label and two kinds of uncertainty. */
export interface LikeExamples {
  /** The affinity model's score (uncalibrated blend score: the order of its probability, no ties). */
  score: Float64Array;
  /** 1 = liked: weight > 0 (rating >= 4 with the movielens preset), or a long play for plays without weights. */
  label: Float64Array;
  /** 1/√(1 + the user's training rows) + 1/√(1 + the item's): little evidence, high uncertainty. */
  evidence: Float64Array;
  /** Spread (standard deviation) of the members' probabilities, for each ensemble size. */
  spread: Map<number, Float64Array>;
  trainRows: number;
}

/**
 * "Will this user like this item": the affinity model trained on the training side of `split` scores every
 * held-out rating (play) whose user and item it knows; a bootstrap ensemble of the same training run on
 * seeded subsamples of the training rows gives each example the spread of its probability.
 */
export function likeExamples(
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  split: Split,
  options: Pick<LikeDecisionOptions, "seed" | "train" | "members" | "bootstrapShare" | "ensembleSizes">,
  onProgress?: (phase: string, done: number, total: number) => void,
): LikeExamples {
  const train = subsetPlays(plays, split.isTrain, 1);
  const test = subsetPlays(plays, split.isTrain, 0);
  const withSeed = (seed: number): TrainConfig => ({
    ...options.train,
    bpr: { ...options.train.bpr, seed },
  });
  onProgress?.("train model", 0, options.members + 1);
  const model = trainAffinityModel(train, users, items, withSeed(options.seed));
  const userRows = new Float64Array(plays.nUsers);
  const itemRows = new Float64Array(plays.nItems);
  for (let r = 0; r < train.userIndex.length; r++) {
    userRows[train.userIndex[r]]++;
    itemRows[train.itemIndex[r]]++;
  }
  const rows: number[] = [];
  for (let r = 0; r < test.userIndex.length; r++)
    if (userRows[test.userIndex[r]] > 0 && itemRows[test.itemIndex[r]] > 0) rows.push(r);
  const score = Float64Array.from(
    rows,
    (r) => scoreAffinity(model, test.userIndex[r], test.itemIndex[r]).score,
  );
  const label = Float64Array.from(rows, (r) =>
    countsAsLong(model.rule, test.playedMs[r], test.itemLengthMs[r], test.weight[r]) ? 1 : 0,
  );
  const evidence = Float64Array.from(
    rows,
    (r) => 1 / Math.sqrt(1 + userRows[test.userIndex[r]]) + 1 / Math.sqrt(1 + itemRows[test.itemIndex[r]]),
  );
  // Running sums per ensemble size: member b joins every size above b.
  const sizes = [...new Set(options.ensembleSizes.map((m) => Math.min(m, options.members)))]
    .filter((m) => m >= 2)
    .sort((a, b) => a - b);
  const sum = new Float64Array(rows.length);
  const sumSq = new Float64Array(rows.length);
  const spread = new Map<number, Float64Array>();
  const rng = new Random(options.seed * 131 + 17);
  for (let b = 0; b < options.members; b++) {
    onProgress?.("train bootstrap members", b + 1, options.members + 1);
    const mask = Uint8Array.from(train.userIndex, () => (rng.next() < options.bootstrapShare ? 1 : 0));
    const member = trainAffinityModel(
      subsetPlays(train, mask, 1),
      users,
      items,
      withSeed(options.seed * 1000 + b + 1),
    );
    rows.forEach((r, k) => {
      const p = scoreAffinity(member, test.userIndex[r], test.itemIndex[r]).affinity;
      sum[k] += p;
      sumSq[k] += p * p;
    });
    const n = b + 1;
    if (sizes.includes(n))
      spread.set(
        n,
        Float64Array.from(sum, (m, k) => Math.sqrt(Math.max(0, sumSq[k] / n - (m / n) ** 2))),
      );
  }
  return { score, label, evidence, spread, trainRows: train.userIndex.length };
}

export interface LikeDecisionReport {
  seed: number;
  split: Split["description"];
  trainRows: number;
  heldOutExamples: number;
  positiveRate: number;
  /** AUC of the model's score for liked vs not liked, over all held-out examples. */
  auc: number;
  members: number;
  /** Spearman of the evidence uncertainty with the full ensemble's spread, over all held-out examples. */
  spearmanEvidenceBootstrap: number | null;
  thresholds: PolicyComparison;
}

/**
 * The like-decision on one seed: the seed trains the model and the members, draws the subsamples and the
 * calibration/test halves of the held-out examples; single threshold, MIST and EW-DPMT (on the evidence
 * uncertainty and on the bootstrap spread) are fitted on calibration and measured on test.
 */
export function evaluateLikeDecision(
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  split: Split,
  options: Partial<LikeDecisionOptions> & Pick<LikeDecisionOptions, "train">,
  onProgress?: (phase: string, done: number, total: number) => void,
): LikeDecisionReport {
  const o = { ...defaultLikeDecisionOptions, ...options };
  const ex = likeExamples(plays, users, items, split, o, onProgress);
  const n = ex.score.length;
  if (n === 0) throw new Error("no held-out example has a user and an item seen in training");
  const rng = new Random(o.seed * 31 + 7);
  const isCalibration = Array.from({ length: n }, () => rng.next() < 0.5);
  const families: Record<string, UncertaintyVariant[]> = {
    evidence: [{ name: "evidence", values: ex.evidence }],
  };
  if (ex.spread.size)
    families.bootstrap = [...ex.spread].map(([m, values]) => ({ name: `${m} members`, values }));
  const full = ex.spread.get(Math.max(0, ...ex.spread.keys()));
  let positives = 0;
  for (const v of ex.label) positives += v;
  return {
    seed: o.seed,
    split: split.description,
    trainRows: ex.trainRows,
    heldOutExamples: n,
    positiveRate: positives / n,
    auc: aucMannWhitney(ex.score, ex.label),
    members: o.members,
    spearmanEvidenceBootstrap: full ? spearman(ex.evidence, full) : null,
    thresholds: compareThresholdPolicies(ex.score, ex.label, isCalibration, families, {
      precisions: o.precisions,
      bins: o.bins,
      cells: o.cells,
      seed: o.seed,
    }),
  };
}
