/**
 * Worker-thread plumbing shared by every layer that starts threads (the pipeline's training and version
 * reading, the PostgreSQL store's model fetch): how a thread starts (from source or dist/, at background
 * priority), how its one answer is awaited, how many threads a count means, how a long job keeps to a
 * share of a core. Nothing here knows what a thread does.
 */
export { BACKGROUND_NICE, runAtBackgroundPriority } from "./background-priority.js";
export { CpuPacer, type CpuPacerClock } from "./cpu-pacer.js";
export { firstMessageOf } from "./first-message.js";
export { startModuleWorker, workerBootstrap } from "./module-worker.js";
export { resolveThreads } from "./thread-count.js";
