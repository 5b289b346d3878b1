import type { DirectedGraph } from "./graph.js";
import { hasEdge } from "./graph.js";
import type { DirectedScorer } from "./scorers.js";

export interface DirectedMetrics {
  /** Held-out edges ranked (their source is the query). */
  edges: number;
  hitRate10: number;
  hitRate50: number;
  mrr: number;
  /** Held-out edges u -> v whose reverse is no edge, scored against that reverse. */
  directionPairs: number;
  /** Share of those pairs with score(u -> v) > score(v -> u), ties counting one half. */
  directionAuc: number;
}

export interface DirectedReport {
  overall: DirectedMetrics;
  /** Query nodes with fewer than `lowDegree` training edges (in + out). */
  lowDegree: DirectedMetrics;
  highDegree: DirectedMetrics;
  /**
   * Held-out edges u -> v whose reverse v -> u is a training edge, and the others. A symmetric model sees the
   * first kind as a known neighbour (on a plays-next graph, listeners going back and forth), so the split
   * shows how much of a symmetric baseline's lead is that; the first kind has no direction pairs.
   */
  reverseInTraining: DirectedMetrics;
  reverseNotInTraining: DirectedMetrics;
}

export interface HeldOutEdges {
  sources: Int32Array;
  targets: Int32Array;
}

/**
 * Ranks each held-out target among all nodes for its source (the source itself and its training
 * out-neighbours excluded), and scores each held-out edge against its reverse where the reverse is not an edge
 * of `full` (train and held-out together). Ties count half: rank = 1 + #higher + #tied/2, and a tied direction
 * pair 0.5, so a model that cannot tell (a constant, a symmetric score) earns exactly the chance level.
 */
export function evaluateDirected(
  scorer: DirectedScorer,
  train: DirectedGraph,
  full: DirectedGraph,
  heldOut: HeldOutEdges,
  lowDegree = 5,
): DirectedReport {
  const n = train.nodeCount;
  const scores = new Float64Array(n);
  const excluded = new Uint8Array(n);
  const acc = {
    overall: new Accumulator(),
    low: new Accumulator(),
    high: new Accumulator(),
    reverseKnown: new Accumulator(),
    reverseUnknown: new Accumulator(),
  };
  // Group held-out edges by source so each query's scores are computed once.
  const order = Array.from({ length: heldOut.sources.length }, (_, k) => k).sort(
    (a, b) => heldOut.sources[a] - heldOut.sources[b] || a - b,
  );
  let current = -1;
  for (const k of order) {
    const u = heldOut.sources[k];
    const v = heldOut.targets[k];
    if (u !== current) {
      if (current >= 0) markExcluded(train, current, excluded, 0);
      current = u;
      scorer.scoreAll(u, scores);
      markExcluded(train, u, excluded, 1);
    }
    const rank = rankOf(scores, v, excluded);
    const degree =
      train.outOffsets[u + 1] - train.outOffsets[u] + train.inOffsets[u + 1] - train.inOffsets[u];
    const bucket = degree < lowDegree ? acc.low : acc.high;
    let direction: number | null = null;
    if (!hasEdge(full, v, u)) {
      const forward = scores[v];
      const reverse = scorer.score(v, u);
      direction = forward > reverse ? 1 : forward === reverse ? 0.5 : 0;
    }
    acc.overall.add(rank, direction);
    bucket.add(rank, direction);
    (hasEdge(train, v, u) ? acc.reverseKnown : acc.reverseUnknown).add(rank, direction);
  }
  return {
    overall: acc.overall.result(),
    lowDegree: acc.low.result(),
    highDegree: acc.high.result(),
    reverseInTraining: acc.reverseKnown.result(),
    reverseNotInTraining: acc.reverseUnknown.result(),
  };
}

function markExcluded(g: DirectedGraph, u: number, excluded: Uint8Array, value: number): void {
  excluded[u] = value;
  for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) excluded[g.outTargets[k]] = value;
}

/** Expected rank of `target` under random tie-breaking among the nodes not excluded. */
export function rankOf(scores: Float64Array, target: number, excluded: Uint8Array): number {
  const x = scores[target];
  let higher = 0;
  let tied = 0;
  for (let v = 0; v < scores.length; v++) {
    if (excluded[v] || v === target) continue;
    if (scores[v] > x) higher++;
    else if (scores[v] === x) tied++;
  }
  return 1 + higher + tied / 2;
}

class Accumulator {
  private edges = 0;
  private hits10 = 0;
  private hits50 = 0;
  private reciprocal = 0;
  private pairs = 0;
  private directionSum = 0;

  add(rank: number, direction: number | null): void {
    this.edges++;
    if (rank <= 10) this.hits10++;
    if (rank <= 50) this.hits50++;
    this.reciprocal += 1 / rank;
    if (direction !== null) {
      this.pairs++;
      this.directionSum += direction;
    }
  }

  result(): DirectedMetrics {
    const per = (x: number, count: number) => (count > 0 ? x / count : Number.NaN);
    return {
      edges: this.edges,
      hitRate10: per(this.hits10, this.edges),
      hitRate50: per(this.hits50, this.edges),
      mrr: per(this.reciprocal, this.edges),
      directionPairs: this.pairs,
      directionAuc: per(this.directionSum, this.pairs),
    };
  }
}
