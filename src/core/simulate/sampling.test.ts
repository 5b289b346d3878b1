import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { cumulative, drawCumulative, geometric, pareto, poisson } from "./sampling.js";

const mean = (f: () => number, n = 20_000) => {
  let s = 0;
  for (let k = 0; k < n; k++) s += f();
  return s / n;
};

describe("sampling", () => {
  const rng = new Random(9);

  it("draws Poisson and geometric counts with the asked mean", () => {
    expect(mean(() => poisson(rng, 1.5))).toBeCloseTo(1.5, 1);
    expect(mean(() => poisson(rng, 50))).toBeCloseTo(50, 0);
    expect(mean(() => geometric(rng, 7))).toBeCloseTo(7, 0);
    expect(geometric(rng, 1)).toBe(1);
  });

  it("draws Pareto values >= 1 with a heavy tail", () => {
    const xs = Array.from({ length: 20_000 }, () => pareto(rng, 2));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...xs)).toBeGreaterThan(20);
  });

  it("draws indexes in proportion to their weights", () => {
    const cdf = cumulative([1, 0, 3]);
    const counts = [0, 0, 0];
    for (let k = 0; k < 20_000; k++) counts[drawCumulative(rng, cdf)]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeCloseTo(3, 0);
  });
});
