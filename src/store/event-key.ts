import { hash } from "node:crypto";
import { eventTimeMs, type PlayEvent } from "../schema/events.js";

/**
 * The dedupe key of a play. An event id, when given, is the identity. Otherwise the identity is every
 * field of the event plus how many identical events came before it in the same source file: re-ingesting
 * a file then adds nothing, while two genuinely identical plays in one file are both kept (Spotify's
 * minute-resolution exports hold distinct plays that differ only in milliseconds, or not at all).
 *
 * The key is the md5 of the text below, as a 128-bit number. Every stored play holds one, and the bulk
 * path computes the same in SQL (event-key-sql.ts), so the text must never change. It is built with one
 * template and hashed with the one-shot `hash`: a hash object and an array join per event cost about as
 * much as validating the event (POST /v1/events).
 */
export function eventKey(event: PlayEvent, occurrence = 0, endMs?: number): bigint {
  return BigInt(`0x${keyHex(event, occurrence, endMs)}`);
}

/** The key as 32 hex digits; `endMs`, when the caller has it, is eventTimeMs(event.endTime). */
function keyHex(event: PlayEvent, occurrence: number, endMs?: number): string {
  return hash("md5", eventKeyText(event, occurrence, endMs), "hex");
}

/** The text eventKey hashes: the event id, or every field and the occurrence, separated by NUL. */
function eventKeyText(event: PlayEvent, occurrence: number, endMs?: number): string {
  if (event.eventId !== undefined) return `id\u0000${event.eventId}`;
  const context = event.context ? JSON.stringify(event.context) : "";
  return `ev\u0000${event.user}\u0000${event.item}\u0000${endMs ?? eventTimeMs(event.endTime)}\u0000${event.playedMs}\u0000${
    event.itemLengthMs ?? ""
  }\u0000${event.weight ?? ""}\u0000${event.endReason ?? ""}\u0000${event.requestText ?? ""}\u0000${context}\u0000${occurrence}`;
}

/**
 * Counts repeats of identical events within one source so each gets its own key (see eventKey). The count
 * is kept by the key's hex digits rather than by the key: a Map of 128-bit BigInts cost about twice as much
 * per event as one of strings (POST /v1/events keys 10k plays a batch).
 */
export class OccurrenceCounter {
  private seen = new Map<string, number>();

  /** `endMs`, when the caller has it, is eventTimeMs(event.endTime): the time is then not parsed again. */
  keyFor(event: PlayEvent, endMs?: number): bigint {
    if (event.eventId !== undefined) return eventKey(event);
    const base = keyHex(event, 0, endMs);
    const n = this.seen.get(base) ?? 0;
    this.seen.set(base, n + 1);
    return n === 0 ? BigInt(`0x${base}`) : eventKey(event, n, endMs);
  }

  /** Called between source files: occurrence numbers are per file. */
  reset(): void {
    this.seen.clear();
  }
}
