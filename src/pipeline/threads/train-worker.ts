/**
 * The whole training run of a model version on a thread of its own (see train-threads.ts): the label
 * folding, the pairwise sets, the factorizations (BPR, WARP, or BPR on further Hogwild workers), the blend
 * fit and the atomic save. The thread that started it (the server's) only reads the store before and
 * registers the version after, so it keeps answering requests meanwhile.
 */
import { parentPort, workerData } from "node:worker_threads";
import { trainAffinityModelWith } from "../../core/affinity/affinity-model.js";
import { runAtBackgroundPriority } from "../../threads/index.js";
import { saveModel } from "../model-files.js";
import { fitServedResolveBlend } from "../resolve-blend.js";
import { trainFactorsOnThreads } from "../train.js";
import {
  type TrainWorkerData,
  type TrainWorkerMessage,
  trainServedTopNOffThread,
  transferablesOf,
} from "./train-threads.js";

const port = parentPort;
if (!port) throw new Error("train-worker.ts runs as a worker thread");
runAtBackgroundPriority();
const { plays, users, items, config, save, approximateAbove, resolveFit } = workerData as TrainWorkerData;
const send = (message: TrainWorkerMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);

// The top-N model recommend serves, chosen and trained on the same plays (see trainServedTopN), on a thread
// of its own beside the factorization below: the plays are copied to it before they are read here.
const topNRun =
  config.topN === false || plays.nItems > (approximateAbove ?? Number.POSITIVE_INFINITY)
    ? Promise.resolve(null)
    : trainServedTopNOffThread({ plays, config, approximateAbove }, (phase, done, total) =>
        send({ type: "progress", phase, done, total }),
      );
// Its failure is reported where it is awaited, below; until then it must not count as unhandled.
topNRun.catch(() => undefined);
// Folding the plays and building the pairwise sets comes before the first epoch, and takes seconds on
// millions of plays.
send({ type: "progress", phase: "prepare training data", done: 0, total: 1 });
const model = await trainAffinityModelWith(
  trainFactorsOnThreads,
  plays,
  users,
  items,
  config,
  (phase, done, total) => send({ type: "progress", phase: `train ${phase}`, done, total }),
);
// How much resolve trusts each user's evidence over the prior, fitted on the last days of logged turns
// with a model of the days before them (see fitServedResolveBlend).
if (resolveFit) {
  send({ type: "progress", phase: "fit resolve blend", done: 0, total: 1 });
  const fit = fitServedResolveBlend(plays, users, items, config, resolveFit.turns, resolveFit.catalogue);
  if (fit) save.extras.resolveBlend = fit;
}
const topN = await topNRun;
send({ type: "progress", phase: "save model", done: 0, total: 1 });
const path = saveModel(save.modelsDir, save.version, model, save.meta, save.extras, topN ?? undefined);
// The names are the caller's own arrays; only the numbers go back, moved rather than copied.
const { users: _users, items: _items, ...numbers } = model;
send({ type: "done", path, model: numbers, recommender: topN?.name ?? null }, transferablesOf(numbers));
