import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { blendProbability, blendScore, fitBlend, leastSquaresLine, plattFit } from "./blend.js";

describe("blend", () => {
  it("scores new items by the factorization alone and well-known items by their history", () => {
    const blend = { alpha: 0, beta: 1, kappa: 2, plattSlope: 1, plattIntercept: 0 };
    expect(blendScore(blend, 0.7, 0, 0)).toBeCloseTo(0.7, 12);
    expect(blendScore(blend, 0.7, -1, 1000)).toBeCloseTo(-1, 2);
    expect(blendScore(blend, 0.5, 1, 2)).toBeCloseTo(0.75, 12);
  });

  it("fits a line exactly on noiseless data", () => {
    const [a, b] = leastSquaresLine([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(a).toBeCloseTo(1, 12);
    expect(b).toBeCloseTo(2, 12);
  });

  it("recovers Platt parameters from simulated labels", () => {
    const rng = new Random(3);
    const s: number[] = [];
    const y: number[] = [];
    for (let n = 0; n < 20_000; n++) {
      const x = rng.normal();
      s.push(x);
      y.push(rng.next() < 1 / (1 + Math.exp(-(0.5 + 2 * x))) ? 1 : 0);
    }
    const [a, b] = plattFit(s, y);
    expect(a).toBeCloseTo(0.5, 1);
    expect(b).toBeCloseTo(2, 1);
  });

  it("learns a large kappa when the factorization predicts better than a short history", () => {
    const rng = new Random(4);
    const cells = { mf: [] as number[], history: [] as number[] };
    const held = {
      mf: [] as number[],
      history: [] as number[],
      plays: [] as number[],
      duration: [] as number[],
      long: [] as number[],
    };
    for (let n = 0; n < 3000; n++) {
      const truth = rng.normal();
      cells.mf.push(truth);
      cells.history.push(truth * 0.5);
      // History here is pure noise: the best kappa trusts the factorization.
      held.mf.push(truth);
      held.history.push(rng.normal());
      held.plays.push(1);
      held.duration.push(truth);
      held.long.push(truth > 0 ? 1 : 0);
    }
    const blend = fitBlend(cells, held);
    expect(blend.kappa).toBeGreaterThanOrEqual(8);
    expect(blend.beta).toBeCloseTo(0.5, 6);
    expect(blendProbability(blend, 1)).toBeGreaterThan(blendProbability(blend, 0));
  });
});
