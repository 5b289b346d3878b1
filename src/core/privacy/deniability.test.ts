import { describe, expect, it } from "vitest";
import { deniability, quantiles } from "./deniability.js";
import type { WordMechanism } from "./mechanisms.js";

describe("deniability", () => {
  it("counts N_w (unchanged draws) and S_w (distinct outputs) per word", () => {
    // Word w keeps itself on every (w + 1)-th draw and otherwise cycles through w + 1 … w + 3.
    const counters = new Map<number, number>();
    const mech: WordMechanism = {
      name: "gumbel",
      epsilon: 1,
      perturb: (w) => {
        const i = counters.get(w) ?? 0;
        counters.set(w, i + 1);
        return i % (w + 1) === 0 ? w : w + 1 + (i % 3);
      },
    };
    const { perWord, summary } = deniability(mech, [0, 1, 3], 12, 1);
    expect(perWord).toEqual([
      { word: 0, unchanged: 12, distinct: 1 },
      { word: 1, unchanged: 6, distinct: 4 },
      { word: 3, unchanged: 3, distinct: 4 },
    ]);
    expect(summary.unchanged.median).toBe(0.5);
    expect(summary.distinct.max).toBe(4);
  });

  it("interpolates quantiles between order statistics", () => {
    const q = quantiles([4, 1, 3, 2]);
    expect(q).toMatchObject({ min: 1, median: 2.5, max: 4, mean: 2.5 });
    expect(q.p25).toBeCloseTo(1.75, 12);
  });
});
