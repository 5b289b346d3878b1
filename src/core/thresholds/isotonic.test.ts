import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { isotonicPredict, isotonicRegression } from "./isotonic.js";

/**
 * The min-max formula of isotonic regression, obviously correct and O(n³): at point i (x sorted and
 * distinct), fit_i = max over j <= i of min over k >= i of the weighted mean of y[j..k].
 */
function minMaxReference(y: number[], w: number[]): number[] {
  const n = y.length;
  const mean = (j: number, k: number) => {
    let s = 0;
    let t = 0;
    for (let r = j; r <= k; r++) {
      s += w[r] * y[r];
      t += w[r];
    }
    return s / t;
  };
  return y.map((_, i) => {
    let best = Number.NEGATIVE_INFINITY;
    for (let j = 0; j <= i; j++) {
      let low = Number.POSITIVE_INFINITY;
      for (let k = i; k < n; k++) low = Math.min(low, mean(j, k));
      best = Math.max(best, low);
    }
    return best;
  });
}

describe("isotonicRegression (PAVA)", () => {
  it("equals the min-max reference on random weighted inputs", () => {
    const rng = new Random(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(25);
      // Distinct x in shuffled order; y binary or real.
      const x = rng.shuffle(Array.from({ length: n }, (_, i) => i * 0.5 + rng.next() * 0.1));
      const y = x.map(() => (trial % 2 ? Number(rng.next() < 0.4) : rng.normal()));
      const w = x.map(() => 0.1 + rng.next() * 3);
      const fit = isotonicRegression(x, y, w);
      const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b]);
      const ref = minMaxReference(
        order.map((i) => y[i]),
        order.map((i) => w[i]),
      );
      for (let r = 0; r < n; r++) expect(fit.y[r]).toBeCloseTo(ref[r], 9);
      for (let r = 1; r < n; r++) expect(fit.y[r]).toBeGreaterThanOrEqual(fit.y[r - 1]);
    }
  });

  it("pools equal x values into one point and predicts as a step", () => {
    const fit = isotonicRegression([1, 1, 2, 3, 3], [0, 1, 0, 1, 1]);
    expect(Array.from(fit.x)).toEqual([1, 2, 3]);
    // (0+1+0)/3 pooled with x=2 since 0.5 > 0, then 1 at x=3.
    expect(Array.from(fit.y)).toEqual([1 / 3, 1 / 3, 1]);
    expect(isotonicPredict(fit, 0)).toBeCloseTo(1 / 3);
    expect(isotonicPredict(fit, 2.9)).toBeCloseTo(1 / 3);
    expect(isotonicPredict(fit, 3)).toBe(1);
  });
});
