/**
 * Labels and confidence weights for play durations (methods.md section 1; reference-figures.md rules).
 *
 * A play shorter than the threshold τ is a negative (-1), otherwise a positive (+1). The further its
 * duration lies from τ, the more we trust the label: x ∈ [0, 1] is that distance, normalised, and a
 * weighting function g(x) turns it into a weight.
 */

export const weightingNames = ["none", "linear", "convex", "concave", "log"] as const;
export type WeightingName = (typeof weightingNames)[number];

/** g(x) = 1: every labelled play counts the same. */
export function noWeight(_x: number): number {
  return 1;
}

/** g(x) = x. */
export function linearWeight(x: number): number {
  return x;
}

/** Convex quadratic, g(x) = x²: only plays far from the threshold count much (the paper's best). */
export function convexQuadraticWeight(x: number): number {
  return x * x;
}

/** Concave quadratic, g(x) = 1 − (1 − x)² = 2x − x²: saturates early. */
export function concaveQuadraticWeight(x: number): number {
  return 2 * x - x * x;
}

/** Logarithmic, g(x) = ln(1 + (e − 1)·x), normalised so that g(0) = 0 and g(1) = 1. */
export function logarithmicWeight(x: number): number {
  return Math.log(1 + (Math.E - 1) * x);
}

export const weightingFunctions: Record<WeightingName, (x: number) => number> = {
  none: noWeight,
  linear: linearWeight,
  convex: convexQuadraticWeight,
  concave: concaveQuadraticWeight,
  log: logarithmicWeight,
};

export interface LabelRule {
  /** Absolute threshold in ms (default 30 s, music). */
  thresholdMs: number;
  /**
   * When set and the item length is known, the threshold is this share of the item's length instead
   * (for video, where 30 s of a two-hour film says little).
   */
  relativeThreshold?: number;
  /** Plays longer than this carry no more confidence (default 600 s, or the item length when known). */
  capMs: number;
  weighting: WeightingName;
  /** Weight floor: a play exactly at the threshold still counts a little (reference: 0.05). */
  floor: number;
}

export const defaultLabelRule: LabelRule = {
  thresholdMs: 30_000,
  capMs: 600_000,
  weighting: "linear",
  floor: 0.05,
};

/** +1 for a play at or past the threshold, -1 for a shorter one. */
export function playLabel(playedMs: number, thresholdMs: number): 1 | -1 {
  return playedMs >= thresholdMs ? 1 : -1;
}

/** The threshold that applies to one play, given the item's length when known. */
export function thresholdFor(rule: LabelRule, itemLengthMs: number): number {
  if (rule.relativeThreshold !== undefined && itemLengthMs > 0) return rule.relativeThreshold * itemLengthMs;
  return rule.thresholdMs;
}

/**
 * Normalised confidence x ∈ [0, 1]: positives (min(d, cap) − τ)/(cap − τ), negatives (τ − d)/τ.
 * `itemLengthMs` (0 when unknown) lowers the cap to the item's length.
 */
export function playConfidence(
  playedMs: number,
  thresholdMs: number,
  capMs: number,
  itemLengthMs = 0,
): number {
  if (playedMs < thresholdMs) return thresholdMs > 0 ? (thresholdMs - playedMs) / thresholdMs : 1;
  const cap = itemLengthMs > thresholdMs ? Math.min(capMs, itemLengthMs) : capMs;
  if (cap <= thresholdMs) return 1;
  return Math.min(1, (Math.min(playedMs, cap) - thresholdMs) / (cap - thresholdMs));
}

/** Signed weight of one play: label · max(g(x), floor). */
export function signedPlayWeight(rule: LabelRule, playedMs: number, itemLengthMs = 0): number {
  const threshold = thresholdFor(rule, itemLengthMs);
  const label = playLabel(playedMs, threshold);
  const x = playConfidence(playedMs, threshold, rule.capMs, itemLengthMs);
  return label * Math.max(weightingFunctions[rule.weighting](x), rule.floor);
}
