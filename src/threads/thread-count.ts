import { availableParallelism } from "node:os";

/** Threads to use for a requested count: 0 or undefined = every core (os.availableParallelism()). */
export function resolveThreads(threads: number | undefined): number {
  return threads === undefined || threads <= 0 ? availableParallelism() : Math.floor(threads);
}
