/**
 * Serving facade: exact scans for small catalogues, an approximate index for large ones.
 */
import type { FactorModel } from "../affinity/factor-model.js";
import { ApproximateIndex, type ApproximateIndexOptions, measureRecall } from "./ann.js";
import { exactTopN, type TopNOptions, type TopNResult } from "./exact.js";

export interface TopNConfig {
  /** Use the approximate index when the catalogue has more items than this (default 50_000). */
  approximateAbove?: number;
  /** Index parameters for the approximate case. */
  index?: ApproximateIndexOptions;
  /** Random users' queries used to measure the index's recall@10 after building (default 200). */
  recallQueries?: number;
  /** Seed for picking those users (default 1). */
  seed?: number;
}

export interface TopN {
  readonly kind: "exact" | "approximate";
  /** Measured recall@10 of the index against exact top-10; undefined for "exact". */
  readonly recall: number | undefined;
  /** The index, when kind is "approximate". */
  readonly index: ApproximateIndex | undefined;
  /**
   * Top-n items for a query vector with their exact scores, best first. With bias: false, or when kind is
   * "exact", the answer is an exact scan (the index scores include the bias).
   */
  recommend(query: Float32Array, n: number, options?: TopNOptions): TopNResult;
}

/**
 * Exact scans when the catalogue has at most `approximateAbove` items (the scan costs ~4 ms per query at
 * 100k items × 50 factors); above it, builds an ApproximateIndex (seconds) and measures its recall@10 on
 * `recallQueries` random users (one exact scan each) so callers can log or check it.
 */
export function createTopN(model: FactorModel, config: TopNConfig = {}): TopN {
  const { approximateAbove = 50_000, recallQueries = 200, seed = 1 } = config;
  if (!(model.nItems > approximateAbove)) {
    return {
      kind: "exact",
      recall: undefined,
      index: undefined,
      recommend: (query, n, options = {}) => exactTopN(model, query, n, options),
    };
  }
  const index = ApproximateIndex.build(model, config.index);
  return approximateTopN(model, index, measureRecall(model, index, recallQueries, 10, seed));
}

/** The approximate TopN over an index already built (see createTopN), with its measured recall@10. */
export function approximateTopN(model: FactorModel, index: ApproximateIndex, recall: number): TopN {
  return {
    kind: "approximate",
    recall,
    index,
    recommend: (query, n, options = {}) =>
      options.bias === false
        ? exactTopN(model, query, n, options)
        : index.search(query, n, options.exclude, options.allow),
  };
}
