import { describe, expect, it } from "vitest";
import type { TimedPlayTable } from "../affinity/affinity-model.js";
import { heldOutWithin, splitAtPerUserQuantile } from "./split.js";

const day = 86_400_000;

/** Two users; user 0 plays on days 0-9, user 1 on days 20-39 (every other day). */
function plays(): TimedPlayTable {
  const rows: Array<[number, number]> = [];
  for (let d = 0; d < 10; d++) rows.push([0, d]);
  for (let d = 20; d < 40; d += 2) rows.push([1, d]);
  const n = rows.length;
  return {
    nUsers: 2,
    nItems: 1,
    userIndex: Int32Array.from(rows, (r) => r[0]),
    itemIndex: new Int32Array(n),
    playedMs: new Float64Array(n).fill(60_000),
    itemLengthMs: new Float64Array(n).fill(200_000),
    weight: new Float64Array(n).fill(Number.NaN),
    endTimeMs: Float64Array.from(rows, (r) => r[1] * day),
  };
}

describe("heldOutWithin", () => {
  it("keeps only each user's held-out plays within the horizon after their own cut", () => {
    const p = plays();
    const split = splitAtPerUserQuantile(p, 0.5);
    // User 0's cut is day 5 (held out: days 5-9); user 1's is day 30 (held out: 30, 32, ..., 38).
    const week = heldOutWithin(p, split, 3);
    const heldOutDays = (u: number, mask: Uint8Array) =>
      [...mask.keys()].filter((r) => p.userIndex[r] === u && mask[r] === 0).map((r) => p.endTimeMs[r] / day);
    expect(heldOutDays(0, split.isTrain)).toEqual([5, 6, 7, 8, 9]);
    expect(heldOutDays(0, week.isTrain)).toEqual([5, 6, 7]);
    expect(heldOutDays(1, week.isTrain)).toEqual([30, 32]);
    // Training is untouched; what is beyond the horizon is on neither side.
    for (let r = 0; r < split.isTrain.length; r++)
      if (split.isTrain[r] === 1) expect(week.isTrain[r]).toBe(1);
    expect([...week.isTrain].filter((v) => v === 2)).toHaveLength(2 + 3);
    expect(week.description).toEqual({ kind: "per-user", share: 0.5, horizonDays: 3 });
  });
});
