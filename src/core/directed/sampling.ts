import type { Random } from "../random.js";
import type { DirectedGraph } from "./graph.js";

/**
 * A sampled neighbourhood per node as a row-normalised sparse matrix (CSR): row u lists the nodes u
 * aggregates from, with weights summing to 1 (an empty row aggregates nothing). Multiplying it with a
 * matrix of node vectors is the mean aggregator of a GNN layer.
 */
export interface SampledNeighbourhoods {
  offsets: Int32Array;
  nodes: Int32Array;
  weights: Float32Array;
  /** Per row: how many of its nodes are hop-1 (the rest, after them, are hop-2). */
  hop1: Int32Array;
}

export interface SamplingOptions {
  /** "biased": BLADE's degree-adaptive sampling; "uniform": up to F hop-1 neighbours drawn uniformly (the ablation). */
  mode: "biased" | "uniform";
  /** Neighbourhood budget F (default 25). */
  fanOut?: number;
  /** Nodes with fewer hop-1 neighbours than this also draw hop-2 neighbours (default 5). */
  lowDegree?: number;
  /** Within a hop, neighbour v is drawn with probability proportional to degree(v)^-beta (default 0.5). */
  beta?: number;
  /** Aggregation weight of a hop-2 neighbour relative to a hop-1 neighbour (default 0.5). */
  hop2Weight?: number;
}

/** "out": S_out(u) from u's out-neighbours (and out-of-out); "in": S_in(u) from in-neighbours (and in-of-in). */
export type Direction = "out" | "in";

/**
 * BLADE's biased neighbourhood sampling (methods.md section 4; the exact formulas are unpublished, these
 * follow the spec there): hop-1 fan-out min(deg(u), F); a node with fewer than `lowDegree` hop-1 neighbours
 * fills its budget F with hop-2 neighbours (out-of-out for "out", in-of-in for "in"), so sparse nodes get a
 * larger, deeper neighbourhood; within each hop a neighbour v is drawn without replacement with probability
 * proportional to deg(v)^-beta (deg = in + out degree), so hubs do not dominate every neighbourhood.
 */
export function sampleNeighbourhoods(
  g: DirectedGraph,
  direction: Direction,
  options: SamplingOptions,
  random: Random,
): SampledNeighbourhoods {
  const fanOut = options.fanOut ?? 25;
  const lowDegree = options.lowDegree ?? 5;
  const beta = options.beta ?? 0.5;
  const hop2Weight = options.hop2Weight ?? 0.5;
  const offsets = direction === "out" ? g.outOffsets : g.inOffsets;
  const adjacent = direction === "out" ? g.outTargets : g.inSources;
  const degree = new Float64Array(g.nodeCount);
  for (let v = 0; v < g.nodeCount; v++)
    degree[v] = g.outOffsets[v + 1] - g.outOffsets[v] + g.inOffsets[v + 1] - g.inOffsets[v];
  const hubPenalty = (v: number) => (options.mode === "biased" ? degree[v] ** -beta : 1);

  const rowOffsets = new Int32Array(g.nodeCount + 1);
  const rows: number[] = [];
  const rowWeights: number[] = [];
  const hop1 = new Int32Array(g.nodeCount);
  const seen = new Set<number>();
  for (let u = 0; u < g.nodeCount; u++) {
    const first = Array.from(adjacent.subarray(offsets[u], offsets[u + 1]));
    const chosen1 = drawWithoutReplacement(first, fanOut, hubPenalty, random);
    let chosen2: number[] = [];
    if (options.mode === "biased" && first.length < lowDegree && chosen1.length < fanOut) {
      seen.clear();
      seen.add(u);
      for (const v of first) seen.add(v);
      const second: number[] = [];
      for (const v of first)
        for (let k = offsets[v]; k < offsets[v + 1]; k++) {
          const w = adjacent[k];
          if (!seen.has(w)) {
            seen.add(w);
            second.push(w);
          }
        }
      chosen2 = drawWithoutReplacement(second, fanOut - chosen1.length, hubPenalty, random);
    }
    const total = chosen1.length + hop2Weight * chosen2.length;
    for (const v of chosen1) {
      rows.push(v);
      rowWeights.push(1 / total);
    }
    for (const v of chosen2) {
      rows.push(v);
      rowWeights.push(hop2Weight / total);
    }
    hop1[u] = chosen1.length;
    rowOffsets[u + 1] = rows.length;
  }
  return {
    offsets: rowOffsets,
    nodes: Int32Array.from(rows),
    weights: Float32Array.from(rowWeights),
    hop1,
  };
}

/**
 * Up to k of the candidates, drawn without replacement with probability proportional to weight(v)
 * (Efraimidis-Spirakis: the k largest keys u^(1/w)); all of them, in order, when there are at most k.
 */
function drawWithoutReplacement(
  candidates: number[],
  k: number,
  weight: (v: number) => number,
  random: Random,
): number[] {
  if (candidates.length <= k) return candidates;
  const keyed = candidates.map((v) => ({ v, key: Math.log(random.next() + 1e-300) / weight(v) }));
  keyed.sort((a, b) => b.key - a.key || a.v - b.v);
  return keyed.slice(0, k).map((x) => x.v);
}

/** out = A x for a sampled neighbourhood matrix A (rows x dim, row-major). */
export function aggregate(a: SampledNeighbourhoods, x: Float32Array, dim: number, out: Float32Array): void {
  const rowsCount = a.offsets.length - 1;
  out.fill(0);
  for (let u = 0; u < rowsCount; u++) {
    const o = u * dim;
    for (let k = a.offsets[u]; k < a.offsets[u + 1]; k++) {
      const w = a.weights[k];
      const src = a.nodes[k] * dim;
      for (let d = 0; d < dim; d++) out[o + d] += w * x[src + d];
    }
  }
}

/** out = A^T y (the backward pass of aggregate): each row's gradient flows back to the nodes it read. */
export function aggregateTransposed(
  a: SampledNeighbourhoods,
  y: Float32Array,
  dim: number,
  out: Float32Array,
): void {
  const rowsCount = a.offsets.length - 1;
  out.fill(0);
  for (let u = 0; u < rowsCount; u++) {
    const o = u * dim;
    for (let k = a.offsets[u]; k < a.offsets[u + 1]; k++) {
      const w = a.weights[k];
      const dst = a.nodes[k] * dim;
      for (let d = 0; d < dim; d++) out[dst + d] += w * y[o + d];
    }
  }
}
