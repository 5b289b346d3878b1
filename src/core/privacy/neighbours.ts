import usearch from "usearch";
import type { EmbeddingTable } from "./embeddings.js";
import { squaredDistanceTo } from "./embeddings.js";
import { SquaredDistances } from "./kernel/squared-distances.js";

/**
 * Per-word neighbourhoods of an embedding table: the k nearest other words of a word (Euclidean,
 * ascending), and Δ_min / Δ_max, the smallest and largest distance between distinct embeddings, which
 * calibrate the truncated Gumbel mechanism (methods.md 7b). Eager (computeNeighbourhoods: every word's row
 * at once, what small tables cache on disk) or lazy (LazyNeighbourhoods: a word's row on first use, kept in
 * a bounded LRU; what a 400k-word table serves).
 */
export interface Neighbourhoods {
  /** Neighbours kept per word (self excluded). */
  readonly k: number;
  /** Rows of k neighbour ids, nearest first; a word's row starts at rowOf(word). */
  readonly ids: Int32Array;
  /** Euclidean distances matching ids. */
  readonly distances: Float32Array;
  readonly deltaMin: number;
  readonly deltaMax: number;
  /**
   * true when neighbours and both Δ are exact (brute force). Otherwise neighbours come from an HNSW index,
   * Δ_min is the smallest positive neighbour distance the index found (at least the true Δ_min) and Δ_max
   * the largest distance from a sample of words to their farthest word (at most the true Δ_max, at least
   * half of it).
   */
  readonly exact: boolean;
  /**
   * Where word's row starts in ids and distances, computed first if it is not held. Read the row before the
   * next call: a lazy table may reuse the slot (and ids/distances are read again after this call).
   */
  rowOf(word: number): number;
}

/** Every word's row, computed at once. */
export class EagerNeighbourhoods implements Neighbourhoods {
  constructor(
    readonly k: number,
    readonly ids: Int32Array,
    readonly distances: Float32Array,
    readonly deltaMin: number,
    readonly deltaMax: number,
    readonly exact: boolean,
  ) {}

  rowOf(word: number): number {
    return word * this.k;
  }
}

/** The ids (as usearch keys) of the `ask` nearest words to one vector, nearest first; fewer if not found. */
export type NeighbourSearch = (vector: Float32Array, ask: number) => BigUint64Array;

/**
 * Neighbour rows computed on first use by a search (an HNSW index, or usearch's exact scan), through the
 * same post-processing as computeNeighbourhoods (self skipped, distances in double, exact fill when the
 * index returns too few, sorted by distance then id), so a lazy row equals the eager row from the same
 * search. Up to `capacity` rows are held (a least-recently-used row is recomputed when needed again).
 */
export class LazyNeighbourhoods implements Neighbourhoods {
  readonly ids: Int32Array;
  readonly distances: Float32Array;
  private readonly slotOf: Int32Array;
  private readonly wordOf: Int32Array;
  /** LRU list over slots: head most recent. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  private used = 0;
  /** Rows computed so far (recomputations after eviction included). */
  computed = 0;

  constructor(
    private readonly table: EmbeddingTable,
    private readonly search: NeighbourSearch,
    readonly k: number,
    readonly deltaMin: number,
    readonly deltaMax: number,
    readonly exact: boolean,
    capacity = table.size,
  ) {
    const slots = Math.max(1, Math.min(capacity, table.size));
    this.ids = new Int32Array(slots * k);
    this.distances = new Float32Array(slots * k);
    this.slotOf = new Int32Array(table.size).fill(-1);
    this.wordOf = new Int32Array(slots);
    this.prev = new Int32Array(slots);
    this.next = new Int32Array(slots);
  }

  /** Rows held now. */
  get held(): number {
    return this.used;
  }

  rowOf(word: number): number {
    let slot = this.slotOf[word];
    if (slot >= 0) {
      this.touch(slot);
      return slot * this.k;
    }
    if (this.used < this.wordOf.length) slot = this.used++;
    else {
      slot = this.tail;
      this.unlink(slot);
      this.slotOf[this.wordOf[slot]] = -1;
    }
    const ask = this.k + 1;
    writeRow(
      this.table,
      word,
      this.search(this.table.vector(word), ask),
      0,
      ask,
      this.k,
      this.ids,
      this.distances,
      slot * this.k,
    );
    this.computed++;
    this.slotOf[word] = slot;
    this.wordOf[slot] = word;
    this.pushFront(slot);
    return slot * this.k;
  }

  private touch(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.pushFront(slot);
  }

  private unlink(slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private pushFront(slot: number): void {
    this.prev[slot] = -1;
    this.next[slot] = this.head;
    if (this.head >= 0) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }
}

export interface NeighbourhoodOptions {
  /** Neighbours kept per word (default 64: a truncated Poisson(ln n) draw above that has probability < 1e-20 for n ≤ 10⁶). */
  k?: number;
  /** Brute force (exact) up to this many words, HNSW above (default 20,000). */
  exactUpTo?: number;
  /** Words sampled for Δ_max on the approximate path (default 512). */
  farthestSample?: number;
  threads?: number;
  /** The HNSW index to search on the approximate path (built here when not given). */
  index?: HnswIndex;
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
    : (options.index ?? nearestIndex(table, threads)).search(table.vectors, ask, threads)) as unknown as {
    keys: BigUint64Array;
  };
  const keys = found.keys;
  const ids = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  let deltaMin = Number.POSITIVE_INFINITY;
  for (let w = 0; w < n; w++) {
    deltaMin = Math.min(deltaMin, writeRow(table, w, keys, w * ask, ask, k, ids, distances, w * k));
  }
  const sample = exact ? null : sampleRows(n, options.farthestSample ?? 512);
  const deltaMax = farthestDistance(table, sample, threads);
  return new EagerNeighbourhoods(k, ids, distances, deltaMin, deltaMax, exact);
}

/**
 * Row of word w at ids/distances[at..at+k) from the `ask` search keys at keys[from..]: self and missing
 * keys skipped, distances recomputed in double (usearch's float32 L2sq loses digits that Δ_min, a small
 * distance, needs), the rest filled exactly when the search returned too few, sorted by distance then id.
 * Returns the row's smallest positive distance in double (+∞ if none), what Δ_min is the minimum of.
 */
function writeRow(
  table: EmbeddingTable,
  w: number,
  keys: BigUint64Array,
  from: number,
  ask: number,
  k: number,
  ids: Int32Array,
  distances: Float32Array,
  at: number,
): number {
  const n = table.size;
  const d = table.dimensions;
  let out = 0;
  let smallest = Number.POSITIVE_INFINITY;
  const found = Math.min(ask, keys.length - from);
  for (let j = 0; j < found && out < k; j++) {
    const id = Number(keys[from + j]);
    if (id === w || id >= n) continue;
    ids[at + out] = id;
    const dist = Math.sqrt(squaredDistanceTo(table, w, table.vectors, id * d));
    distances[at + out] = dist;
    if (dist > 0 && dist < smallest) smallest = dist;
    out++;
  }
  // The index returned too few (HNSW on a tiny or degenerate table): fill the rest exactly.
  if (out < k) smallest = Math.min(smallest, fillExact(table, w, k, ids, distances, at));
  sortRow(ids, distances, at, k);
  return smallest;
}

/**
 * The privacy index's graph settings: connectivity (M) 16 and expansion_add 64. A saved index records them
 * in its cache key, so a change of settings rebuilds it.
 */
export const HNSW_CONNECTIVITY = 16;
export const HNSW_EXPANSION_ADD = 64;
/**
 * Search breadth (expansion_search) of the neighbour index. usearch searches max(breadth, wanted), and a
 * row asks k + 1 = 65 words, so rows search at 65 whatever this is (as the eager path's breadth 64 did);
 * it sets the breadth of indexedDeltaMin's every-word search for 4 words, where 16 keeps it cheap.
 */
export const NEIGHBOUR_EXPANSION_SEARCH = 16;

export type HnswIndex = InstanceType<typeof usearch.Index>;

/** An empty index with the privacy settings, to build or to view a saved one (`index.view(path)`). */
export function emptyIndex(dimensions: number, expansionSearch: number): HnswIndex {
  return new usearch.Index({
    dimensions,
    metric: usearch.MetricKind.L2sq,
    quantization: usearch.ScalarKind.F32,
    connectivity: HNSW_CONNECTIVITY,
    expansion_add: HNSW_EXPANSION_ADD,
    expansion_search: expansionSearch,
    multi: false,
  });
}

/**
 * An HNSW index of the table under squared Euclidean distance, keys = row ids, built by usearch's
 * multi-threaded add (threads 0: one per core).
 */
export function nearestIndex(table: EmbeddingTable, threads = 0, expansionSearch = 64): HnswIndex {
  const index = emptyIndex(table.dimensions, expansionSearch);
  const keys = new BigUint64Array(table.size);
  for (let i = 0; i < table.size; i++) keys[i] = BigInt(i);
  index.add(keys, table.vectors, threads);
  return index;
}

/** A NeighbourSearch over an HNSW index, one query at a time on the calling thread. */
export function indexSearch(index: HnswIndex): NeighbourSearch {
  return (vector, ask) => (index.search(vector, ask, 1) as unknown as { keys: BigUint64Array }).keys;
}

/**
 * A NeighbourSearch by usearch's exact scan (what computeNeighbourhoods' exact path runs, one query). The
 * query is copied: usearch's exactSearch reads a subarray from the start of its buffer.
 */
export function exactSearch(table: EmbeddingTable): NeighbourSearch {
  return (vector, ask) =>
    (
      usearch.exactSearch(
        table.vectors,
        vector.slice(),
        table.dimensions,
        ask,
        usearch.MetricKind.L2sq,
        1,
      ) as unknown as {
        keys: BigUint64Array;
      }
    ).keys;
}

/**
 * Δ_min estimated from an HNSW index: every word is searched for its `ask` nearest (ask − 1 others, so an
 * identical twin or two do not hide the nearest distinct word), the candidates re-measured in double, and
 * the smallest positive distance kept. Each distance is a real pair's, so the estimate is never below the
 * true Δ_min, and it equals it when the index finds the closest pair from either end (its two words are
 * each other's nearest neighbour, the easiest search there is). The eager HNSW path took the minimum over
 * every word's 64 neighbours found at the same breadth, which holds the same first neighbours.
 */
export function indexedDeltaMin(table: EmbeddingTable, index: HnswIndex, ask = 4, threads = 0): number {
  const n = table.size;
  const found = index.search(table.vectors, ask, threads) as unknown as {
    keys: BigUint64Array;
    counts: BigUint64Array;
  };
  let best = Number.POSITIVE_INFINITY;
  for (let w = 0; w < n; w++) {
    const count = Number(found.counts[w]);
    for (let j = 0; j < count; j++) {
      const id = Number(found.keys[w * ask + j]);
      if (id === w || id >= n) continue;
      const dist = table.distance(w, id);
      if (dist > 0 && dist < best) best = dist;
    }
  }
  return best;
}

/**
 * Δ_max estimated as computeNeighbourhoods' approximate path does: the exact farthest word from each of
 * `sample` evenly spaced words (at most the true Δ_max; at least half of it, by the triangle inequality).
 */
export function sampledDeltaMax(table: EmbeddingTable, sample = 512, threads = 0): number {
  return farthestDistance(table, sampleRows(table.size, sample), threads);
}

/**
 * max ‖a − b‖ over words a (all, or a sample) and all words b: every word's farthest sampled word by the
 * SquaredDistances kernel (the sample as its targets, so they stay in cache), the winner re-measured in
 * double. usearch's exact scan, used before, ran at about 0.5 G multiply-adds a second here, which made this
 * about 20 of the 400k-word table's 32 CPU seconds of first opening.
 */
function farthestDistance(table: EmbeddingTable, sample: Int32Array | null, _threads: number): number {
  const n = table.size;
  const d = table.dimensions;
  const rows = sample ?? Int32Array.from({ length: n }, (_, i) => i);
  const p = rows.length;
  const targets = new Float32Array(p * d);
  for (let r = 0; r < p; r++) targets.set(table.vector(rows[r]), r * d);
  const kernel = new SquaredDistances(d);
  kernel.setTargets(targets, p);
  const block = Math.max(1, Math.floor(65536 / p));
  let best = 0;
  for (let from = 0; from < n; from += block) {
    const m = Math.min(block, n - from);
    const all = kernel.distances(table.vectors, from, m);
    for (let i = 0; i < m; i++) {
      let far = 0;
      let farthest = -1;
      for (let r = 0; r < p; r++) {
        const s = all[i * p + r];
        if (s > farthest) {
          farthest = s;
          far = r;
        }
      }
      const dist = table.distance(rows[far], from + i);
      if (dist > best) best = dist;
    }
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
  at: number,
): number {
  const order = exactNearest(table, table.vector(w), k + 1)
    .filter((id) => id !== w)
    .slice(0, k);
  let smallest = Number.POSITIVE_INFINITY;
  order.forEach((id, j) => {
    const dist = table.distance(w, id);
    ids[at + j] = id;
    distances[at + j] = dist;
    if (dist > 0 && dist < smallest) smallest = dist;
  });
  return smallest;
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
