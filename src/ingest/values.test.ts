import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { type PlayEvent, playEventSchema } from "../schema/events.js";
import { parseTime } from "./time.js";
import { surelyValid, toInt, toTime, validateEvent } from "./values.js";

describe("parseTime", () => {
  it.each([
    ["2021-03-11 17:34", "2021-03-11T17:34:00.000Z"],
    ["2021-03-11T17:34:12Z", "2021-03-11T17:34:12.000Z"],
    ["2021-03-11T18:34+01:00", "2021-03-11T17:34:00.000Z"],
    ["2021-03-11T17:34:12.5", "2021-03-11T17:34:12.500Z"],
    ["2021-03-11T17:34:12.123456789Z", "2021-03-11T17:34:12.123Z"],
    ["2021-03-11T17:34:12.12-0130", "2021-03-11T19:04:12.120Z"],
    ["2021-03-11", "2021-03-11T00:00:00.000Z"],
    ["2020-02-29 00:00", "2020-02-29T00:00:00.000Z"],
    ["1615484052", "2021-03-11T17:34:12.000Z"],
    ["1615484052000", "2021-03-11T17:34:12.000Z"],
    [1615484052.5, "2021-03-11T17:34:12.500Z"],
    [new Date("2021-03-11T17:34:12Z"), "2021-03-11T17:34:12.000Z"],
  ])("%s -> %s", (input, expected) => {
    expect(parseTime(input)).toBe(expected);
  });

  it.each([
    "2021-02-29 00:00",
    "2021-13-01",
    "2021-03-11T24:00",
    "2021-03-11T17:34:60",
    "2021-03-11T17:34:12Zx",
    "2021-03-11T17:3",
    "11/03/2021",
    "abc",
    "",
  ])("rejects %s", (input) => {
    expect(parseTime(input)).toBeUndefined();
  });
});

describe("field reasons", () => {
  it("reads as a person would", () => {
    expect(toInt("abc", "playedMs", false)).toMatchObject({
      field: "playedMs",
      reason: 'expected a non-negative integer, got "abc"',
    });
    expect(toInt("", "playedMs", false)).toMatchObject({
      reason: "expected a non-negative integer, got nothing",
    });
    expect(toInt("12", "playedMs", false)).toBe(12);
    expect(toInt(" 12.0 ", "playedMs", false)).toBe(12);
    expect(toTime("yesterday")).toMatchObject({
      field: "endTime",
      reason: expect.stringContaining('got "yesterday"'),
    });
  });
});

describe("surelyValid", () => {
  it("accepts the common rows without zod", () => {
    const e: PlayEvent = { user: "u", item: "a|b", endTime: "2021-03-11T17:34:12.000Z", playedMs: 5 };
    expect(surelyValid(e)).toBe(true);
    expect(surelyValid({ ...e, itemLengthMs: 3, weight: -1.5, endReason: "skipped", eventId: "x" })).toBe(
      true,
    );
    expect(
      surelyValid({ ...e, context: { deviceType: "tv", hasScreen: true, extra: { a: 1, b: "x" } } }),
    ).toBe(true);
  });

  it("never accepts what playEventSchema rejects", () => {
    const rng = new Random(7);
    const pick = <T>(xs: readonly T[]): T => xs[rng.nextUint32() % xs.length];
    const strings = [
      "",
      "u",
      "x".repeat(200),
      "x".repeat(201),
      "y".repeat(1000),
      "y".repeat(1001),
      " ",
      "u\ud800",
      "\udc00u",
      "\ud83c\udfb5",
    ];
    const times = [
      "2021-03-11T17:34:12.000Z",
      "2021-03-11T17:34:12Z",
      "2021-02-30T00:00:00.000Z",
      "soon",
      "",
    ];
    const numbers = [0, 1, -1, 1.5, 604800000, 604800001, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60];
    const optionalNumbers = [undefined, ...numbers];
    const contexts = [
      undefined,
      {},
      { deviceType: "" },
      { deviceType: "tv" },
      { hasScreen: "yes" },
      { extra: { a: Number.NaN } },
      { extra: { a: [1] } },
      { extra: { a: true } },
      { colour: "red" },
      { deviceState: "playing", activity: "cooking" },
      { deviceState: "" },
      { activity: "x".repeat(101) },
    ];
    let agreedValid = 0;
    for (let i = 0; i < 5000; i++) {
      const e = {
        user: pick(strings),
        item: pick(strings),
        endTime: pick(times),
        playedMs: pick(numbers),
        itemLengthMs: pick(optionalNumbers),
        weight: pick(optionalNumbers),
        context: pick(contexts),
        requestText: pick([undefined, "", "x".repeat(2001)]),
        endReason: pick([undefined, "completed", "bored"]),
        eventId: pick([undefined, "", "e", "x".repeat(201), "e\ud800"]),
        requestId: pick([undefined, "", "r1", "x".repeat(201), "\udfffr"]),
      } as PlayEvent;
      for (const k of Object.keys(e) as (keyof PlayEvent)[]) if (e[k] === undefined) delete e[k];
      if (surelyValid(e)) {
        expect(playEventSchema.safeParse(e).success).toBe(true);
        agreedValid++;
      }
      const v = validateEvent(e);
      expect(v === e).toBe(playEventSchema.safeParse(e).success);
    }
    expect(agreedValid).toBeGreaterThan(0);
  });
});
