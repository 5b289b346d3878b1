import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { SoftmaxRegression } from "./softmax-regression.js";

/** Three Gaussian blobs in 2-D plus a useless noise column. */
function blobs(n: number, seed: number) {
  const rng = new Random(seed);
  const centres = [
    [0, 0],
    [4, 0],
    [0, 4],
  ];
  const x = new Float64Array(n * 3);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const c = r % 3;
    y[r] = c;
    x[r * 3] = centres[c][0] + rng.normal();
    x[r * 3 + 1] = centres[c][1] + rng.normal();
    x[r * 3 + 2] = 100 + 50 * rng.normal();
  }
  return { x, y };
}

describe("SoftmaxRegression", () => {
  it("separates three blobs about as well as the Bayes rule (~93%)", () => {
    const train = blobs(900, 1);
    const test = blobs(900, 2);
    const model = SoftmaxRegression.train(train.x, train.y, 3, { epochs: 200 });
    let right = 0;
    for (let r = 0; r < 900; r++) if (model.predict(test.x.subarray(r * 3, r * 3 + 3)) === test.y[r]) right++;
    expect(right / 900).toBeGreaterThan(0.88);
    const p = model.probabilities([4, 0, 100]);
    expect(p[1]).toBeGreaterThan(0.8);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("is deterministic for a seed and round-trips through JSON", () => {
    const { x, y } = blobs(300, 3);
    const a = SoftmaxRegression.train(x, y, 3, { epochs: 50, seed: 9 });
    const b = SoftmaxRegression.train(x, y, 3, { epochs: 50, seed: 9 });
    expect(Array.from(a.probabilities([1, 2, 3]))).toEqual(Array.from(b.probabilities([1, 2, 3])));
    const back = SoftmaxRegression.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(Array.from(back.probabilities([1, 2, 3]))).toEqual(Array.from(a.probabilities([1, 2, 3])));
  });

  it("with balanced classes, a rare class is still found", () => {
    const rng = new Random(4);
    const n = 2000;
    const x = new Float64Array(n);
    const y = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      y[r] = r % 50 === 0 ? 1 : 0;
      x[r] = (y[r] === 1 ? 2 : 0) + rng.normal() * 0.7;
    }
    const balanced = SoftmaxRegression.train(x, y, 2, { epochs: 200 });
    const plain = SoftmaxRegression.train(x, y, 2, { epochs: 200, balanceClasses: false });
    expect(balanced.predict([2])).toBe(1);
    expect(plain.predict([2])).toBe(0);
  });
});
