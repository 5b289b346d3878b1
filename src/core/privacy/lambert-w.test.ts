import { describe, expect, it } from "vitest";
import { lambertW0 } from "./lambert-w.js";

describe("lambertW0", () => {
  it("matches known values (the omega constant, W(e) = 1, the branch point, tabulated values)", () => {
    expect(lambertW0(0)).toBe(0);
    expect(lambertW0(1)).toBeCloseTo(0.5671432904097838, 14);
    expect(lambertW0(Math.E)).toBeCloseTo(1, 14);
    expect(lambertW0(-1 / Math.E)).toBeCloseTo(-1, 7);
    expect(lambertW0(10)).toBeCloseTo(1.7455280027406994, 13);
    expect(lambertW0(-0.2)).toBeCloseTo(-0.2591711018190737, 13);
    expect(lambertW0(1e6)).toBeCloseTo(11.383358086140053, 12);
    expect(lambertW0(2 * Math.log(2))).toBeCloseTo(Math.log(2), 14);
  });

  it("inverts w·e^w over eight decades and near the branch point", () => {
    for (const x of [-0.3678, -0.36, -0.3, -0.1, -1e-9, 1e-9, 0.01, 0.5, 2.9, 3.1, 50, 1e4, 1e8, 1e12]) {
      const w = lambertW0(x);
      expect(w).toBeGreaterThanOrEqual(-1);
      expect(Math.abs(w * Math.exp(w) - x)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(x)) + 1e-15);
    }
  });

  it("refuses arguments below −1/e, where W₀ is not real", () => {
    expect(() => lambertW0(-0.5)).toThrow(/not real/);
  });
});
