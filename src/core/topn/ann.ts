/**
 * Approximate top-N (maximum inner product search) over a FactorModel with a usearch HNSW index.
 *
 * Reduction to inner-product search: item i is indexed as x_i = [q_i, b_i] and a query p is sent as
 * y = [p, 1], so y·x_i = b_i + p·q_i, the model score itself; the index's "ip" distance is 1 − y·x_i, so
 * nearest = highest score.
 *
 * Optionally (equalizeNorms) a further coordinate sqrt(M² − ‖x_i‖²), 0 in the query, gives every indexed
 * vector the same norm M without changing scores: the classic reduction of MIPS to nearest-neighbour search
 * (Bachrach et al., RecSys 2014). It is off by default because it measured clearly worse with HNSW, as
 * Morozov & Babenko (NeurIPS 2018) also report for graph indexes on raw inner product: recall@10 on 20k
 * items × 50 factors, M = 16, ef_construction = 128, ef = 64 was 0.988 raw vs 0.874 equalised with 32 taste
 * clusters, 0.997 vs 0.922 with 200 clusters, and 0.70 vs 0.42 on structureless isotropic Gaussian factors;
 * on the 100k-item bench model (ef_construction = 64) 0.985 vs 0.42.
 *
 * Recall depends on the data: the clustered random models used here (a stand-in for trained embeddings,
 * which have structure) give recall@10 ≈ 0.99, but isotropic Gaussian factors (no structure at all) give
 * ≈ 0.7 at the same settings. Measure it on the real model (measureRecall; createTopN does so when it
 * builds an index).
 *
 * Results are re-scored exactly with the model (itemScore, bit-identical to exactTopN) and re-ranked, so
 * callers always see true scores; only membership in the top n is approximate.
 */
import { createRequire } from "node:module";
import type usearchModule from "usearch";
import type { FactorModel } from "../affinity/factor-model.js";
import { userVector } from "../affinity/factor-model.js";
import { Random } from "../random.js";
import { type Exclusion, exactTopN, exclusionPredicate, itemScore, type TopNResult } from "./exact.js";

export interface ApproximateIndexOptions {
  /** HNSW graph degree M (default 16). Higher: better recall, slower build, more memory. */
  connectivity?: number;
  /**
   * Candidate list size while inserting (ef_construction, default 64). On the clustered 100k × 50 bench
   * model 64 and 128 both gave recall@10 0.994 at ef = 64, and 64 built ~2.5× faster.
   */
  expansionAdd?: number;
  /** Candidate list size while searching (ef, default 64); a search for more results than that uses more. */
  expansionSearch?: number;
  /** Threads for building (default 0: usearch picks, normally all cores). Searches use one thread. */
  threads?: number;
  /** Append the norm-equalising coordinate described above (default false: it lowers recall). */
  equalizeNorms?: boolean;
  /**
   * When exclusions or filters would need more than this many candidates from the index, answer with an
   * exact scan instead (default max(256, nItems / 40)). An HNSW search costs roughly linear in the number of
   * results asked for: on 100k items × 50 factors one candidate cost ~0.8 µs against ~0.05 µs per item for
   * the exact scan, so they break even near nItems / 18 candidates, and the retries double the cost.
   */
  maxFetch?: number;
}

const ONE_THREAD = 1;
/** Searches for at most this many items keep their best candidates by insertion (n·candidates steps). */
const SMALL_N = 64;

// usearch's CommonJS build, through require: its ES module build finds its native addon by walking up from
// the caller's file name, which never ends on a worker thread started from code (the index is built on
// one, see src/pipeline/threads/topn-worker.ts); the CommonJS build knows its own folder.
const usearch = createRequire(import.meta.url)("usearch").default as typeof usearchModule;

/** Least recall@10 against the exact top-10 a saved index's chosen search breadth must reach. */
export const searchRecallFloor = 0.95;

export type UsearchIndex = InstanceType<typeof usearch.Index>;

function resolveIndexOptions(
  model: FactorModel,
  options: ApproximateIndexOptions,
): Required<ApproximateIndexOptions> {
  return {
    connectivity: options.connectivity ?? 16,
    expansionAdd: options.expansionAdd ?? 64,
    expansionSearch: options.expansionSearch ?? 64,
    threads: options.threads ?? 0,
    equalizeNorms: options.equalizeNorms ?? false,
    maxFetch: options.maxFetch ?? Math.max(256, Math.ceil(model.nItems / 40)),
  };
}

/** Item vectors are [q_i, b_i] (and the norm-equalising coordinate when asked). */
function indexDimensions(factors: number, opts: Required<ApproximateIndexOptions>): number {
  return factors + (opts.equalizeNorms ? 2 : 1);
}

function emptyUsearchIndex(dimensions: number, opts: Required<ApproximateIndexOptions>): UsearchIndex {
  return new usearch.Index({
    dimensions,
    metric: usearch.MetricKind.IP,
    quantization: usearch.ScalarKind.F32,
    connectivity: opts.connectivity,
    expansion_add: opts.expansionAdd,
    expansion_search: opts.expansionSearch,
    multi: false,
  });
}

export class ApproximateIndex {
  /** Reusable augmented query [p, 1] (then 0 when norms are equalised); searches are synchronous. */
  private readonly augmented: Float32Array;
  /** Scratch for the best candidates of a search for at most SMALL_N items (see search). */
  private readonly topItems = new Int32Array(SMALL_N);
  private readonly topScores = new Float64Array(SMALL_N);

  private constructor(
    readonly model: FactorModel,
    private readonly index: UsearchIndex,
    readonly dimensions: number,
    readonly options: Readonly<Required<ApproximateIndexOptions>>,
    /** Wall-clock seconds spent building. */
    readonly buildSeconds: number,
  ) {
    this.augmented = new Float32Array(dimensions);
  }

  /**
   * Indexes every item of the model. The index is a snapshot of the item factors and biases; exact
   * re-scoring reads the model at search time, so rebuild after retraining.
   */
  static build(model: FactorModel, options: ApproximateIndexOptions = {}): ApproximateIndex {
    const opts = resolveIndexOptions(model, options);
    const start = performance.now();
    const k = model.factors;
    const d = indexDimensions(k, opts);
    const { nItems, itemFactors, itemBias } = model;
    const vectors = new Float32Array(nItems * d);
    const squaredNorms = new Float64Array(nItems);
    let maxSquaredNorm = 0;
    for (let i = 0; i < nItems; i++) {
      let ss = itemBias[i] * itemBias[i];
      for (let f = 0; f < k; f++) {
        const v = itemFactors[i * k + f];
        vectors[i * d + f] = v;
        ss += v * v;
      }
      vectors[i * d + k] = itemBias[i];
      squaredNorms[i] = ss;
      if (ss > maxSquaredNorm) maxSquaredNorm = ss;
    }
    if (opts.equalizeNorms) {
      for (let i = 0; i < nItems; i++) vectors[i * d + k + 1] = Math.sqrt(maxSquaredNorm - squaredNorms[i]);
    }
    const index = emptyUsearchIndex(d, opts);
    if (nItems > 0) {
      const keys = new BigUint64Array(nItems);
      for (let i = 0; i < nItems; i++) keys[i] = BigInt(i);
      index.add(keys, vectors, opts.threads);
    }
    return new ApproximateIndex(model, index, d, opts, (performance.now() - start) / 1000);
  }

  /**
   * An index built elsewhere (e.g. on a worker thread, then saved and mapped here by the pipeline) for
   * the same model and options: `load` fills the empty usearch index it is given (usearch's view or load).
   */
  static adopt(
    model: FactorModel,
    options: ApproximateIndexOptions,
    buildSeconds: number,
    load: (empty: UsearchIndex) => void,
  ): ApproximateIndex {
    const opts = resolveIndexOptions(model, options);
    const d = indexDimensions(model.factors, opts);
    const index = emptyUsearchIndex(d, opts);
    load(index);
    if (index.size() !== model.nItems)
      throw new Error(`the index holds ${index.size()} items, the model ${model.nItems}`);
    return new ApproximateIndex(model, index, d, opts, buildSeconds);
  }

  /** The usearch index itself, for the pipeline to save (usearch writes it to a file). */
  get native(): UsearchIndex {
    return this.index;
  }

  /** Number of indexed items. */
  get size(): number {
    return this.index.size();
  }

  /**
   * The (approximately) n highest-scoring items for a query vector p, best first, with exact scores
   * b_i + p·q_i. Excluded and disallowed items are filtered out after the index search, so the index is
   * asked for more candidates than n: n plus the size of an excluded set (or n for a predicate or mask) at
   * first, then more, in proportion to how many survived, until n survive. When that would take more than
   * options.maxFetch candidates (e.g. a very selective allow mask), or the index cannot return more, an exact
   * scan answers instead, so fewer than n items come back only when fewer than n are eligible.
   */
  search(query: Float32Array, n: number, exclude?: Exclusion, allow?: Uint8Array): TopNResult {
    const model = this.model;
    const k = model.factors;
    if (query.length < k)
      throw new RangeError(`query has ${query.length} floats, the model has ${k} factors`);
    if (allow !== undefined && allow.length < model.nItems) {
      throw new RangeError(`allow mask has ${allow.length} entries, the model has ${model.nItems} items`);
    }
    n = Math.min(Math.floor(n), model.nItems);
    if (!(n > 0)) return { items: new Int32Array(0), scores: new Float32Array(0) };
    const excluded = exclusionPredicate(exclude);
    const filtered = excluded !== undefined || allow !== undefined;
    const y = this.augmented;
    for (let f = 0; f < k; f++) y[f] = query[f];
    y[k] = 1;

    const total = this.index.size();
    let margin = 0;
    if (exclude !== undefined && typeof exclude !== "function") margin = exclude.size;
    else if (filtered) margin = n;
    let fetch = Math.min(total, n + margin);
    const exact = () => exactTopN(model, query, n, { exclude, allow });
    for (;;) {
      if (fetch > this.options.maxFetch && fetch > n) return exact();
      const keys = this.index.search(y, fetch, ONE_THREAD).keys;
      let eligible = 0;
      if (n <= SMALL_N) {
        // The usual request (n = 10 of a few dozen candidates): the best n kept in order as they come, in
        // the scratch arrays, instead of an object per candidate and a sort (best() gives the same order).
        const topItems = this.topItems;
        const topScores = this.topScores;
        let kept = 0;
        for (let j = 0; j < keys.length; j++) {
          const item = Number(keys[j]);
          if (allow !== undefined && allow[item] !== 1) continue;
          if (excluded?.(item)) continue;
          const score = itemScore(model, query, item);
          if (Number.isNaN(score)) continue;
          eligible++;
          // Insert (score desc, item asc) unless it ranks behind all n kept.
          let at = kept;
          while (
            at > 0 &&
            (score > topScores[at - 1] || (score === topScores[at - 1] && item < topItems[at - 1]))
          )
            at--;
          if (at >= n) continue;
          for (let m = Math.min(kept, n - 1); m > at; m--) {
            topItems[m] = topItems[m - 1];
            topScores[m] = topScores[m - 1];
          }
          topItems[at] = item;
          topScores[at] = score;
          if (kept < n) kept++;
        }
        if (eligible >= n)
          return { items: topItems.slice(0, n), scores: Float32Array.from(topScores.subarray(0, n)) };
      } else {
        const candidates: { item: number; score: number }[] = [];
        for (let j = 0; j < keys.length; j++) {
          const item = Number(keys[j]);
          if (allow !== undefined && allow[item] !== 1) continue;
          if (excluded?.(item)) continue;
          const score = itemScore(model, query, item);
          if (!Number.isNaN(score)) candidates.push({ item, score });
        }
        eligible = candidates.length;
        if (eligible >= n) return best(candidates, n);
      }
      // The graph search can return fewer results than asked even when more items exist (it only reaches
      // what the graph links to); then, as when every item was fetched, only a scan can do better.
      if (keys.length < fetch || fetch >= total) return exact();
      const survival = Math.max(eligible, 1) / keys.length;
      fetch = Math.min(total, Math.max(2 * fetch, Math.ceil((1.5 * n) / survival)));
    }
  }
}

/** The best n candidates (exact scores) in descending order, ties by smaller index. */
function best(candidates: { item: number; score: number }[], n: number): TopNResult {
  candidates.sort((a, b) => b.score - a.score || a.item - b.item);
  const m = Math.min(n, candidates.length);
  const items = new Int32Array(m);
  const scores = new Float32Array(m);
  for (let j = 0; j < m; j++) {
    items[j] = candidates[j].item;
    scores[j] = candidates[j].score;
  }
  return { items, scores };
}

/**
 * Recall@n of the approximate index against exact top-n: over `sampleQueries` random users' factor vectors
 * (random items' vectors if the model has no users), the number of exact top-n items the index also
 * returns, divided by the number of exact top-n items. In [0, 1]; seeded, so reproducible.
 */
export function measureRecall(
  model: FactorModel,
  index: ApproximateIndex,
  sampleQueries: number,
  n = 10,
  seed = 1,
): number {
  const rng = new Random(seed);
  const k = model.factors;
  let hits = 0;
  let wanted = 0;
  for (let s = 0; s < sampleQueries; s++) {
    const item = model.nUsers > 0 ? -1 : rng.int(model.nItems);
    const query =
      item < 0
        ? userVector(model, rng.int(model.nUsers))
        : model.itemFactors.subarray(item * k, (item + 1) * k);
    const exact = exactTopN(model, query, n).items;
    const approximate = new Set(index.search(query, n).items);
    for (const item of exact) if (approximate.has(item)) hits++;
    wanted += exact.length;
  }
  return wanted === 0 ? 1 : hits / wanted;
}
