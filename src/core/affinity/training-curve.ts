import { Random } from "../random.js";
import { inUserRow, MAX_U_TRIES } from "./bpr.js";
import type { FactorModel } from "./factor-model.js";
import type { PairwiseSet } from "./pairwise-set.js";

/**
 * A fixed sample of the pairwise set's ordered pairs (u, i ≻ j) with their weights, drawn once so that the
 * loss measured on it after every epoch is comparable from epoch to epoch: a training curve.
 */
export interface LossPairs {
  users: Int32Array;
  better: Int32Array;
  worse: Int32Array;
  weight: Float32Array;
}

/** One point of a training curve: the sampled pairwise loss after an epoch of one phase of training. */
export interface TrainingCurvePoint {
  /** "calibration": the factorization fitted without each user's latest plays; "final": on everything. */
  phase: "calibration" | "final";
  epoch: number;
  /** Weighted mean of −ln σ(x̂_ui − x̂_uj) over the sampled training pairs. */
  loss: number;
  /** The same on pairs from the held-out latest plays (calibration phase only): the validation loss. */
  validationLoss?: number;
}

/**
 * Draws `n` pairs the way BPR samples them, from the tiers P ≻ U and U ≻ N: a P cell over an item the user
 * never played, or such an item over an N cell (when the set has an N tier, half of the draws), each with
 * its cell's confidence weight. "Never played" is judged on `playedIn` (default the set itself; for pairs
 * from held-out plays, the set of all plays, so that an item played in training is not taken for unplayed).
 * Empty when the set has no positives.
 */
export function sampleLossPairs(
  set: PairwiseSet,
  n: number,
  seed: number,
  playedIn: PairwiseSet = set,
): LossPairs {
  const rng = new Random(seed);
  const count = set.positives.length === 0 ? 0 : n;
  const out: LossPairs = {
    users: new Int32Array(count),
    better: new Int32Array(count),
    worse: new Int32Array(count),
    weight: new Float32Array(count),
  };
  const unplayed = (u: number) => {
    let j = rng.int(set.nItems);
    for (let t = 1; t < MAX_U_TRIES && (inUserRow(playedIn, u, j) || inUserRow(set, u, j)); t++)
      j = rng.int(set.nItems);
    return j;
  };
  for (let s = 0; s < count; s++) {
    if (set.negatives.length > 0 && rng.int(2) === 1) {
      const cell = set.negatives[rng.int(set.negatives.length)];
      const u = set.owner[cell];
      out.users[s] = u;
      out.better[s] = unplayed(u);
      out.worse[s] = set.items[cell];
      out.weight[s] = set.weight[cell];
    } else {
      const cell = set.positives[rng.int(set.positives.length)];
      const u = set.owner[cell];
      out.users[s] = u;
      out.better[s] = set.items[cell];
      out.worse[s] = unplayed(u);
      out.weight[s] = set.weight[cell];
    }
  }
  return out;
}

/** Weighted mean BPR loss −ln σ(x̂_ui − x̂_uj), x̂ = b_i + p_u·q_i, over the pairs; NaN for no pairs. */
export function pairwiseLoss(model: FactorModel, pairs: LossPairs): number {
  const k = model.factors;
  const P = model.userFactors;
  const Q = model.itemFactors;
  const B = model.itemBias;
  let total = 0;
  let weights = 0;
  for (let s = 0; s < pairs.users.length; s++) {
    const pu = pairs.users[s] * k;
    const qi = pairs.better[s] * k;
    const qj = pairs.worse[s] * k;
    let x = B[pairs.better[s]] - B[pairs.worse[s]];
    for (let f = 0; f < k; f++) x += P[pu + f] * (Q[qi + f] - Q[qj + f]);
    // −ln σ(x) = ln(1 + e^−x), written so that a large |x| neither overflows nor loses the small term.
    const loss = x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
    total += pairs.weight[s] * loss;
    weights += pairs.weight[s];
  }
  return weights > 0 ? total / weights : Number.NaN;
}
