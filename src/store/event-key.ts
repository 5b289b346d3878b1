import { createHash } from "node:crypto";
import { eventTimeMs, type PlayEvent } from "../schema/events.js";

/**
 * The dedupe key of a play. An event id, when given, is the identity. Otherwise the identity is every
 * field of the event plus how many identical events came before it in the same source file: re-ingesting
 * a file then adds nothing, while two genuinely identical plays in one file are both kept (Spotify's
 * minute-resolution exports hold distinct plays that differ only in milliseconds, or not at all).
 */
export function eventKey(event: PlayEvent, occurrence = 0): bigint {
  const h = createHash("md5");
  if (event.eventId !== undefined) {
    h.update(`id\u0000${event.eventId}`);
  } else {
    h.update(
      [
        "ev",
        event.user,
        event.item,
        eventTimeMs(event.endTime),
        event.playedMs,
        event.itemLengthMs ?? "",
        event.weight ?? "",
        event.endReason ?? "",
        event.requestText ?? "",
        event.context ? JSON.stringify(event.context) : "",
        occurrence,
      ].join("\u0000"),
    );
  }
  return BigInt(`0x${h.digest("hex")}`);
}

/** Counts repeats of identical events within one source so each gets its own key (see eventKey). */
export class OccurrenceCounter {
  private seen = new Map<bigint, number>();

  keyFor(event: PlayEvent): bigint {
    if (event.eventId !== undefined) return eventKey(event);
    const base = eventKey(event, 0);
    const n = this.seen.get(base) ?? 0;
    this.seen.set(base, n + 1);
    return n === 0 ? base : eventKey(event, n);
  }

  /** Called between source files: occurrence numbers are per file. */
  reset(): void {
    this.seen.clear();
  }
}
