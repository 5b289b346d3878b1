import { describe, expect, it } from "vitest";
import { Random } from "../../random.js";
import { SquaredDistances } from "./squared-distances.js";

/** Slow reference: each distance in double. */
function reference(rows: Float32Array, targets: Float32Array, d: number): number[] {
  const m = rows.length / d;
  const p = targets.length / d;
  const out: number[] = [];
  for (let i = 0; i < m; i++)
    for (let l = 0; l < p; l++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (rows[i * d + j] - targets[l * d + j]) ** 2;
      out.push(s);
    }
  return out;
}

describe("SquaredDistances", () => {
  for (const [d, p, m] of [
    [50, 37, 23],
    [3, 5, 2],
    [8, 4, 1],
    [13, 1, 9],
  ]) {
    it(`matches the double reference (d ${d}, ${p} targets, ${m} rows), WebAssembly and plain`, () => {
      const rng = new Random(d * 100 + p);
      const targets = Float32Array.from({ length: p * d }, () => rng.normal());
      const rows = Float32Array.from({ length: (m + 3) * d }, () => rng.normal() * 2);
      const want = reference(rows.subarray(3 * d), targets, d);
      for (const wasm of [true, false]) {
        const kernel = new SquaredDistances(d, wasm);
        if (wasm) expect(kernel.usesWasm).toBe(true);
        kernel.setTargets(targets, p);
        // Rows from an offset, in two blocks, so the row copy and a second call are exercised.
        const a = Array.from(kernel.distances(rows, 3, 1));
        const b = Array.from(kernel.distances(rows, 4, m - 1));
        const got = [...a, ...b];
        expect(got.length).toBe(want.length);
        for (const [i, v] of got.entries()) expect(Math.abs(v - want[i])).toBeLessThan(1e-5 * (1 + want[i]));
      }
    });
  }
});
