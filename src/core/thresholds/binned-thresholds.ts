import { bestSingleThreshold, binOf } from "./precision-recall.js";

/**
 * A decision boundary over (score, uncertainty): uncertainty bins by lower edges, and in each bin a score
 * threshold (act when score >= it; +Infinity = never act in that bin). A single score threshold is the
 * one-bin case; MIST and EW-DPMT both deploy as this shape, so serving needs one small lookup.
 */
export interface BinnedThresholds {
  method: "single" | "mist" | "ew-dpmt";
  /** Lower edges of the uncertainty bins; edges[0] = -Infinity. */
  uncertaintyEdges: number[];
  scoreThresholds: number[];
}

export function decide(policy: BinnedThresholds, score: number, uncertainty: number): boolean {
  const edges = policy.uncertaintyEdges;
  let k = 0;
  while (k + 1 < edges.length && edges[k + 1] <= uncertainty) k++;
  return score >= policy.scoreThresholds[k];
}

export function decideAll(
  policy: BinnedThresholds,
  score: ArrayLike<number>,
  uncertainty: ArrayLike<number>,
): boolean[] {
  return Array.from({ length: score.length }, (_, i) => decide(policy, score[i], uncertainty[i]));
}

/** The score-only baseline: the single threshold of highest recall at precision >= minPrecision. */
export function fitSingleThreshold(
  score: ArrayLike<number>,
  label: ArrayLike<number>,
  minPrecision: number,
): BinnedThresholds {
  return {
    method: "single",
    uncertaintyEdges: [Number.NEGATIVE_INFINITY],
    scoreThresholds: [bestSingleThreshold(score, label, minPrecision)],
  };
}

/** Indices of each uncertainty bin. */
export function rowsByBin(edges: Float64Array, uncertainty: ArrayLike<number>): number[][] {
  const rows: number[][] = Array.from({ length: edges.length }, () => []);
  for (let i = 0; i < uncertainty.length; i++) rows[binOf(edges, uncertainty[i])].push(i);
  return rows;
}

/** JSON cannot hold ±Infinity: they travel as null. */
export function thresholdsToJson(p: BinnedThresholds): {
  method: BinnedThresholds["method"];
  uncertaintyEdges: Array<number | null>;
  scoreThresholds: Array<number | null>;
} {
  const f = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    method: p.method,
    uncertaintyEdges: p.uncertaintyEdges.map(f),
    scoreThresholds: p.scoreThresholds.map(f),
  };
}

export function thresholdsFromJson(j: ReturnType<typeof thresholdsToJson>): BinnedThresholds {
  return {
    method: j.method,
    uncertaintyEdges: j.uncertaintyEdges.map((v, k) => (v === null ? (k === 0 ? -Infinity : Infinity) : v)),
    scoreThresholds: j.scoreThresholds.map((v) => (v === null ? Infinity : v)),
  };
}
