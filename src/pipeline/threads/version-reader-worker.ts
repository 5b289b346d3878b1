/**
 * Reads one model version's folder for serving (see version-reader.ts) and posts it back, its typed
 * arrays transferred rather than copied.
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadManifest, loadModel, loadModelExtra, loadTopN } from "../model-files.js";
import { transferablesOf } from "./train-threads.js";
import type { VersionFiles, VersionReadRequest } from "./version-reader.js";

const port = parentPort;
if (!port) throw new Error("version-reader-worker.ts runs as a worker thread");
const { dir, withModel, extras } = workerData as VersionReadRequest;
const { model, manifest } = withModel ? loadModel(dir) : { model: null, manifest: loadManifest(dir) };
const files: VersionFiles = {
  manifest,
  model,
  recommender: loadTopN(dir, manifest),
  extras: Object.fromEntries(extras.map((name) => [name, loadModelExtra(dir, manifest, name)])),
};
port.postMessage(files, [
  ...(model ? transferablesOf(model) : []),
  ...(files.recommender ? transferablesOf(files.recommender) : []),
]);
