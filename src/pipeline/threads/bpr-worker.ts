/**
 * A Hogwild BPR worker: instantiates the kernel on the shared memory it is given and runs its share of
 * each epoch when told (see bpr-threads.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { instantiateBprKernel } from "../../core/affinity/kernel/bpr-wasm.js";

export interface BprWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctx: number;
}

const { module, memory, ctx } = workerData as BprWorkerData;
const kernel = instantiateBprKernel(module, memory);
const port = parentPort;
if (!port) throw new Error("bpr-worker.ts runs as a worker thread");
port.on("message", (samples: number) => {
  kernel.train(ctx, samples);
  port.postMessage(samples);
});
