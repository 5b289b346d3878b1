import { describe, expect, it } from "vitest";
import {
  concaveQuadraticWeight,
  convexQuadraticWeight,
  defaultLabelRule,
  linearWeight,
  logarithmicWeight,
  noWeight,
  playConfidence,
  playLabel,
  signedPlayWeight,
  thresholdFor,
} from "./weighting.js";

describe("weighting functions at known points", () => {
  it.each([
    [noWeight, 0, 1],
    [noWeight, 0.5, 1],
    [linearWeight, 0.25, 0.25],
    [convexQuadraticWeight, 0.5, 0.25],
    [convexQuadraticWeight, 1, 1],
    [concaveQuadraticWeight, 0.5, 0.75],
    [concaveQuadraticWeight, 1, 1],
    [logarithmicWeight, 0, 0],
    [logarithmicWeight, 1, 1],
    [logarithmicWeight, 0.5, Math.log(1 + (Math.E - 1) / 2)],
  ])("%o(%d) = %d", (g, x, expected) => {
    expect(g(x)).toBeCloseTo(expected, 12);
  });

  it("orders convex < linear < log < concave inside (0, 1)", () => {
    for (const x of [0.1, 0.3, 0.7, 0.9]) {
      expect(convexQuadraticWeight(x)).toBeLessThan(linearWeight(x));
      expect(linearWeight(x)).toBeLessThan(logarithmicWeight(x));
      expect(logarithmicWeight(x)).toBeLessThan(concaveQuadraticWeight(x));
    }
  });
});

describe("labels and confidence", () => {
  it("labels at the 30 s threshold", () => {
    expect(playLabel(29_999, 30_000)).toBe(-1);
    expect(playLabel(30_000, 30_000)).toBe(1);
    expect(playLabel(0, 30_000)).toBe(-1);
  });

  it("normalises distance from the threshold (reference-figures rules)", () => {
    expect(playConfidence(0, 30_000, 600_000)).toBe(1);
    expect(playConfidence(15_000, 30_000, 600_000)).toBe(0.5);
    expect(playConfidence(30_000, 30_000, 600_000)).toBe(0);
    expect(playConfidence(315_000, 30_000, 600_000)).toBeCloseTo(0.5, 12);
    expect(playConfidence(2_000_000, 30_000, 600_000)).toBe(1);
    // A known item length lowers the cap: a full play of a 3-minute song is full confidence.
    expect(playConfidence(180_000, 30_000, 600_000, 180_000)).toBe(1);
  });

  it("applies the floor and the sign", () => {
    const rule = { ...defaultLabelRule, weighting: "convex" as const };
    expect(signedPlayWeight(rule, 31_000)).toBeCloseTo(0.05, 12);
    expect(signedPlayWeight(rule, 0)).toBe(-1);
    expect(signedPlayWeight(rule, 600_000)).toBe(1);
    expect(signedPlayWeight({ ...rule, weighting: "linear" }, 15_000)).toBe(-0.5);
  });

  it("uses a relative threshold for items with a length when asked (video)", () => {
    const rule = { ...defaultLabelRule, relativeThreshold: 0.25 };
    expect(thresholdFor(rule, 7_200_000)).toBe(1_800_000);
    expect(thresholdFor(rule, 0)).toBe(30_000);
    expect(signedPlayWeight(rule, 600_000, 7_200_000)).toBeLessThan(0);
  });
});
