import usearch from "usearch";
import type { EmbeddingTable } from "./embeddings.js";
import { squaredDistanceTo } from "./embeddings.js";

/**
 * Per-word neighbourhoods of an embedding table, computed once and cached beside it: the k nearest other
 * words of every word (Euclidean, ascending), and Δ_min / Δ_max, the smallest and largest distance between
 * distinct embeddings, which calibrate the truncated Gumbel mechanism (methods.md 7b).
 */
export interface Neighbourhoods {
  /** Neighbours kept per word (self excluded). */
  k: number;
  /** words × k rows of neighbour ids, nearest first. */
  ids: Int32Array;
  /** words × k Euclidean distances matching ids. */
  distances: Float32Array;
  deltaMin: number;
  deltaMax: number;
  /**
   * true when neighbours and both Δ are exact (brute force). Otherwise neighbours come from an HNSW index,
   * Δ_min is the smallest first-neighbour distance found (at least the true Δ_min) and Δ_max the largest
   * distance from a sample of words to their farthest word (at most the true Δ_max, at least half of it).
   */
  exact: boolean;
}

export interface NeighbourhoodOptions {
  /** Neighbours kept per word (default 64: a truncated Poisson(ln n) draw above that has probability < 1e-20 for n ≤ 10⁶). */
  k?: number;
  /** Brute force (exact) up to this many words, HNSW above (default 20,000). */
  exactUpTo?: number;
  /** Words sampled for Δ_max on the approximate path (default 512). */
  farthestSample?: number;
  threads?: number;
}

export function computeNeighbourhoods(
  table: EmbeddingTable,
  options: NeighbourhoodOptions = {},
): Neighbourhoods {
  const n = table.size;
  const k = Math.min(options.k ?? 64, n - 1);
  const exact = n <= (options.exactUpTo ?? 20_000);
  const threads = options.threads ?? 0;
  const d = table.dimensions;
  // One more than k: each word finds itself (or an identical twin) at distance 0.
  const ask = k + 1;
  // Only the ids are taken from the search; distances are recomputed below in double.
  const found = (exact
    ? usearch.exactSearch(table.vectors, table.vectors, d, ask, usearch.MetricKind.L2sq, threads)
    : nearestIndex(table, threads).search(table.vectors, ask, threads)) as unknown as {
    keys: BigUint64Array;
  };
  const keys = found.keys;
  const ids = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  let deltaMin = Number.POSITIVE_INFINITY;
  for (let w = 0; w < n; w++) {
    let out = 0;
    for (let j = 0; j < ask && out < k; j++) {
      const id = Number(keys[w * ask + j]);
      if (id === w || id >= n) continue;
      ids[w * k + out] = id;
      // Recomputed in double: usearch's float32 L2sq loses digits that Δ_min (a small distance) needs.
      const dist = Math.sqrt(squaredDistanceTo(table, w, table.vectors, id * d));
      distances[w * k + out] = dist;
      if (dist > 0 && dist < deltaMin) deltaMin = dist;
      out++;
    }
    // The index returned too few (HNSW on a tiny or degenerate table): fill the rest exactly.
    if (out < k) fillExact(table, w, k, ids, distances);
    sortRow(ids, distances, w * k, k);
  }
  if (!exact) {
    for (let i = 0; i < n * k; i++) {
      const dist = distances[i];
      if (dist > 0 && dist < deltaMin) deltaMin = dist;
    }
  }
  const sample = exact ? null : sampleRows(n, options.farthestSample ?? 512);
  const deltaMax = farthestDistance(table, sample, threads);
  return { k, ids, distances, deltaMin, deltaMax, exact };
}

/** An HNSW index of the table under squared Euclidean distance, keys = row ids. */
export function nearestIndex(
  table: EmbeddingTable,
  threads = 0,
  expansionSearch = 64,
): InstanceType<typeof usearch.Index> {
  const index = new usearch.Index({
    dimensions: table.dimensions,
    metric: usearch.MetricKind.L2sq,
    quantization: usearch.ScalarKind.F32,
    connectivity: 16,
    expansion_add: 64,
    expansion_search: expansionSearch,
    multi: false,
  });
  const keys = new BigUint64Array(table.size);
  for (let i = 0; i < table.size; i++) keys[i] = BigInt(i);
  index.add(keys, table.vectors, threads);
  return index;
}

/**
 * max ‖a − b‖ over query words a (all, or a sample) and all words b, as one exact maximum inner product
 * search: ‖a − b‖² = ‖a‖² + (‖b‖² − 2a·b), and the bracket is the inner product of [−2a, 1] with [b, ‖b‖²].
 */
function farthestDistance(table: EmbeddingTable, sample: Int32Array | null, threads: number): number {
  const n = table.size;
  const d = table.dimensions;
  const x = table.vectors;
  const data = new Float32Array(n * (d + 1));
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      data[i * (d + 1) + j] = v;
      s += v * v;
    }
    norms[i] = s;
    data[i * (d + 1) + d] = s;
  }
  const rows = sample ?? Int32Array.from({ length: n }, (_, i) => i);
  const queries = new Float32Array(rows.length * (d + 1));
  rows.forEach((row, q) => {
    for (let j = 0; j < d; j++) queries[q * (d + 1) + j] = -2 * x[row * d + j];
    queries[q * (d + 1) + d] = 1;
  });
  const found = usearch.exactSearch(data, queries, d + 1, 1, usearch.MetricKind.IP, threads) as unknown as {
    keys: BigUint64Array;
  };
  let best = 0;
  for (let q = 0; q < rows.length; q++) {
    // Re-measured exactly: the float32 inner product only chose the candidate.
    const far = Number(found.keys[q]);
    if (far >= n) continue;
    const dist = table.distance(rows[q], far);
    if (dist > best) best = dist;
  }
  return best;
}

function sampleRows(n: number, count: number): Int32Array {
  // Evenly spaced rows: deterministic, and spread over frequent and rare words alike.
  const m = Math.min(n, count);
  return Int32Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
}

function fillExact(
  table: EmbeddingTable,
  w: number,
  k: number,
  ids: Int32Array,
  distances: Float32Array,
): void {
  const order = exactNearest(table, table.vector(w), k + 1)
    .filter((id) => id !== w)
    .slice(0, k);
  order.forEach((id, j) => {
    ids[w * k + j] = id;
    distances[w * k + j] = table.distance(w, id);
  });
}

/** The m words nearest to a vector by brute force, nearest first (ties by id). */
export function exactNearest(table: EmbeddingTable, v: ArrayLike<number>, m: number): number[] {
  const n = table.size;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) dist[i] = squaredDistanceTo(table, i, v);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => dist[a] - dist[b] || a - b);
  return order.slice(0, m);
}

function sortRow(ids: Int32Array, distances: Float32Array, at: number, k: number): void {
  // Insertion sort: rows arrive nearly sorted from the search.
  for (let i = at + 1; i < at + k; i++) {
    const id = ids[i];
    const dist = distances[i];
    let j = i - 1;
    while (j >= at && (distances[j] > dist || (distances[j] === dist && ids[j] > id))) {
      ids[j + 1] = ids[j];
      distances[j + 1] = distances[j];
      j--;
    }
    ids[j + 1] = id;
    distances[j + 1] = dist;
  }
}
