import { Random } from "../random.js";
import type { EmbeddingTable } from "./embeddings.js";
import { SquaredDistances } from "./kernel/squared-distances.js";
import type { NearestWord } from "./mechanisms.js";
import type { NeighbourSearch } from "./neighbours.js";

/**
 * An inverted-file ("IVF-flat") index of an embedding table: k-means centroids, every word filed under its
 * nearest centroid, and the words of each list stored contiguously. A query scans the lists of its
 * `nprobe` nearest centroids exactly. It replaces the HNSW graph for tables above 20,000 words because it
 * builds in a few CPU seconds where the graph took ~96 (400k × 50, README). Δ_min from it (ivfDeltaMin) is
 * still an estimate that can only err high, as the graph's was: see there.
 */
export interface IvfIndex {
  readonly dimensions: number;
  /** Number of lists (k-means k). */
  readonly lists: number;
  /** lists × dimensions. */
  readonly centroids: Float32Array;
  /** List l holds order[listStart[l] .. listStart[l + 1]). */
  readonly listStart: Int32Array;
  /** Word ids grouped by list. */
  readonly order: Int32Array;
  /** The words' vectors in `order` (n × dimensions), so a list is one contiguous run. */
  readonly listVectors: Float32Array;
}

export interface IvfBuildOptions {
  /** Lists (default round(√n)). */
  lists?: number;
  /** Words the centroids are trained on (default 50,000, evenly drawn by seed). */
  trainingSample?: number;
  /** Lloyd iterations on the sample (default 8). */
  iterations?: number;
  seed?: number;
}

/** What ivfDeltaMin needs from the build: each word's few nearest centroids. */
export interface IvfBuild {
  index: IvfIndex;
  /** n × nearestKept centroid ids, nearest first (the first is the word's list). */
  nearestCentroids: Int32Array;
  nearestKept: number;
}

/** Centroids per word kept from the assignment scan, for ivfDeltaMin's boundary test. */
const NEAREST_KEPT = 8;

/**
 * Builds the index: Lloyd's k-means on a seeded sample (random distinct rows as the start; an emptied
 * centroid restarts at a random sample row), then one exact scan of every word against the centroids.
 * Both scans run the SquaredDistances kernel in blocks of words against all centroids (126 KB at
 * 632 × 50, so they stay in cache); deterministic for a given seed and table.
 */
export function buildIvf(table: EmbeddingTable, options: IvfBuildOptions = {}): IvfBuild {
  const n = table.size;
  const d = table.dimensions;
  const k = Math.max(1, Math.min(n, options.lists ?? Math.round(Math.sqrt(n))));
  const rng = new Random(options.seed ?? 1);
  const sampleSize = Math.min(n, Math.max(k, options.trainingSample ?? 50_000));
  const sampleIds = distinctRows(n, sampleSize, rng);
  const sample = new Float32Array(sampleSize * d);
  for (let i = 0; i < sampleSize; i++) sample.set(table.vector(sampleIds[i]), i * d);

  const centroids = new Float32Array(k * d);
  const start = distinctRows(sampleSize, k, rng);
  for (let c = 0; c < k; c++) centroids.set(sample.subarray(start[c] * d, (start[c] + 1) * d), c * d);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let it = 0; it < (options.iterations ?? 8); it++) {
    const nearest = nearestCentroidIds(centroids, k, sample, sampleSize, d, 1);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < sampleSize; i++) {
      const c = nearest[i];
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += sample[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        const r = rng.int(sampleSize);
        centroids.set(sample.subarray(r * d, (r + 1) * d), c * d);
      } else for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j] / counts[c];
    }
  }

  const kept = Math.min(NEAREST_KEPT, k);
  const nearestCentroids = nearestCentroidIds(centroids, k, table.vectors, n, d, kept);
  const assignment = new Int32Array(n);
  for (let w = 0; w < n; w++) assignment[w] = nearestCentroids[w * kept];
  return { index: ivfFromAssignment(table, centroids, assignment), nearestCentroids, nearestKept: kept };
}

/** The index from centroids and each word's list (what a saved index stores), lists in word order. */
export function ivfFromAssignment(
  table: EmbeddingTable,
  centroids: Float32Array,
  assignment: Int32Array,
): IvfIndex {
  const n = table.size;
  const d = table.dimensions;
  const k = centroids.length / d;
  if (assignment.length !== n) throw new RangeError(`ivf: ${assignment.length} list ids for ${n} words`);
  const listStart = new Int32Array(k + 1);
  for (let w = 0; w < n; w++) {
    const l = assignment[w];
    if (!(l >= 0 && l < k)) throw new RangeError(`ivf: word ${w} filed under list ${l} of ${k}`);
    listStart[l + 1]++;
  }
  for (let l = 0; l < k; l++) listStart[l + 1] += listStart[l];
  const fill = listStart.slice(0, k);
  const order = new Int32Array(n);
  for (let w = 0; w < n; w++) order[fill[assignment[w]]++] = w;
  const listVectors = new Float32Array(n * d);
  for (let i = 0; i < n; i++) listVectors.set(table.vector(order[i]), i * d);
  return { dimensions: d, lists: k, centroids, listStart, order, listVectors };
}

/** Each word's list, from an index (the inverse of order), what a saved index stores. */
export function ivfAssignment(index: IvfIndex): Int32Array {
  const out = new Int32Array(index.order.length);
  for (let l = 0; l < index.lists; l++)
    for (let i = index.listStart[l]; i < index.listStart[l + 1]; i++) out[index.order[i]] = l;
  return out;
}

/**
 * Searches an IVF index: the query's `nprobe` nearest centroids, then every word of their lists, keeping
 * the m nearest. Hand-written rather than a usearch call per list because a query touches nprobe lists of
 * a few hundred words each and usearch's exactSearch copies its inputs and allocates its results per call
 * (and reads a subarray from the start of its buffer), which costs more than the scan itself at this size.
 * Not thread-safe (scratch buffers are reused); one per thread.
 */
export class IvfSearcher {
  private readonly probe: Int32Array;
  private readonly probeDist: Float64Array;
  private bestIds = new Int32Array(0);
  private bestDist = new Float64Array(0);

  constructor(
    readonly index: IvfIndex,
    readonly nprobe: number,
  ) {
    if (!(nprobe >= 1)) throw new RangeError(`ivf: nprobe must be ≥ 1, got ${nprobe}`);
    const p = Math.min(nprobe, index.lists);
    this.probe = new Int32Array(p);
    this.probeDist = new Float64Array(p);
  }

  /**
   * The m nearest words to v[at..at+d) among the probed lists, nearest first (ties by list order), written
   * to ids[0..) and, squared, to dist[0..); returns how many were found (< m only if the probed lists hold
   * fewer words).
   */
  search(v: ArrayLike<number>, m: number, ids: Int32Array, dist: Float64Array, at = 0): number {
    const { index } = this;
    const d = index.dimensions;
    const p = this.probe.length;
    // The nprobe nearest centroids, by insertion into a short sorted array.
    const c = index.centroids;
    let probed = 0;
    for (let l = 0; l < index.lists; l++) {
      const s = squared(c, l * d, v, at, d, Number.POSITIVE_INFINITY);
      if (probed === p && s >= this.probeDist[p - 1]) continue;
      let j = probed < p ? probed++ : p - 1;
      while (j > 0 && this.probeDist[j - 1] > s) {
        this.probeDist[j] = this.probeDist[j - 1];
        this.probe[j] = this.probe[j - 1];
        j--;
      }
      this.probeDist[j] = s;
      this.probe[j] = l;
    }
    if (this.bestIds.length < m) {
      this.bestIds = new Int32Array(m);
      this.bestDist = new Float64Array(m);
    }
    const bi = this.bestIds;
    const bd = this.bestDist;
    let held = 0;
    let worst = Number.POSITIVE_INFINITY;
    const x = index.listVectors;
    for (let q = 0; q < probed; q++) {
      const l = this.probe[q];
      for (let i = index.listStart[l]; i < index.listStart[l + 1]; i++) {
        const s = squared(x, i * d, v, at, d, worst);
        if (held === m && s >= worst) continue;
        let j = held < m ? held++ : m - 1;
        while (j > 0 && bd[j - 1] > s) {
          bd[j] = bd[j - 1];
          bi[j] = bi[j - 1];
          j--;
        }
        bd[j] = s;
        bi[j] = i;
        if (held === m) worst = bd[m - 1];
      }
    }
    for (let j = 0; j < held; j++) {
      ids[j] = index.order[bi[j]];
      dist[j] = bd[j];
    }
    return held;
  }
}

/**
 * ‖x[a..a+d) − v[b..b+d)‖², stopping early (with a value ≥ limit) once the partial sum passes limit: most
 * scanned words are far from the query. Checked every 8 coordinates so the test costs little.
 */
function squared(x: ArrayLike<number>, a: number, v: ArrayLike<number>, b: number, d: number, limit: number) {
  let s = 0;
  let j = 0;
  while (j < d) {
    const end = Math.min(d, j + 8);
    for (; j < end; j++) {
      const t = x[a + j] - v[b + j];
      s += t * t;
    }
    if (s >= limit) return s;
  }
  return s;
}

/** A NeighbourSearch (what LazyNeighbourhoods computes rows with) over an IVF index. */
export function ivfNeighbourSearch(index: IvfIndex, nprobe: number): NeighbourSearch {
  const searcher = new IvfSearcher(index, nprobe);
  let ids = new Int32Array(0);
  let dist = new Float64Array(0);
  return (vector, ask) => {
    if (ids.length < ask) {
      ids = new Int32Array(ask);
      dist = new Float64Array(ask);
    }
    const found = searcher.search(vector, ask, ids, dist);
    const keys = new BigUint64Array(found);
    for (let j = 0; j < found; j++) keys[j] = BigInt(ids[j]);
    return keys;
  };
}

/**
 * Δ_min (the smallest positive distance between two words) from the IVF build, as the minimum over the
 * pairs it measures: every pair within a list, and every word against the list of its second-nearest
 * centroid. Pairs are ranked by the SquaredDistances kernel in float32 and the winner re-measured in
 * double.
 *
 * Which way it errs: every measured distance is a real pair's, so the result is never below the true Δ_min;
 * it is the true one unless the closest pair lies in two lists neither of which is the other word's first
 * or second choice. An exact answer by the Voronoi bound (‖x − y‖ ≥ h_A,B(x) + h_B,A(y), the signed distances
 * to the bisector of centroids A and B) was tried: on the 400k × 50 synthetic table nearly every word lies
 * within Δ_min of seven or more bisectors, so it degenerates to most pairs of neighbouring lists. Visitors
 * whose distance to the bisector of their own and the visited list is Δ_min or more are skipped, since no
 * word filed in the visited list can be closer to them than that (up to float32 rounding of the filing).
 */
export function ivfDeltaMin(table: EmbeddingTable, build: IvfBuild): number {
  const { index, nearestCentroids, nearestKept } = build;
  const d = table.dimensions;
  const k = index.lists;
  const n = table.size;
  const kernel = new SquaredDistances(d);
  let best = Number.POSITIVE_INFINITY;
  let gather = new Float32Array(0);
  // The nearest positive distance from each of `rows` (word ids) to list l's members.
  const againstList = (l: number, rows: Int32Array) => {
    const from = index.listStart[l];
    const size = index.listStart[l + 1] - from;
    const count = rows.length;
    if (size === 0 || count === 0) return;
    kernel.setTargets(index.listVectors.subarray(from * d, (from + size) * d), size);
    if (gather.length < count * d) gather = new Float32Array(count * d);
    for (let r = 0; r < count; r++) gather.set(table.vector(rows[r]), r * d);
    const block = Math.max(1, Math.floor(65536 / size));
    for (let r0 = 0; r0 < count; r0 += block) {
      const m = Math.min(block, count - r0);
      const all = kernel.distances(gather, r0, m);
      for (let i = 0; i < m; i++) {
        let nearest = -1;
        let smallest = Number.POSITIVE_INFINITY;
        for (let j = 0; j < size; j++) {
          const s = all[i * size + j];
          if (s > 0 && s < smallest) {
            smallest = s;
            nearest = j;
          }
        }
        if (nearest < 0) continue;
        const dist = table.distance(rows[r0 + i], index.order[from + nearest]);
        if (dist > 0 && dist < best) best = dist;
      }
    }
  };
  for (let l = 0; l < k; l++)
    againstList(l, index.order.subarray(index.listStart[l], index.listStart[l + 1]));
  if (nearestKept < 2) return best;
  // Visitors: words whose second-nearest centroid is l, within `best` of the bisector.
  const c = index.centroids;
  const toCentroid = (w: number, l: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = table.vectors[w * d + j] - c[l * d + j];
      s += t * t;
    }
    return s;
  };
  const visitorStart = new Int32Array(k + 1);
  const second = new Int32Array(n).fill(-1);
  for (let w = 0; w < n; w++) {
    const a = nearestCentroids[w * nearestKept];
    const b = nearestCentroids[w * nearestKept + 1];
    let gap = 0;
    for (let j = 0; j < d; j++) {
      const t = c[a * d + j] - c[b * d + j];
      gap += t * t;
    }
    const h = (toCentroid(w, b) - toCentroid(w, a)) / (2 * Math.sqrt(gap));
    // 1e-4·best allows for a word filed a rounding error away from its true nearest centroid.
    if (h < best * (1 + 1e-4)) {
      second[w] = b;
      visitorStart[b + 1]++;
    }
  }
  for (let l = 0; l < k; l++) visitorStart[l + 1] += visitorStart[l];
  const fill = visitorStart.slice(0, k);
  const visitors = new Int32Array(n);
  for (let w = 0; w < n; w++) if (second[w] >= 0) visitors[fill[second[w]]++] = w;
  for (let l = 0; l < k; l++) againstList(l, visitors.subarray(visitorStart[l], visitorStart[l + 1]));
  return best;
}

/**
 * For each of the n rows, the ids of its `count` nearest among the p targets (squared L2 in float32, nearest
 * first, ties by id), as n × count: the kernel's blocks of distances, then a short insertion per row.
 */
function nearestCentroidIds(
  targets: Float32Array,
  p: number,
  rows: Float32Array,
  n: number,
  d: number,
  count: number,
): Int32Array {
  const kernel = new SquaredDistances(d);
  kernel.setTargets(targets, p);
  const out = new Int32Array(n * count);
  const dist = new Float32Array(count);
  // Blocks of about 256 KB of results: the block stays in cache while its rows are ranked.
  const block = Math.max(1, Math.floor(65536 / p));
  for (let from = 0; from < n; from += block) {
    const m = Math.min(block, n - from);
    const all = kernel.distances(rows, from, m);
    for (let i = 0; i < m; i++) {
      const at = (from + i) * count;
      let held = 0;
      for (let l = 0; l < p; l++) {
        const s = all[i * p + l];
        if (held === count && s >= dist[count - 1]) continue;
        let j = held < count ? held++ : count - 1;
        while (j > 0 && dist[j - 1] > s) {
          dist[j] = dist[j - 1];
          out[at + j] = out[at + j - 1];
          j--;
        }
        dist[j] = s;
        out[at + j] = l;
      }
    }
  }
  return out;
}

/** m distinct rows of [0, n), drawn by a partial Fisher-Yates shuffle. */
function distinctRows(n: number, m: number, rng: Random): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, m);
}

/**
 * Lists probed per query by default, from `npm run bench -- privacy --latency-only --table
 * synth-400k-50d.txt --compare-hnsw` (632 lists; 300 words, agreement with the exact scan; README, "An IVF
 * index"). Rows (a word's 64 nearest, LazyNeighbourhoods): recall 0.953 at 16, 0.979 at 32, 0.992 at 64
 * against the HNSW's 0.995, so 64. Laplace's nearest word to a noisy vector (ε = 10): 0.84 at 16 against
 * the HNSW's 0.72 at breadth 32 (0.92 at 32, 0.98 at 64, each doubling the time), so 16. Chosen on the
 * bench's own sample, not a held-out one.
 */
export const IVF_NPROBE_ROWS = 64;
export const IVF_NPROBE_NEAREST = 16;

/**
 * Laplace's nearest word by an IVF index: like IndexedNearestWord's HNSW search, any deterministic rule on
 * the noisy vector is post-processing, so the guarantee holds; the approximation changes which word comes
 * out when the nearest word sits in a list that was not probed, which the bench measures.
 */
export class IvfNearestWord implements NearestWord {
  readonly exact = false;
  private readonly searcher: IvfSearcher;
  private readonly ids = new Int32Array(1);
  private readonly dist = new Float64Array(1);
  private full: IvfSearcher | null = null;

  constructor(index: IvfIndex, nprobe = IVF_NPROBE_NEAREST) {
    this.searcher = new IvfSearcher(index, nprobe);
  }

  nearest(v: Float32Array): number {
    return this.nearestAt(v, 0);
  }

  nearestMany(vs: Float32Array, count: number, out: Int32Array): void {
    const d = this.searcher.index.dimensions;
    for (let q = 0; q < count; q++) out[q] = this.nearestAt(vs, q * d);
  }

  private nearestAt(vs: Float32Array, at: number): number {
    if (this.searcher.search(vs, 1, this.ids, this.dist, at) > 0) return this.ids[0];
    // Only empty lists probed (a table smaller than nprobe lists' worth): every list.
    this.full ??= new IvfSearcher(this.searcher.index, this.searcher.index.lists);
    this.full.search(vs, 1, this.ids, this.dist, at);
    return this.ids[0];
  }
}
