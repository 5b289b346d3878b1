import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { MlpClassifier } from "./mlp.js";
import { SoftmaxRegression } from "./softmax-regression.js";

/** Label = whether x and y have the same sign: no line separates it, one hidden layer does. */
function xor(n: number, seed: number) {
  const rng = new Random(seed);
  const x = new Float64Array(n * 2);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const a = rng.next() * 2 - 1;
    const b = rng.next() * 2 - 1;
    x[r * 2] = a;
    x[r * 2 + 1] = b;
    y[r] = a * b > 0 ? 1 : 0;
  }
  return { x, y };
}

function accuracy(predict: (row: Float64Array) => number, data: { x: Float64Array; y: Int32Array }): number {
  let right = 0;
  for (let r = 0; r < data.y.length; r++)
    if (predict(data.x.subarray(r * 2, r * 2 + 2)) === data.y[r]) right++;
  return right / data.y.length;
}

describe("MlpClassifier", () => {
  const train = xor(2000, 1);
  const test = xor(1000, 2);

  it("learns an interaction a linear softmax cannot", () => {
    const mlp = MlpClassifier.train(train.x, train.y, 2, { epochs: 40, hidden: 16, learningRate: 0.01 });
    const linear = SoftmaxRegression.train(train.x, train.y, 2, { epochs: 200 });
    expect(accuracy((row) => mlp.predict(row), test)).toBeGreaterThan(0.9);
    expect(accuracy((row) => linear.predict(row), test)).toBeLessThan(0.7);
    const p = mlp.probabilities([0.8, 0.8]);
    expect(p[1]).toBeGreaterThan(0.8);
    expect(p[0] + p[1]).toBeCloseTo(1, 12);
  });

  it("is deterministic for a seed and round-trips through JSON", () => {
    const a = MlpClassifier.train(train.x, train.y, 2, { epochs: 3, seed: 7 });
    const b = MlpClassifier.train(train.x, train.y, 2, { epochs: 3, seed: 7 });
    expect(Array.from(a.probabilities([0.3, -0.2]))).toEqual(Array.from(b.probabilities([0.3, -0.2])));
    const back = MlpClassifier.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(Array.from(back.probabilities([0.3, -0.2]))).toEqual(Array.from(a.probabilities([0.3, -0.2])));
    expect(() => MlpClassifier.fromJSON({ ...a.toJSON(), hidden: 3 })).toThrow(/shape/);
  });
});
