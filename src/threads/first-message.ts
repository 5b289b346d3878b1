import type { Worker } from "node:worker_threads";

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
