import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { BACKGROUND_NICE } from "./background-priority.js";

// From dist/ a worker is plain .js. From source (vitest, tsx) it is .ts and needs tsx's loader, which
// Node 20 does not apply to a worker's entry through execArgv, so a one-line bootstrap registers it first.
const fromSource = import.meta.url.endsWith(".ts");

/**
 * Starts a worker thread running the module `name` beside `base` (an import.meta.url): its .ts file from
 * source, its .js file from dist/. `background`: the thread runs at BACKGROUND_NICE from its first
 * instruction (see workerBootstrap).
 */
export function startModuleWorker(
  base: string,
  name: string,
  data: unknown,
  options: { transferList?: ArrayBuffer[]; background?: boolean } = {},
): Worker {
  const url = new URL(`./${name}.${fromSource ? "ts" : "js"}`, base);
  const { transferList = [], background = false } = options;
  if (!fromSource && !background) return new Worker(url, { workerData: data, transferList });
  return new Worker(workerBootstrap(url.href, background), { eval: true, workerData: data, transferList });
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
