import { describe, expect, it } from "vitest";
import { foldPlays } from "../affinity/cells.js";
import { buildPairwiseSet } from "../affinity/pairwise-set.js";
import { defaultLabelRule } from "../affinity/weighting.js";
import { Random } from "../random.js";
import { aliasTable, simulateInteractions, userDegrees } from "./interactions.js";

describe("simulateInteractions", () => {
  const options = { interactions: 20_000, users: 500, items: 400, days: 2, seed: 5 };
  const sim = simulateInteractions(options);

  it("makes exactly the asked number of distinct (user, item) pairs, in range", () => {
    const n = sim.userIndex.length;
    expect(n).toBe(20_000);
    const pairs = new Set<number>();
    let outOfRange = 0;
    for (let r = 0; r < n; r++) {
      const u = sim.userIndex[r];
      const i = sim.itemIndex[r];
      if (u < 0 || u >= 500 || i < 0 || i >= 400) outOfRange++;
      pairs.add(u * 400 + i);
    }
    expect(outOfRange).toBe(0);
    expect(pairs.size).toBe(n);
    expect(sim.draws).toBeGreaterThanOrEqual(n - sim.uniformFills);
  });

  it("is deterministic for a seed and orders rows by end time", () => {
    const again = simulateInteractions(options);
    const same = (x: ArrayBufferView, y: ArrayBufferView) =>
      Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
        Buffer.from(y.buffer, y.byteOffset, y.byteLength),
      );
    expect(same(again.userIndex, sim.userIndex)).toBe(true);
    expect(same(again.itemIndex, sim.itemIndex)).toBe(true);
    expect(same(again.playedMs, sim.playedMs)).toBe(true);
    let unordered = 0;
    for (let r = 1; r < sim.endTimeMs.length; r++) if (sim.endTimeMs[r] < sim.endTimeMs[r - 1]) unordered++;
    expect(unordered).toBe(0);
    expect(same(simulateInteractions({ ...options, seed: 6 }).itemIndex, sim.itemIndex)).toBe(false);
  });

  it("mixes long plays and skips, so both the P and the N tier exist", () => {
    let long = 0;
    let invalid = 0;
    for (let r = 0; r < sim.playedMs.length; r++) {
      const played = sim.playedMs[r];
      if (!(played >= 0 && played <= sim.itemLengthMs[r])) invalid++;
      if (played >= 30_000) long++;
    }
    expect(invalid).toBe(0);
    expect(long).toBe(sim.longPlays);
    expect(long / sim.playedMs.length).toBeGreaterThan(0.4);
    expect(long / sim.playedMs.length).toBeLessThan(0.9);
    const set = buildPairwiseSet(foldPlays(sim, defaultLabelRule));
    expect(set.positives.length).toBe(long);
    expect(set.negatives.length).toBe(20_000 - long);
  });

  it("has skewed item popularity and user activity", () => {
    const perItem = new Int32Array(400);
    const perUser = new Int32Array(500);
    for (let r = 0; r < sim.itemIndex.length; r++) {
      perItem[sim.itemIndex[r]]++;
      perUser[sim.userIndex[r]]++;
    }
    const sorted = (xs: Int32Array) => [...xs].sort((a, b) => b - a);
    const items = sorted(perItem);
    const users = sorted(perUser);
    expect(items[0]).toBeGreaterThan(3 * items[200]);
    expect(users[0]).toBeGreaterThan(3 * users[250]);
    expect(users[499]).toBeGreaterThanOrEqual(1);
  });
});

describe("userDegrees", () => {
  it("sums to the interactions, each user between 1 and half the items", () => {
    const d = userDegrees(new Random(1), 5000, 100, 120, 0.4);
    expect(d.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...d)).toBeLessThanOrEqual(60);
    expect(() => userDegrees(new Random(1), 7000, 100, 120, 0.4)).toThrow();
  });
});

describe("aliasTable", () => {
  it("draws indexes in proportion to their weights", () => {
    const table = aliasTable(Float64Array.from([1, 0, 3, 4]));
    const rng = new Random(3);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 40_000; k++) counts[table.draw(rng)]++;
    expect(counts[1]).toBe(0);
    expect(counts[0] / 40_000).toBeCloseTo(0.125, 1);
    expect(counts[3] / 40_000).toBeCloseTo(0.5, 1);
  });
});
