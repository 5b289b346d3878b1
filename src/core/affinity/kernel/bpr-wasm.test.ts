import { describe, expect, it } from "vitest";
import { Random } from "../../random.js";
import { defaultBprKernel, trainBpr } from "../bpr.js";
import { foldPlays, playTableFromRows } from "../cells.js";
import type { FactorModel } from "../factor-model.js";
import { buildPairwiseSet, type PairwiseSet } from "../pairwise-set.js";
import { defaultLabelRule } from "../weighting.js";
import {
  bprLayout,
  bprWasmAvailable,
  bprWasmModule,
  createBprMemory,
  instantiateBprKernel,
} from "./bpr-wasm.js";

/**
 * A small random set with both tiers (long plays → P, skips → N), and one user who has played every item,
 * so U draws for them exhaust their tries and the kernel's redo path runs.
 */
function smallSet(seed: number, positivesOnly = false): PairwiseSet {
  const rng = new Random(seed);
  const nUsers = 30;
  const nItems = 45;
  const rows: Array<[number, number, number]> = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      const r = rng.next();
      const liked = (u + i) % 3 === 0;
      if (u === 0 || r < 0.3) rows.push([u, i, liked || r < 0.1 ? 200_000 : 2_000]);
    }
  }
  return buildPairwiseSet(foldPlays(playTableFromRows(rows, nUsers, nItems), defaultLabelRule), {
    positivesOnly,
    cellCap: 10,
  });
}

function maxDifference(a: FactorModel, b: FactorModel): number {
  let worst = 0;
  for (const key of ["userFactors", "itemFactors", "itemBias"] as const) {
    expect(a[key].length).toBe(b[key].length);
    for (let x = 0; x < a[key].length; x++) worst = Math.max(worst, Math.abs(a[key][x] - b[key][x]));
  }
  return worst;
}

describe.runIf(bprWasmAvailable())("wasm BPR kernel", () => {
  it("is the default kernel where WebAssembly SIMD is available", () => {
    expect(defaultBprKernel(smallSet(1), 50)).toBe("wasm");
  });

  it("gives the reference's factors for a seed after one epoch (float32, within 1e-4)", () => {
    const set = smallSet(1);
    expect(set.negatives.length).toBeGreaterThan(50);
    expect(set.rowPtr[1] - set.rowPtr[0]).toBe(set.nItems);
    // 50 factors pad to 56 floats, 3 to 8: both exercise the padding lanes.
    for (const factors of [50, 3]) {
      const options = { factors, epochs: 1, seed: 7 };
      const reference = trainBpr(set, { ...options, kernel: "reference" });
      const wasm = trainBpr(set, { ...options, kernel: "wasm" });
      expect(maxDifference(reference, wasm)).toBeLessThan(1e-4);
      // Not trivially equal: training moved the factors away from the shared start.
      const start = trainBpr(set, { ...options, epochs: 0, kernel: "reference" });
      expect(maxDifference(start, wasm)).toBeGreaterThan(1e-2);
    }
  });

  it("follows the reference's random stream over many epochs and on a P-only set", () => {
    // A sample drawn differently would move whole rows by far more than float32 rounding does.
    for (const set of [smallSet(2), smallSet(3, true)]) {
      const options = { factors: 8, epochs: 20, seed: 11, samplesPerEpoch: 1000 };
      const reference = trainBpr(set, { ...options, kernel: "reference" });
      const wasm = trainBpr(set, { ...options, kernel: "wasm" });
      expect(maxDifference(reference, wasm)).toBeLessThan(1e-4);
    }
  });

  it("computes e^x to far better than float32 precision", () => {
    const set = smallSet(1);
    const layout = bprLayout(set, 4);
    const kernel = instantiateBprKernel(bprWasmModule()!, createBprMemory(layout));
    for (let x = -60; x <= 60; x += 0.37) {
      expect(Math.abs(kernel.exp(x) / Math.exp(x) - 1)).toBeLessThan(1e-9);
    }
    expect(kernel.exp(-1000)).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(kernel.exp(1000))).toBe(true);
  });
});
