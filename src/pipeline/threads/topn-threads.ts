import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { FactorModel } from "../../core/affinity/factor-model.js";
import {
  ApproximateIndex,
  type ApproximateIndexOptions,
  approximateTopN,
  type TopN,
} from "../../core/topn/index.js";
import { firstMessageOf } from "../../threads/index.js";
import { startWorker } from "./workers.js";

export interface TopNWorkerData {
  model: FactorModel;
  options: ApproximateIndexOptions;
  recallQueries: number;
  seed: number;
  /** Where the index goes (the worker writes `<path>.json` with the result beside it last). */
  path: string;
}

export interface TopNWorkerResult {
  /** Recall@10 at the search breadth chosen (expansionSearch). */
  recall: number;
  buildSeconds: number;
  /**
   * The narrowest search breadth (ef) whose recall@10 reaches searchRecallFloor, measured on the saved
   * index; absent in files written before it was chosen (the options' breadth then serves).
   */
  expansionSearch?: number;
  /** Recall@10 at each breadth tried, narrowest first. */
  recallByExpansionSearch?: Record<string, number>;
}

export interface OffThreadTopNConfig {
  index?: ApproximateIndexOptions;
  /** Random users' queries that measure the index's recall@10 (default 200, as createTopN). */
  recallQueries?: number;
  seed?: number;
}

/**
 * The approximate top-N of a model version (as createTopN builds above its threshold), built on a worker
 * thread and kept in the version's folder: the build (seconds above 50k items) and the recall measurement
 * never run on the calling thread, which only maps the finished file (usearch's view, no copy). A later
 * load of the same version, e.g. after a restart, maps the kept file without building again.
 * The build leaves one core free for the calling thread unless told otherwise.
 */
export async function approximateTopNOffThread(
  model: FactorModel,
  modelDir: string,
  config: OffThreadTopNConfig = {},
): Promise<TopN> {
  const options = offThreadOptions(config);
  const path = join(modelDir, indexFileName(options));
  if (!existsSync(`${path}.json`)) {
    await runTopNWorker({
      model,
      options,
      recallQueries: config.recallQueries ?? 200,
      seed: config.seed ?? 1,
      path,
    });
  }
  return mapSavedTopN(model, options, path);
}

/**
 * The approximate top-N kept in a version's folder by approximateTopNOffThread (same model and settings),
 * mapped without building (usearch's view: no copy, milliseconds), or null when the folder holds none yet.
 */
export function savedApproximateTopN(
  model: FactorModel,
  modelDir: string,
  config: OffThreadTopNConfig = {},
): TopN | null {
  const options = offThreadOptions(config);
  const path = join(modelDir, indexFileName(options));
  return existsSync(`${path}.json`) ? mapSavedTopN(model, options, path) : null;
}

function offThreadOptions(config: OffThreadTopNConfig): ApproximateIndexOptions {
  return { ...config.index, threads: config.index?.threads ?? Math.max(1, availableParallelism() - 1) };
}

function mapSavedTopN(model: FactorModel, options: ApproximateIndexOptions, path: string): TopN {
  const result = JSON.parse(readFileSync(`${path}.json`, "utf8")) as TopNWorkerResult;
  const chosen = { ...options, expansionSearch: result.expansionSearch ?? options.expansionSearch };
  const index = ApproximateIndex.adopt(model, chosen, result.buildSeconds, (empty) => empty.view(path));
  return approximateTopN(model, index, result.recall);
}

/** The index file's name says the settings that shape the graph, so other settings build their own. */
function indexFileName(options: ApproximateIndexOptions): string {
  const m = options.connectivity ?? 16;
  const ef = options.expansionAdd ?? 64;
  return `approximate-index-m${m}-ef${ef}${options.equalizeNorms ? "-equalized" : ""}.usearch`;
}

function runTopNWorker(data: TopNWorkerData): Promise<TopNWorkerResult> {
  return firstMessageOf(startWorker("topn-worker", data), "the index thread");
}
