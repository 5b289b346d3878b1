import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { trainAffinityModel } from "./affinity-model.js";
import { inUserRow } from "./bpr.js";
import { foldPlays, playTableFromRows } from "./cells.js";
import { createFactorModel, factorScore } from "./factor-model.js";
import { buildPairwiseSet } from "./pairwise-set.js";
import { pairwiseLoss, sampleLossPairs } from "./training-curve.js";
import { defaultLabelRule } from "./weighting.js";

/** Two taste groups: a user plays items of their group through and skips the others, at random times. */
function plantedPlays(seed: number) {
  const rng = new Random(seed);
  const nUsers = 50;
  const nItems = 70;
  const rows: Array<[number, number, number]> = [];
  for (let u = 0; u < nUsers; u++)
    for (let i = 0; i < nItems; i++)
      if (rng.next() < 0.3) rows.push([u, i, u % 2 === i % 2 ? 200_000 : 3_000]);
  const table = playTableFromRows(rows, nUsers, nItems);
  return { ...table, endTimeMs: Float64Array.from(rows, () => 1e12 + rng.next() * 30 * 86_400_000) };
}

describe("training curve", () => {
  const plays = plantedPlays(5);
  const set = buildPairwiseSet(foldPlays(plays, defaultLabelRule));

  it("samples pairs of the set's tiers: a played-long item over an unplayed one, or an unplayed one over a skip", () => {
    const pairs = sampleLossPairs(set, 500, 3);
    expect(pairs.users).toHaveLength(500);
    const inP = (u: number, i: number) => set.items.subarray(set.rowPtr[u], set.pEnd[u]).includes(i);
    const inN = (u: number, i: number) => set.items.subarray(set.pEnd[u], set.rowPtr[u + 1]).includes(i);
    let fromP = 0;
    for (let s = 0; s < 500; s++) {
      const [u, i, j] = [pairs.users[s], pairs.better[s], pairs.worse[s]];
      if (inP(u, i)) {
        fromP++;
        expect(inUserRow(set, u, j)).toBe(false);
      } else {
        expect(inN(u, j)).toBe(true);
        expect(inUserRow(set, u, i)).toBe(false);
      }
    }
    // Half the draws from each tier when there is an N tier.
    expect(fromP).toBeGreaterThan(200);
    expect(fromP).toBeLessThan(300);
    expect(sampleLossPairs(set, 500, 3)).toEqual(pairs);
  });

  it("is ln 2 for an untrained (all-zero) model and matches a direct sum for a random one", () => {
    const pairs = sampleLossPairs(set, 300, 1);
    const zero = createFactorModel(set.nUsers, set.nItems, 4);
    expect(pairwiseLoss(zero, pairs)).toBeCloseTo(Math.LN2, 12);
    const rng = new Random(2);
    const model = createFactorModel(set.nUsers, set.nItems, 4);
    for (const a of [model.userFactors, model.itemFactors, model.itemBias])
      for (let x = 0; x < a.length; x++) a[x] = rng.normal() * 3;
    let total = 0;
    let weights = 0;
    for (let s = 0; s < 300; s++) {
      const x =
        factorScore(model, pairs.users[s], pairs.better[s]) -
        factorScore(model, pairs.users[s], pairs.worse[s]);
      total += pairs.weight[s] * -Math.log(1 / (1 + Math.exp(-x)));
      weights += pairs.weight[s];
    }
    expect(pairwiseLoss(model, pairs)).toBeCloseTo(total / weights, 4);
  });

  it("falls over the epochs of training, on the training pairs and on the held-out latest plays", () => {
    const config = {
      rule: defaultLabelRule,
      pairwise: { positivesOnly: false, cellCap: 10 },
      bpr: { factors: 8, epochs: 15, learningRate: 0.05, regularization: 0.01, initStd: 0.1, seed: 1 },
      calibrationShare: 0.2,
      topN: false,
    };
    const users = Array.from({ length: 50 }, (_, u) => `u${u}`);
    const items = Array.from({ length: 70 }, (_, i) => `i${i}`);
    const curve = trainAffinityModel(plays, users, items, config).trainingCurve ?? [];
    const calibration = curve.filter((p) => p.phase === "calibration");
    const final = curve.filter((p) => p.phase === "final");
    expect(calibration.map((p) => p.epoch)).toEqual(Array.from({ length: 15 }, (_, e) => e + 1));
    expect(final).toHaveLength(15);
    expect(final.every((p) => p.validationLoss === undefined)).toBe(true);
    // Starting near ln 2 (small random factors), the planted taste is learned: both losses fall well below.
    expect(final[0].loss).toBeGreaterThan(final[14].loss);
    expect(final[14].loss).toBeLessThan(0.5);
    const first = calibration[0].validationLoss as number;
    const last = calibration[14].validationLoss as number;
    expect(last).toBeLessThan(first);
    expect(last).toBeLessThan(0.6);
  });
});
