import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { playEventSchema } from "../schema/events.js";
import { eventKey } from "../store/event-key.js";
import { validatePlayRows, validateRows } from "./validation.js";

/** Rows as clients send them, good and bad: every field's edge cases, other types, keys in any order. */
function randomRows(seed: number, count: number): unknown[] {
  const rng = new Random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextUint32() % xs.length];
  const ids = [
    "",
    "u",
    "x".repeat(200),
    "x".repeat(201),
    "😀".repeat(100),
    "😀".repeat(101),
    "\ud800",
    "a\udc00b",
    7,
  ];
  const items = ["a|b", "y".repeat(1000), "y".repeat(1001), "", null];
  const times = [
    "2021-03-11T17:34:12.000Z",
    "2021-03-11T17:34:12Z",
    "2021-03-11T18:34:12+01:00",
    "2021-03-11T17:34:12",
    "2021-03-11T17:34",
    "2021-03-11t17:34:12Z",
    "2021-03-11 17:34:12Z",
    "2021-02-29T00:00:00Z",
    "2020-02-29T00:00:00Z",
    "2021-03-11T23:59:60Z",
    "2021-03-11",
    "soon",
    1615484052000,
  ];
  const numbers = [0, -0, 1, -1, 1.5, 604_800_000, 604_800_001, 2 ** 53, "5", null];
  const contexts = [
    { deviceType: "tv", hasScreen: true },
    { hasScreen: false, deviceType: "speaker", extra: { b: 1, a: "x", c: true } },
    { extra: { a: 1 }, activity: "cooking", deviceState: "idle" },
    { deviceType: "" },
    { colour: "red" },
    { extra: { a: [1] } },
    [],
  ];
  const rows: unknown[] = [];
  for (let n = 0; n < count; n++) {
    const row: Record<string, unknown> = {
      user: rng.nextUint32() % 4 ? `u${n % 7}` : pick(ids),
      item: rng.nextUint32() % 4 ? "a|b" : pick(items),
      endTime: rng.nextUint32() % 3 ? "2021-03-11T17:34:12.000Z" : pick(times),
      playedMs: rng.nextUint32() % 3 ? 1000 * (n % 50) : pick(numbers),
    };
    if (rng.nextUint32() % 3 === 0) row.eventId = rng.nextUint32() % 3 ? `id-${n}` : pick(ids);
    if (rng.nextUint32() % 3 === 0) row.itemLengthMs = pick(numbers);
    if (rng.nextUint32() % 4 === 0) row.weight = pick(numbers);
    if (rng.nextUint32() % 4 === 0) row.context = pick(contexts);
    if (rng.nextUint32() % 5 === 0) row.endReason = pick(["skipped", "completed", "bored", 3]);
    if (rng.nextUint32() % 6 === 0) row.requestText = pick(["play it", "z".repeat(2001), ""]);
    if (rng.nextUint32() % 8 === 0) row.requestId = pick(ids);
    if (rng.nextUint32() % 15 === 0) row.colour = "blue";
    // Keys in another order than the schema's, as any client may send them.
    const keys = Object.keys(row);
    for (let k = keys.length - 1; k > 0; k--) {
      const j = rng.nextUint32() % (k + 1);
      [keys[k], keys[j]] = [keys[j], keys[k]];
    }
    rows.push(
      rng.nextUint32() % 40 === 0
        ? pick(["not an event", 3, null, []])
        : Object.fromEntries(keys.map((k) => [k, row[k]])),
    );
  }
  return rows;
}

describe("validatePlayRows", () => {
  it("accepts and rejects exactly what validateRows with playEventSchema does, with the same reasons and keys", () => {
    for (const seed of [1, 2, 3]) {
      const rows = randomRows(seed, 3000);
      const fast = validatePlayRows(rows);
      const reference = validateRows(rows, playEventSchema, "events");
      expect(fast.rejects).toEqual(reference.rejects);
      expect(fast.valid).toEqual(reference.valid);
      // The idempotence key hashes the context's JSON: the keys must be the ones the parsed rows give.
      expect(fast.valid.map((e) => eventKey(e))).toEqual(reference.valid.map((e) => eventKey(e)));
      // The test means something: both kinds of row are common.
      expect(fast.valid.length).toBeGreaterThan(500);
      expect(fast.rejects.length).toBeGreaterThan(500);
    }
  });

  it("names the row and the field of each reject", () => {
    const good = { user: "u", item: "i", endTime: "2021-03-11T17:34:12Z", playedMs: 5 };
    const { valid, rejects } = validatePlayRows([
      good,
      { ...good, playedMs: -1 },
      { ...good, user: "\ud800" },
    ]);
    expect(valid).toEqual([good]);
    expect(rejects.map((r) => [r.index, r.path])).toEqual([
      [1, "events[1].playedMs"],
      [2, "events[2].user"],
    ]);
    expect(rejects[1].reason).toMatch(/lone UTF-16 surrogate/);
  });
});
