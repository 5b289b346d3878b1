/**
 * Builds the approximate top-N index of a model version on a thread of its own (see topn-threads.ts):
 * the HNSW build takes seconds above 50k items, which on the serving thread would stall every request.
 * Measures its recall, saves it beside the model (temporary name, then rename) and says so.
 */
import { renameSync } from "node:fs";
import { parentPort, threadId, workerData } from "node:worker_threads";
import { ApproximateIndex, measureRecall } from "../../core/topn/index.js";
import { writeFileSynced } from "../model-files.js";
import type { TopNWorkerData, TopNWorkerResult } from "./topn-threads.js";

const port = parentPort;
if (!port) throw new Error("topn-worker.ts runs as a worker thread");
const { model, options, recallQueries, seed, path } = workerData as TopNWorkerData;
const index = ApproximateIndex.build(model, options);
const result: TopNWorkerResult = {
  recall: measureRecall(model, index, recallQueries, 10, seed),
  buildSeconds: index.buildSeconds,
};
const tmp = `${path}.tmp-${process.pid}-${threadId}`;
index.native.save(tmp);
renameSync(tmp, path);
// The recall last: its file marks the index beside it as complete.
writeFileSynced(`${path}.json`, JSON.stringify(result));
port.postMessage(result);
