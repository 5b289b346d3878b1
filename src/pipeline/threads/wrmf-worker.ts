/** A WRMF worker: solves the rows of one side it is told to, on the factors shared with the main thread. */
import { parentPort, workerData } from "node:worker_threads";
import { CgScratch, solveRows } from "../../core/affinity/wrmf.js";
import type { WrmfSolve, WrmfWorkerData } from "./wrmf-threads.js";

const { X, Y, byUser, byItem, gram, factors, cgSteps } = workerData as WrmfWorkerData;
const scratch = new CgScratch(factors, gram);
const port = parentPort;
if (!port) throw new Error("wrmf-worker.ts runs as a worker thread");
port.on("message", ({ side, from, to }: WrmfSolve) => {
  if (side === "users") solveRows(X, Y, byUser, from, to, factors, { cgSteps }, scratch);
  else solveRows(Y, X, byItem, from, to, factors, { cgSteps }, scratch);
  port.postMessage(null);
});
