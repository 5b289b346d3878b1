import { Random } from "../random.js";
import { standardize } from "./standardize.js";

/**
 * Multinomial logistic regression: P(class c | x) = softmax(W·x + b)_c, trained by full-batch gradient
 * descent with Adam and L2, on standardised features. Written here because the problem is tiny (a few
 * dozen features, six classes, tens of thousands of rows) and a dependency would weigh more than these
 * lines; deterministic for a seed. Not used in serving: it is the linear baseline the MLP's tests
 * compare against (failure-points.ts uses mlp.ts), so it is left out of the folder's index.
 */
export interface SoftmaxRegressionOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  /** Weight each class by n / (classes · n_c), so rare failure kinds are not drowned by CORRECT. */
  balanceClasses: boolean;
  seed: number;
}

export const defaultSoftmaxOptions: SoftmaxRegressionOptions = {
  epochs: 300,
  learningRate: 0.05,
  l2: 1e-4,
  balanceClasses: true,
  seed: 1,
};

export interface SoftmaxModelJson {
  classes: number;
  features: number;
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number[];
}

export class SoftmaxRegression {
  private constructor(
    readonly classes: number,
    readonly features: number,
    private readonly mean: Float64Array,
    private readonly scale: Float64Array,
    private readonly weights: Float64Array,
    private readonly bias: Float64Array,
  ) {}

  /** Rows of `features` values each (row-major), labels in [0, classes). */
  static train(
    x: Float64Array,
    labels: Int32Array,
    classes: number,
    options: Partial<SoftmaxRegressionOptions> = {},
  ): SoftmaxRegression {
    const o = { ...defaultSoftmaxOptions, ...options };
    const n = labels.length;
    const { d, mean, scale, z } = standardize(x, n);

    const counts = new Float64Array(classes);
    for (const y of labels) counts[y]++;
    const rowWeight = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const c = counts[labels[r]];
      rowWeight[r] = o.balanceClasses ? n / (classes * c) : 1;
    }
    let weightSum = 0;
    for (const w of rowWeight) weightSum += w;

    const rng = new Random(o.seed);
    const W = new Float64Array(classes * d);
    for (let k = 0; k < W.length; k++) W[k] = rng.normal() * 0.01;
    const b = new Float64Array(classes);
    const gW = new Float64Array(W.length);
    const gb = new Float64Array(classes);
    const mW = new Float64Array(W.length);
    const vW = new Float64Array(W.length);
    const mb = new Float64Array(classes);
    const vb = new Float64Array(classes);
    const p = new Float64Array(classes);
    const beta1 = 0.9;
    const beta2 = 0.999;
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      gW.fill(0);
      gb.fill(0);
      for (let r = 0; r < n; r++) {
        logits(W, b, z, r * d, d, classes, p);
        softmaxInPlace(p);
        const w = rowWeight[r] / weightSum;
        for (let c = 0; c < classes; c++) {
          const g = (p[c] - (labels[r] === c ? 1 : 0)) * w;
          if (g === 0) continue;
          gb[c] += g;
          const row = c * d;
          for (let j = 0; j < d; j++) gW[row + j] += g * z[r * d + j];
        }
      }
      for (let k = 0; k < W.length; k++) gW[k] += o.l2 * W[k];
      const c1 = 1 - beta1 ** epoch;
      const c2 = 1 - beta2 ** epoch;
      for (let k = 0; k < W.length; k++) {
        mW[k] = beta1 * mW[k] + (1 - beta1) * gW[k];
        vW[k] = beta2 * vW[k] + (1 - beta2) * gW[k] * gW[k];
        W[k] -= (o.learningRate * (mW[k] / c1)) / (Math.sqrt(vW[k] / c2) + 1e-8);
      }
      for (let c = 0; c < classes; c++) {
        mb[c] = beta1 * mb[c] + (1 - beta1) * gb[c];
        vb[c] = beta2 * vb[c] + (1 - beta2) * gb[c] * gb[c];
        b[c] -= (o.learningRate * (mb[c] / c1)) / (Math.sqrt(vb[c] / c2) + 1e-8);
      }
    }
    return new SoftmaxRegression(classes, d, mean, scale, W, b);
  }

  /** Class probabilities of one row. */
  probabilities(row: ArrayLike<number>): Float64Array {
    const z = new Float64Array(this.features);
    for (let j = 0; j < this.features; j++) z[j] = (row[j] - this.mean[j]) * this.scale[j];
    const p = new Float64Array(this.classes);
    logits(this.weights, this.bias, z, 0, this.features, this.classes, p);
    return softmaxInPlace(p);
  }

  predict(row: ArrayLike<number>): number {
    const p = this.probabilities(row);
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    return best;
  }

  toJSON(): SoftmaxModelJson {
    return {
      classes: this.classes,
      features: this.features,
      mean: Array.from(this.mean),
      scale: Array.from(this.scale),
      weights: Array.from(this.weights),
      bias: Array.from(this.bias),
    };
  }

  static fromJSON(j: SoftmaxModelJson): SoftmaxRegression {
    return new SoftmaxRegression(
      j.classes,
      j.features,
      Float64Array.from(j.mean),
      Float64Array.from(j.scale),
      Float64Array.from(j.weights),
      Float64Array.from(j.bias),
    );
  }
}

function logits(
  W: Float64Array,
  b: Float64Array,
  z: Float64Array,
  at: number,
  d: number,
  classes: number,
  out: Float64Array,
): void {
  for (let c = 0; c < classes; c++) {
    let s = b[c];
    const row = c * d;
    for (let j = 0; j < d; j++) s += W[row + j] * z[at + j];
    out[c] = s;
  }
}

function softmaxInPlace(p: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of p) if (v > max) max = v;
  let sum = 0;
  for (let c = 0; c < p.length; c++) {
    p[c] = Math.exp(p[c] - max);
    sum += p[c];
  }
  for (let c = 0; c < p.length; c++) p[c] /= sum;
  return p;
}
