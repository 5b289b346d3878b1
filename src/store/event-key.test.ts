import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { eventTimeMs, type PlayEvent } from "../schema/events.js";
import { eventKey, OccurrenceCounter } from "./event-key.js";

/** The key as first written (a hash object over the fields joined with NUL): the slow, obvious reference. */
function referenceKey(event: PlayEvent, occurrence: number): bigint {
  const h = createHash("md5");
  if (event.eventId !== undefined) h.update(`id\u0000${event.eventId}`);
  else
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
  return BigInt(`0x${h.digest("hex")}`);
}

describe("eventKey", () => {
  it("is the md5 of the key text (known answers from md5sum)", () => {
    // printf 'id\0play-1' | md5sum
    expect(
      eventKey({ eventId: "play-1", user: "u", item: "i", endTime: "2021-03-11T17:34:12Z", playedMs: 1 }),
    ).toBe(0x8d47f7412afd3aac4901bb5e39b0a54dn);
    // printf 'ev\0u1\0a|b\0001615484052000\000180000\0\0\0\0\0\0000' | md5sum
    expect(
      eventKey({ user: "u1", item: "a|b", endTime: "2021-03-11T17:34:12.000Z", playedMs: 180_000 }),
    ).toBe(0x05c6c72ac77b5a09670acb199ef2fd1an);
  });

  it("equals the reference on random events and occurrences, so stored keys stay valid", () => {
    const rng = new Random(11);
    const pick = <T>(xs: readonly T[]): T => xs[rng.nextUint32() % xs.length];
    const maybe = <T>(x: T): T | undefined => (rng.nextUint32() % 2 ? x : undefined);
    for (let n = 0; n < 2000; n++) {
      const event: PlayEvent = {
        eventId: rng.nextUint32() % 4 === 0 ? `id-${rng.nextUint32()}` : undefined,
        user: pick(["u", "ü", "user with space", "😀", `u${rng.nextUint32()}`]),
        item: pick(["a|b", "x\\|y", "\u0000", `item-${rng.nextUint32() % 50}`]),
        endTime: pick([
          "2021-03-11T17:34:12.000Z",
          "2021-03-11T18:34:12+01:00",
          "2021-03-11T17:34",
          "2021-03-11",
        ]),
        playedMs: rng.nextUint32() % 1_000_000,
        itemLengthMs: maybe(1 + (rng.nextUint32() % 400_000)),
        weight: maybe(pick([0, -1.5, 3, 1e-7, 2 ** 60])),
        endReason: maybe(pick(["completed", "skipped"] as const)),
        requestText: maybe(pick(["", "play it", "a\u0000b"])),
        context: maybe(pick([{}, { deviceType: "tv" }, { hasScreen: false, extra: { a: 1, b: "x" } }])),
      };
      // Keys of absent fields: as a JSON body gives them (no key at all), not as an explicit undefined.
      for (const k of Object.keys(event) as (keyof PlayEvent)[]) if (event[k] === undefined) delete event[k];
      const occurrence = rng.nextUint32() % 3;
      expect(eventKey(event, occurrence)).toBe(referenceKey(event, occurrence));
    }
  });

  it("numbers identical events within a source, and again from 0 after reset", () => {
    const play: PlayEvent = { user: "u", item: "i", endTime: "2021-03-11T17:34:12Z", playedMs: 5 };
    const counter = new OccurrenceCounter();
    expect([counter.keyFor(play), counter.keyFor({ ...play }), counter.keyFor(play)]).toEqual([
      referenceKey(play, 0),
      referenceKey(play, 1),
      referenceKey(play, 2),
    ]);
    counter.reset();
    expect(counter.keyFor(play)).toBe(referenceKey(play, 0));
  });

  it("gives the reference's keys, occurrences counted, whether the caller passes the end time or not", () => {
    const rng = new Random(23);
    const pick = <T>(xs: readonly T[]): T => xs[rng.nextUint32() % xs.length];
    // Few distinct values, so that identical events repeat and occurrences past 0 are numbered.
    const events: PlayEvent[] = Array.from({ length: 3000 }, () => ({
      ...(rng.nextUint32() % 5 === 0 ? { eventId: `id-${rng.nextUint32() % 20}` } : {}),
      user: pick(["u", "ü"]),
      item: pick(["a", "b"]),
      endTime: pick([
        "2021-03-11T17:34:12.000Z",
        "2021-03-11T18:34:12+01:00",
        "2021-03-11T17:34",
        "2021-03-11",
      ]),
      playedMs: rng.nextUint32() % 3,
    }));
    const withTime = new OccurrenceCounter();
    const without = new OccurrenceCounter();
    const seen = new Map<string, number>();
    for (const event of events) {
      const text = JSON.stringify({ ...event, endTime: eventTimeMs(event.endTime) });
      const occurrence = event.eventId === undefined ? (seen.get(text) ?? 0) : 0;
      seen.set(text, occurrence + 1);
      const expected = referenceKey(event, occurrence);
      expect(withTime.keyFor(event, eventTimeMs(event.endTime))).toBe(expected);
      expect(without.keyFor(event)).toBe(expected);
    }
  });
});
