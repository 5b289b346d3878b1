/**
 * Recall at a precision bound: the shared yardstick of every threshold policy here. A policy selects a
 * subset of examples (to act on: play, recommend, rewrite); precision is the share of selected that are
 * positive, recall the share of positives selected.
 */
export interface SelectionQuality {
  selected: number;
  precision: number;
  recall: number;
}

export function selectionQuality(selected: ArrayLike<boolean>, label: ArrayLike<number>): SelectionQuality {
  let chosen = 0;
  let hits = 0;
  let positives = 0;
  for (let i = 0; i < label.length; i++) {
    if (label[i]) positives++;
    if (selected[i]) {
      chosen++;
      if (label[i]) hits++;
    }
  }
  return {
    selected: chosen,
    precision: chosen ? hits / chosen : 1,
    recall: positives ? hits / positives : 0,
  };
}

/**
 * The lowest threshold t on `score` such that {score >= t} has precision >= minPrecision (ties move
 * together), i.e. the feasible single threshold of highest recall. +Infinity when no threshold reaches the
 * bound (select nothing).
 */
export function bestSingleThreshold(
  score: ArrayLike<number>,
  label: ArrayLike<number>,
  minPrecision: number,
): number {
  const order = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b] - score[a]);
  let best = Number.POSITIVE_INFINITY;
  let chosen = 0;
  let hits = 0;
  for (let r = 0; r < order.length; r++) {
    const i = order[r];
    chosen++;
    if (label[i]) hits++;
    const groupEnds = r === order.length - 1 || score[order[r + 1]] !== score[i];
    if (groupEnds && hits >= minPrecision * chosen - 1e-9) best = score[i];
  }
  return best;
}

/** Lower edges of `bins` equal-count bins of `values` (edges[0] = -Infinity); bin of v = last edge <= v. */
export function quantileEdges(values: ArrayLike<number>, bins: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const edges = new Float64Array(bins);
  edges[0] = Number.NEGATIVE_INFINITY;
  for (let k = 1; k < bins; k++) edges[k] = sorted[Math.floor((k * sorted.length) / bins)] ?? Infinity;
  return edges;
}

export function binOf(edges: Float64Array, v: number): number {
  let k = 0;
  while (k + 1 < edges.length && edges[k + 1] <= v) k++;
  return k;
}
