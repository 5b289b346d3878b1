import { sigmoid } from "./sampling.js";
import type { SimulationTruth } from "./types.js";

/**
 * The generative model's one formula, shared by the simulator and by `trueAffinity` so the ground truth
 * recomputed from a saved world is bit-for-bit the probability the simulator used.
 */

/** Plays shorter than this count as skips (the signal tastebud learns from). */
export const SKIP_MS = 30_000;

/**
 * Standard deviation of the taste term p·q in logits. About 2 makes one user's affinities span most of
 * [0, 1] across the catalogue, as real tastes do, whatever the dimension.
 */
export const TASTE_SPREAD = 2;

/** Per-component standard deviation of user and item factors giving p·q the std TASTE_SPREAD. */
export function factorScale(dim: number): number {
  return Math.sqrt(TASTE_SPREAD / Math.sqrt(dim));
}

/** p_u·q_i + b_i, summed in a fixed order over the float32 factors. */
export function affinityLogit(
  userFactors: Float32Array,
  u: number,
  itemFactors: Float32Array,
  itemBias: Float32Array,
  i: number,
  dim: number,
): number {
  let s = itemBias[i];
  const uo = u * dim;
  const io = i * dim;
  for (let k = 0; k < dim; k++) s += userFactors[uo + k] * itemFactors[io + k];
  return s;
}

/** True affinity a(u, i) in [0, 1]: the probability that user u plays item i past 30 s. */
export function trueAffinity(
  world: { truth: SimulationTruth },
  userIndex: number,
  itemIndex: number,
): number {
  const t = world.truth;
  if (!(userIndex >= 0 && userIndex < t.users.length)) throw new RangeError(`no user ${userIndex}`);
  if (!(itemIndex >= 0 && itemIndex < t.items.length)) throw new RangeError(`no item ${itemIndex}`);
  return sigmoid(affinityLogit(t.userFactors, userIndex, t.itemFactors, t.itemBias, itemIndex, t.dim));
}
