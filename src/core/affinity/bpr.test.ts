import { describe, expect, it } from "vitest";
import { aucMannWhitney } from "../metrics/correlation.js";
import { Random } from "../random.js";
import { trainBpr } from "./bpr.js";
import { foldPlays, playTableFromRows } from "./cells.js";
import { factorScore } from "./factor-model.js";
import { buildPairwiseSet } from "./pairwise-set.js";
import { trainWarp } from "./warp.js";
import { defaultLabelRule } from "./weighting.js";
import { trainWrmf } from "./wrmf.js";

/**
 * A planted world: users and items each belong to one of two groups; a user plays items of their group
 * through and skips the others. Some pairs are held out to check generalisation.
 */
function plantedWorld(seed: number) {
  const rng = new Random(seed);
  const nUsers = 60;
  const nItems = 80;
  const rows: Array<[number, number, number]> = [];
  const heldOut: Array<[number, number, boolean]> = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      const liked = u % 2 === i % 2;
      const r = rng.next();
      if (r < 0.25) rows.push([u, i, liked ? 200_000 : 3_000]);
      else if (r < 0.3) heldOut.push([u, i, liked]);
    }
  }
  return { plays: playTableFromRows(rows, nUsers, nItems), heldOut };
}

describe("trainBpr", () => {
  const { plays, heldOut } = plantedWorld(7);
  const set = buildPairwiseSet(foldPlays(plays, defaultLabelRule));

  it("learns the planted taste well enough to rank unseen pairs", () => {
    const model = trainBpr(set, { factors: 8, epochs: 30, seed: 1 });
    const scores = heldOut.map(([u, i]) => factorScore(model, u, i));
    expect(
      aucMannWhitney(
        scores,
        heldOut.map(([, , liked]) => liked),
      ),
    ).toBeGreaterThan(0.9);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const a = trainBpr(set, { factors: 4, epochs: 3, seed: 5 });
    const b = trainBpr(set, { factors: 4, epochs: 3, seed: 5 });
    const c = trainBpr(set, { factors: 4, epochs: 3, seed: 6 });
    expect(Array.from(a.userFactors)).toEqual(Array.from(b.userFactors));
    expect(Array.from(a.itemFactors)).not.toEqual(Array.from(c.itemFactors));
  });

  it("P+N puts a skipped item below an item never played; P-only cannot", () => {
    // One user, item 0 loved, item 1 skipped many times, items 2..19 unplayed (popular with others).
    const rows: Array<[number, number, number]> = [[0, 0, 300_000]];
    for (let k = 0; k < 5; k++) rows.push([0, 1, 1_000]);
    for (let u = 1; u < 20; u++)
      for (let i = 0; i < 20; i++) if ((u + i) % 3 === 0) rows.push([u, i, 200_000]);
    const t = playTableFromRows(rows, 20, 20);
    const cells = foldPlays(t, defaultLabelRule);
    const pn = trainBpr(buildPairwiseSet(cells), { factors: 8, epochs: 200, seed: 2 });
    let below = 0;
    for (let j = 2; j < 20; j++) if (factorScore(pn, 0, 1) < factorScore(pn, 0, j)) below++;
    expect(below).toBeGreaterThanOrEqual(15);
  });
});

describe("trainWarp", () => {
  it("learns the planted taste, deterministically for a seed", () => {
    const { plays, heldOut } = plantedWorld(13);
    const set = buildPairwiseSet(foldPlays(plays, defaultLabelRule));
    const model = trainWarp(set, { factors: 8, epochs: 30, seed: 4 });
    const scores = heldOut.map(([u, i]) => factorScore(model, u, i));
    expect(
      aucMannWhitney(
        scores,
        heldOut.map(([, , liked]) => liked),
      ),
    ).toBeGreaterThan(0.9);
    const again = trainWarp(set, { factors: 8, epochs: 30, seed: 4 });
    expect(Array.from(again.itemFactors)).toEqual(Array.from(model.itemFactors));
  });
});

describe("trainWrmf", () => {
  // Pointwise least squares ranks less sharply than BPR here (random would be 0.5).
  it("learns the planted taste too", () => {
    const { plays, heldOut } = plantedWorld(11);
    const model = trainWrmf(buildPairwiseSet(foldPlays(plays, defaultLabelRule)), {
      factors: 8,
      iterations: 10,
    });
    const scores = heldOut.map(([u, i]) => factorScore(model, u, i));
    expect(
      aucMannWhitney(
        scores,
        heldOut.map(([, , liked]) => liked),
      ),
    ).toBeGreaterThan(0.85);
  });
});
