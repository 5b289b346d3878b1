import { describe, expect, it } from "vitest";
import { foldPlays, playTableFromRows } from "../../core/affinity/cells.js";
import { buildPairwiseSet } from "../../core/affinity/pairwise-set.js";
import { defaultLabelRule } from "../../core/affinity/weighting.js";
import { trainWrmf, wrmfSides } from "../../core/affinity/wrmf.js";
import { Random } from "../../core/random.js";
import { splitRows, trainWrmfThreaded } from "./wrmf-threads.js";

function randomSet(seed: number) {
  const rng = new Random(seed);
  const rows: Array<[number, number, number]> = [];
  for (let u = 0; u < 150; u++) {
    // Uneven activity, so an even split by rows would not be an even split of the work.
    const share = u < 10 ? 0.6 : 0.08;
    for (let i = 0; i < 120; i++)
      if (rng.next() < share) rows.push([u, i, rng.next() < 0.7 ? 200_000 : 2_000]);
  }
  return buildPairwiseSet(foldPlays(playTableFromRows(rows, 150, 120), defaultLabelRule));
}

describe("trainWrmfThreaded", () => {
  it("gives the one-thread factors bit for bit on 2 workers, reporting each iteration", async () => {
    const set = randomSet(3);
    const options = { factors: 8, iterations: 3, seed: 2 };
    const iterations: number[] = [];
    const threaded = await trainWrmfThreaded(set, {
      ...options,
      threads: 2,
      onIteration: (i) => iterations.push(i),
    });
    const single = trainWrmf(set, options);
    expect(iterations).toEqual([1, 2, 3]);
    expect(Array.from(threaded.userFactors)).toEqual(Array.from(single.userFactors));
    expect(Array.from(threaded.itemFactors)).toEqual(Array.from(single.itemFactors));
    // Not trivially equal: the solves moved the factors far from their start.
    const start = trainWrmf(set, { ...options, iterations: 0 });
    expect(Array.from(threaded.userFactors)).not.toEqual(Array.from(start.userFactors));
  });

  it("splits rows by work, not by count", () => {
    const { byUser } = wrmfSides(randomSet(3), 10);
    const bounds = splitRows(byUser, 2, 8, 3);
    expect(bounds[0]).toBe(0);
    expect(bounds[2]).toBe(150);
    // The 10 heavy users hold about a third of the cells, so the first part ends well before row 75.
    expect(bounds[1]).toBeGreaterThan(10);
    expect(bounds[1]).toBeLessThan(75);
  });
});
