import { setPriority } from "node:os";

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
