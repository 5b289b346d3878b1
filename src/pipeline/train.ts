import { type FactorTrainer, type TimedPlayTable, trainFactors } from "../core/affinity/affinity-model.js";
import type { PlayColumns } from "../store/event-store.js";
import { resolveThreads } from "../threads/index.js";
import { trainBprThreaded } from "./threads/bpr-threads.js";

/** The store's columns as the core's play table (no copies: the typed arrays are shared). */
export function playTableFromColumns(columns: PlayColumns): TimedPlayTable {
  return {
    nUsers: columns.users.length,
    nItems: columns.items.length,
    userIndex: columns.userIndex,
    itemIndex: columns.itemIndex,
    playedMs: columns.playedMs,
    itemLengthMs: columns.itemLengthMs,
    weight: columns.weight,
    endTimeMs: columns.endTimeMs,
  };
}

/**
 * The factor trainer of Engine.train: BPR on `config.threads` worker threads (see trainBprThreaded), any
 * other loss or one thread as the core trains it.
 */
export const trainFactorsOnThreads: FactorTrainer = async (config, set, options) => {
  const threads = resolveThreads(config.threads ?? 1);
  if (config.loss === "warp" || threads <= 1) return trainFactors(config, set, options);
  return trainBprThreaded(set, { ...options, threads });
};
