import type { TimedPlayTable } from "../core/affinity/affinity-model.js";
import type { PlayColumns } from "../store/event-store.js";

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
