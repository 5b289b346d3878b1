import { createRequire } from "node:module";
import { availableParallelism, setPriority } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** Threads to use for a requested count: 0 or undefined = every core (os.availableParallelism()). */
export function resolveThreads(threads: number | undefined): number {
  return threads === undefined || threads <= 0 ? availableParallelism() : Math.floor(threads);
}

/** The nice value of threads doing long background work (training, index builds): lower than serving's 0. */
export const BACKGROUND_NICE = 10;

/**
 * Lowers the calling thread's scheduling priority to BACKGROUND_NICE. Training and index builds run on
 * worker threads of the serving process; on Linux the nice value belongs to a thread, not the process,
 * so the thread answering requests keeps its priority and goes first when both want a core (threads this
 * one starts inherit the lower priority). Elsewhere a process-wide call would slow serving too, so it is
 * Linux only; where the OS refuses, nothing changes.
 */
export function runAtBackgroundPriority(): void {
  if (process.platform !== "linux") return;
  try {
    setPriority(0, BACKGROUND_NICE);
  } catch {
    // Not permitted here (a sandbox): the work runs at normal priority, as before.
  }
}

/** The worker entry files of this folder. */
export type WorkerName =
  | "bpr-worker"
  | "wrmf-worker"
  | "train-worker"
  | "topn-worker"
  | "recommender-worker"
  | "failure-classifier-worker"
  | "version-reader-worker";

// From dist/ a worker is plain .js. From source (vitest, tsx) it is .ts and needs tsx's loader, which
// Node 20 does not apply to a worker's entry through execArgv, so a one-line bootstrap registers it first.
const fromSource = import.meta.url.endsWith(".ts");

/**
 * Starts a worker thread of this folder by name (its .ts file from source, its .js file from dist/).
 * `background`: the thread runs at BACKGROUND_NICE from its first instruction (see workerBootstrap).
 */
export function startWorker(
  name: WorkerName,
  data: unknown,
  transferList: ArrayBuffer[] = [],
  options: { background?: boolean } = {},
): Worker {
  const url = new URL(`./${name}.${fromSource ? "ts" : "js"}`, import.meta.url);
  if (!fromSource && !options.background) return new Worker(url, { workerData: data, transferList });
  return new Worker(workerBootstrap(url.href, options.background ?? false), {
    eval: true,
    workerData: data,
    transferList,
  });
}

/**
 * The code a worker thread is started with to run the module at `moduleUrl`: from source, tsx registered
 * first; with `background`, the thread's priority lowered to BACKGROUND_NICE before anything else. A
 * worker entry that calls runAtBackgroundPriority does so only once its imports are loaded, and from
 * source that loading (compiling them) is most of the work of a short job such as reading a model
 * version: at normal priority it takes a core from the thread answering requests.
 */
export function workerBootstrap(moduleUrl: string, background: boolean): string {
  const lower = background
    ? `if (process.platform === "linux") { try { require("node:os").setPriority(0, ${BACKGROUND_NICE}); } catch {} }\n`
    : "";
  if (!fromSource) return `${lower}import(${JSON.stringify(moduleUrl)});`;
  // The ESM build of tsx/esm/api (require.resolve finds the CommonJS one, whose register() cannot run here).
  const tsxDir = dirname(createRequire(import.meta.url).resolve("tsx/package.json"));
  const tsx = pathToFileURL(join(tsxDir, "dist/esm/api/index.mjs")).href;
  return `${lower}import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); });`;
}

/**
 * The one message a worker thread posts before it ends, or its error; `what` names the thread in the error
 * when it exits without posting (killed, or ended early).
 */
export function firstMessageOf<T>(worker: Worker, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once("message", (message: T) => {
      settled = true;
      resolve(message);
    });
    worker.once("error", (err) => {
      settled = true;
      reject(err);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`${what} exited (code ${code}) before it finished`));
    });
  });
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
