import { describe, expect, it } from "vitest";
import { findCell, foldPlays, historyMean, itemPopularity, playTableFromRows } from "./cells.js";
import { buildPairwiseSet, containsSorted, pairwiseBytesPerInteraction } from "./pairwise-set.js";
import { defaultLabelRule } from "./weighting.js";

const table = playTableFromRows;

describe("foldPlays", () => {
  const plays = table(
    [
      [0, 2, 600_000], // +1
      [0, 2, 0], // -1
      [0, 2, 315_000], // +0.5
      [0, 1, 15_000], // -0.5
      [1, 0, 600_000], // +1
      [1, 2, 30_000], // +0.05 (floor)
      [2, 1, 0, 4], // explicit weight 4
    ],
    3,
    3,
  );
  const cells = foldPlays(plays, defaultLabelRule);

  it("makes one cell per (user, item), items ascending within a user", () => {
    expect(Array.from(cells.rowPtr)).toEqual([0, 2, 4, 5]);
    expect(Array.from(cells.items)).toEqual([1, 2, 0, 2, 1]);
    expect(Array.from(cells.count)).toEqual([1, 3, 1, 1, 1]);
    expect(Array.from(cells.longCount)).toEqual([0, 2, 1, 1, 1]);
  });

  it("sums label times weight (the reference's folding rule)", () => {
    expect(cells.sum[findCell(cells, 0, 2)]).toBeCloseTo(0.5, 6);
    expect(historyMean(cells, 0, 2)).toBeCloseTo(0.5 / 3, 6);
    expect(historyMean(cells, 0, 1)).toBeCloseTo(-0.5, 6);
    expect(historyMean(cells, 1, 1)).toBe(0);
    expect(historyMean(cells, 2, 1)).toBe(4);
  });

  it("counts long plays as popularity", () => {
    expect(Array.from(itemPopularity(cells))).toEqual([1, 1, 3]);
  });

  it("respects a row filter", () => {
    const firstThree = foldPlays(plays, defaultLabelRule, (r) => r < 3);
    expect(Array.from(firstThree.items)).toEqual([2]);
    expect(firstThree.count[0]).toBe(3);
  });
});

describe("buildPairwiseSet", () => {
  const plays = table(
    [
      [0, 0, 600_000],
      [0, 1, 0],
      [0, 3, 400_000],
      [1, 1, 200_000],
      [1, 2, 10_000],
      [1, 2, 10_000],
    ],
    2,
    4,
  );
  const cells = foldPlays(plays, { ...defaultLabelRule, weighting: "none" });

  it("puts P then N per user, with mean-1 weights and the cap", () => {
    const set = buildPairwiseSet(cells, { positivesOnly: false, cellCap: 1.5 });
    expect(Array.from(set.rowPtr)).toEqual([0, 3, 5]);
    expect(Array.from(set.pEnd)).toEqual([2, 4]);
    expect(Array.from(set.items)).toEqual([0, 3, 1, 1, 2]);
    // |s| = 1,1,1,1,2 capped at 1.5 -> mean 1.1
    expect(set.weight[4]).toBeCloseTo(1.5 / 1.1, 5);
    expect(Array.from(set.positives)).toEqual([0, 1, 3]);
    expect(Array.from(set.negatives)).toEqual([2, 4]);
    expect(Array.from(set.owner)).toEqual([0, 0, 0, 1, 1]);
    expect(containsSorted(set.items, set.rowPtr[0], set.pEnd[0], 3)).toBe(true);
    expect(containsSorted(set.items, set.rowPtr[0], set.pEnd[0], 1)).toBe(false);
    expect(pairwiseBytesPerInteraction(set)).toBeLessThan(24);
  });

  it("P-only keeps long-played pairs, unweighted, no N", () => {
    const set = buildPairwiseSet(cells, { positivesOnly: true, cellCap: 10 });
    expect(Array.from(set.items)).toEqual([0, 3, 1]);
    expect(set.negatives.length).toBe(0);
    expect(Array.from(set.weight)).toEqual([1, 1, 1]);
  });
});
