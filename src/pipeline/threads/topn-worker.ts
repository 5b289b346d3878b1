/**
 * Builds the approximate top-N index of a model version on a thread of its own (see topn-threads.ts):
 * the HNSW build takes seconds above 50k items, which on the serving thread would stall every request.
 * Saves it beside the model (temporary name, then rename), chooses its search breadth by recall, and says so.
 */
import { renameSync } from "node:fs";
import { parentPort, threadId, workerData } from "node:worker_threads";
import { ApproximateIndex, measureRecall, searchRecallFloor } from "../../core/topn/index.js";
import { runAtBackgroundPriority } from "../../threads/index.js";
import { writeFileSynced } from "../model-files.js";
import type { TopNWorkerData, TopNWorkerResult } from "./topn-threads.js";

const port = parentPort;
if (!port) throw new Error("topn-worker.ts runs as a worker thread");
runAtBackgroundPriority();
const { model, options, recallQueries, seed, path } = workerData as TopNWorkerData;
const index = ApproximateIndex.build(model, options);
const tmp = `${path}.tmp-${process.pid}-${threadId}`;
index.native.save(tmp);
renameSync(tmp, path);
// The search breadth (ef) is the index's main cost per request (issue 11: about 0.2 ms of a
// recommendation at 64). The narrowest breadth whose recall@10 against the exact top-10 reaches the
// floor serves, measured here on the saved index over the model's own users' vectors (recall of the
// approximation, no held-out data involved); when none does, the widest tried.
const built = index.options.expansionSearch;
const tried = [...new Set([16, 24, 32, 48, built])].filter((ef) => ef <= built).sort((a, b) => a - b);
const recallByExpansionSearch: Record<string, number> = {};
let chosen = built;
for (const ef of tried) {
  const at =
    ef === built
      ? index
      : ApproximateIndex.adopt(model, { ...options, expansionSearch: ef }, 0, (empty) => empty.view(path));
  recallByExpansionSearch[ef] = measureRecall(model, at, recallQueries, 10, seed);
  if (recallByExpansionSearch[ef] >= searchRecallFloor) {
    chosen = ef;
    break;
  }
}
const result: TopNWorkerResult = {
  recall: recallByExpansionSearch[chosen],
  buildSeconds: index.buildSeconds,
  expansionSearch: chosen,
  recallByExpansionSearch,
};
// The recall last: its file marks the index beside it as complete.
writeFileSynced(`${path}.json`, JSON.stringify(result));
port.postMessage(result);
