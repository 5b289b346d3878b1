import { createRequire } from "node:module";
import { getPriority } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { BACKGROUND_NICE } from "./background-priority.js";
import { workerBootstrap } from "./module-worker.js";

/** Runs runAtBackgroundPriority on a worker thread (from source, as startWorker does) and returns that thread's nice value. */
function niceOfAWorkerThatLowersItself(): Promise<number> {
  const tsxDir = dirname(createRequire(import.meta.url).resolve("tsx/package.json"));
  const tsx = pathToFileURL(join(tsxDir, "dist/esm/api/index.mjs")).href;
  const workers = new URL("./background-priority.ts", import.meta.url).href;
  const code = `
    const { parentPort } = await import("node:worker_threads");
    const { getPriority } = await import("node:os");
    (await import(${JSON.stringify(tsx)})).register();
    (await import(${JSON.stringify(workers)})).runAtBackgroundPriority();
    parentPort.postMessage(getPriority(0));`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(`(async () => {${code}})()`, { eval: true });
    worker.once("message", (nice: number) => {
      resolve(nice);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

describe.skipIf(process.platform !== "linux")("background priority of long work", () => {
  it("lowers the worker thread's priority and leaves the serving thread's as it was", async () => {
    const before = getPriority(0);
    const nice = await niceOfAWorkerThatLowersItself();
    // Raising a lowered priority needs privileges, so a thread already above BACKGROUND_NICE stays there.
    expect(nice).toBe(Math.max(before, BACKGROUND_NICE));
    expect(getPriority(0)).toBe(before);
  });
});

describe.skipIf(process.platform !== "linux")("a worker started in the background", () => {
  it("runs at background priority before its module is loaded, and the serving thread keeps its own", async () => {
    const before = getPriority(0);
    // A module that reports its thread's nice value as it is loaded: what the version reader's first
    // imports (from source, compiled as they load) run at.
    const reporter = `data:text/javascript,${encodeURIComponent(
      'import { parentPort } from "node:worker_threads"; import { getPriority } from "node:os"; parentPort.postMessage(getPriority(0));',
    )}`;
    const niceOf = (background: boolean) =>
      new Promise<number>((resolve, reject) => {
        const worker = new Worker(workerBootstrap(reporter, background), { eval: true });
        worker.once("message", (nice: number) => {
          resolve(nice);
          void worker.terminate();
        });
        worker.once("error", reject);
      });
    expect(await niceOf(true)).toBe(Math.max(before, BACKGROUND_NICE));
    expect(await niceOf(false)).toBe(before);
    expect(getPriority(0)).toBe(before);
  });
});
