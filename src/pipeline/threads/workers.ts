import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../../threads/index.js";

/** The worker entry files of this folder. */
export type WorkerName =
  | "bpr-worker"
  | "wrmf-worker"
  | "train-worker"
  | "topn-worker"
  | "recommender-worker"
  | "failure-classifier-worker"
  | "version-reader-worker";

/**
 * Starts a worker thread of this folder by name (its .ts file from source, its .js file from dist/).
 * `background`: the thread runs at background priority from its first instruction (see workerBootstrap).
 */
export function startWorker(
  name: WorkerName,
  data: unknown,
  transferList: ArrayBuffer[] = [],
  options: { background?: boolean } = {},
): Worker {
  return startModuleWorker(import.meta.url, name, data, { transferList, background: options.background });
}

/**
 * A worker thread of this folder (bpr-worker, wrmf-worker) that answers each message it is sent with one
 * message when the work is done: run() resolves then, or rejects if the worker fails or exits.
 */
export class ThreadWorker {
  private readonly worker: Worker;
  private pending: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(name: "bpr-worker" | "wrmf-worker", data: unknown) {
    this.worker = startWorker(name, data);
    this.worker.on("message", () => this.settle(null));
    this.worker.on("error", (e) => this.settle(e));
    this.worker.on("exit", (code) => this.settle(new Error(`a ${name} thread exited (code ${code})`)));
  }

  run(message: unknown): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }

  private settle(error: Error | null): void {
    const p = this.pending;
    this.pending = null;
    if (error) this.failure ??= error;
    if (!p) return;
    if (error) p.reject(error);
    else p.resolve();
  }
}
