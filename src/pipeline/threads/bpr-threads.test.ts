import { describe, expect, it } from "vitest";
import { trainBpr } from "../../core/affinity/bpr.js";
import { foldPlays, playTableFromRows } from "../../core/affinity/cells.js";
import { type FactorModel, factorScore } from "../../core/affinity/factor-model.js";
import { bprWasmAvailable } from "../../core/affinity/kernel/bpr-wasm.js";
import { buildPairwiseSet } from "../../core/affinity/pairwise-set.js";
import { defaultLabelRule } from "../../core/affinity/weighting.js";
import { aucMannWhitney } from "../../core/metrics/correlation.js";
import { Random } from "../../core/random.js";
import { trainBprThreaded } from "./bpr-threads.js";

/**
 * Users and items in 4 taste groups; a user plays items of their group through and skips a few others.
 * Held-out pairs (liked or not) measure how well a model ranks what it has not seen. Big enough that two
 * workers do thousands of steps each per epoch, so their updates interleave.
 */
function plantedWorld(seed: number) {
  const rng = new Random(seed);
  const nUsers = 400;
  const nItems = 300;
  const rows: Array<[number, number, number]> = [];
  const heldOut: Array<[number, number, boolean]> = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      const liked = u % 4 === i % 4;
      const r = rng.next();
      if (r < (liked ? 0.12 : 0.03)) rows.push([u, i, liked ? 200_000 : 3_000]);
      else if (r < 0.16) heldOut.push([u, i, liked]);
    }
  }
  const set = buildPairwiseSet(foldPlays(playTableFromRows(rows, nUsers, nItems), defaultLabelRule));
  return { set, heldOut };
}

function heldOutAuc(model: FactorModel, heldOut: Array<[number, number, boolean]>): number {
  return aucMannWhitney(
    heldOut.map(([u, i]) => factorScore(model, u, i)),
    heldOut.map(([, , liked]) => liked),
  );
}

describe.runIf(bprWasmAvailable())("trainBprThreaded", () => {
  const { set, heldOut } = plantedWorld(5);
  // Few epochs, so the AUC is still well below 1 and a broken worker (lost or garbled steps) shows: half
  // the steps leave it near 0.6.
  const options = { factors: 16, epochs: 8, learningRate: 0.1 };

  it("reaches the held-out AUC of one thread within noise on 2 workers, and reports each epoch", async () => {
    const one: number[] = [];
    const two: number[] = [];
    for (const seed of [1, 2, 3]) {
      one.push(heldOutAuc(trainBpr(set, { ...options, seed }), heldOut));
      const epochs: number[] = [];
      const model = await trainBprThreaded(set, {
        ...options,
        seed,
        threads: 2,
        onEpoch: (e) => {
          epochs.push(e);
          return undefined;
        },
      });
      expect(epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      two.push(heldOutAuc(model, heldOut));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // One thread: about 0.87 ± 0.02 across seeds.
    expect(mean(one)).toBeGreaterThan(0.8);
    expect(mean(one)).toBeLessThan(0.95);
    expect(Math.abs(mean(two) - mean(one))).toBeLessThan(0.03);
  });

  it("stops when onEpoch returns false and trains on one thread when asked to", async () => {
    let calls = 0;
    await trainBprThreaded(set, {
      ...options,
      threads: 2,
      onEpoch: () => {
        calls++;
        return false;
      },
    });
    expect(calls).toBe(1);
    // One thread is the single-thread kernel itself: deterministic, the same as trainBpr.
    const a = await trainBprThreaded(set, { ...options, seed: 4, threads: 1 });
    const b = trainBpr(set, { ...options, seed: 4 });
    expect(Array.from(a.itemFactors)).toEqual(Array.from(b.itemFactors));
  });

  it("refuses several threads with the reference loop", async () => {
    await expect(trainBprThreaded(set, { ...options, threads: 2, kernel: "reference" })).rejects.toThrow(
      /wasm kernel/,
    );
  });
});
