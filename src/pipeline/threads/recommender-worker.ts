/**
 * The served top-N model's selection and training (trainServedTopN) on a thread of its own, started by
 * the train worker beside the affinity model's factorization: the two read the same plays and share
 * nothing else, so on a machine with a core to spare choosing the top-N model adds little to the wall time
 * of `tastebud train` (the issue bounds it at +50%).
 */
import { parentPort, workerData } from "node:worker_threads";
import { runAtBackgroundPriority } from "../../threads/index.js";
import { trainServedTopN } from "../topn.js";
import { type RecommenderWorkerData, transferablesOf } from "./train-threads.js";

const port = parentPort;
if (!port) throw new Error("recommender-worker.ts runs as a worker thread");
runAtBackgroundPriority();
const { plays, config, approximateAbove } = workerData as RecommenderWorkerData;
const topN = trainServedTopN(plays, config, {
  approximateAbove,
  onProgress: (phase, done, total) => port.postMessage({ type: "progress", phase, done, total }),
});
port.postMessage({ type: "done", topN }, topN ? transferablesOf(topN.model) : []);
