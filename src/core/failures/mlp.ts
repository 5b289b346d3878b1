import { Random } from "../random.js";
import { standardize } from "./standardize.js";

/**
 * A classifier with one hidden layer of ReLU units and a softmax output, trained by mini-batch Adam on
 * standardised features. Failure points depend on combinations of signals (low ASR confidence matters
 * when the turn then went wrong, not when it played fine), which a linear softmax can only approximate;
 * one small hidden layer learns them, and trains faster than full-batch regression. Deterministic for a seed.
 */
export interface MlpOptions {
  /** Hidden units (default 32). */
  hidden: number;
  /** Passes over the rows (default 20). */
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on the weights (not the biases). */
  l2: number;
  /** Weight each class by n / (classes · n_c); off by default, as it cost macro-F1 on failure points. */
  balanceClasses: boolean;
  seed: number;
}

export const defaultMlpOptions: MlpOptions = {
  hidden: 32,
  epochs: 20,
  batchSize: 128,
  learningRate: 0.003,
  l2: 1e-4,
  balanceClasses: false,
  seed: 1,
};

export interface MlpJson {
  kind: "mlp";
  classes: number;
  features: number;
  hidden: number;
  mean: number[];
  scale: number[];
  /** W1 (hidden × features), b1, W2 (classes × hidden), b2, concatenated. */
  parameters: number[];
}

export class MlpClassifier {
  private readonly h: Float64Array;
  private readonly z: Float64Array;

  private constructor(
    readonly classes: number,
    readonly features: number,
    readonly hidden: number,
    private readonly mean: Float64Array,
    private readonly scale: Float64Array,
    private readonly theta: Float64Array,
  ) {
    this.h = new Float64Array(hidden);
    this.z = new Float64Array(features);
  }

  /** Rows of `features` values each (row-major), labels in [0, classes). */
  static train(
    x: Float64Array,
    labels: Int32Array,
    classes: number,
    options: Partial<MlpOptions> = {},
  ): MlpClassifier {
    const o = { ...defaultMlpOptions, ...options };
    const n = labels.length;
    const { d, mean, scale, z } = standardize(x, n);
    const H = o.hidden;

    const counts = new Float64Array(classes);
    for (const y of labels) counts[y]++;
    const classWeight = Float64Array.from(counts, (c) => (o.balanceClasses && c > 0 ? n / (classes * c) : 1));

    const rng = new Random(o.seed);
    const model = new MlpClassifier(
      classes,
      d,
      H,
      mean,
      scale,
      new Float64Array(H * d + H + classes * H + classes),
    );
    const { theta } = model;
    const b1 = H * d;
    const w2 = b1 + H;
    const b2 = w2 + classes * H;
    // He initialisation for the ReLU layer, Glorot-like for the output.
    for (let k = 0; k < H * d; k++) theta[k] = rng.normal() * Math.sqrt(2 / d);
    for (let k = 0; k < classes * H; k++) theta[w2 + k] = rng.normal() * Math.sqrt(1 / H);
    const grad = new Float64Array(theta.length);
    const m = new Float64Array(theta.length);
    const v = new Float64Array(theta.length);
    const p = new Float64Array(classes);
    const dh = new Float64Array(H);
    const order = Int32Array.from({ length: n }, (_, k) => k);
    const beta1 = 0.9;
    const beta2 = 0.999;
    let step = 0;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      for (let k = n - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        const t = order[k];
        order[k] = order[j];
        order[j] = t;
      }
      for (let start = 0; start < n; start += o.batchSize) {
        const end = Math.min(n, start + o.batchSize);
        grad.fill(0);
        let weightSum = 0;
        for (let q = start; q < end; q++) weightSum += classWeight[labels[order[q]]];
        for (let q = start; q < end; q++) {
          const r = order[q];
          const at = r * d;
          const h = model.forward(z, at, p);
          const w = classWeight[labels[r]] / weightSum;
          dh.fill(0);
          for (let c = 0; c < classes; c++) {
            const g = (p[c] - (labels[r] === c ? 1 : 0)) * w;
            grad[b2 + c] += g;
            const row = w2 + c * H;
            for (let i = 0; i < H; i++) {
              grad[row + i] += g * h[i];
              dh[i] += g * theta[row + i];
            }
          }
          for (let i = 0; i < H; i++) {
            if (h[i] <= 0) continue;
            const g = dh[i];
            grad[b1 + i] += g;
            const row = i * d;
            for (let j = 0; j < d; j++) grad[row + j] += g * z[at + j];
          }
        }
        step++;
        const c1 = 1 - beta1 ** step;
        const c2 = 1 - beta2 ** step;
        for (let k = 0; k < theta.length; k++) {
          const isWeight = k < b1 || (k >= w2 && k < b2);
          const g = grad[k] + (isWeight ? o.l2 * theta[k] : 0);
          m[k] = beta1 * m[k] + (1 - beta1) * g;
          v[k] = beta2 * v[k] + (1 - beta2) * g * g;
          theta[k] -= (o.learningRate * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + 1e-8);
        }
      }
    }
    return model;
  }

  /** Hidden activations of the standardised row at z[at...], class probabilities into p. */
  private forward(z: ArrayLike<number>, at: number, p: Float64Array): Float64Array {
    const { features: d, hidden: H, classes, theta, h } = this;
    const b1 = H * d;
    const w2 = b1 + H;
    const b2 = w2 + classes * H;
    for (let i = 0; i < H; i++) {
      let s = theta[b1 + i];
      const row = i * d;
      for (let j = 0; j < d; j++) s += theta[row + j] * z[at + j];
      h[i] = s > 0 ? s : 0;
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) {
      let s = theta[b2 + c];
      const row = w2 + c * H;
      for (let i = 0; i < H; i++) s += theta[row + i] * h[i];
      p[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      p[c] = Math.exp(p[c] - max);
      sum += p[c];
    }
    for (let c = 0; c < classes; c++) p[c] /= sum;
    return h;
  }

  /** Class probabilities of one row. */
  probabilities(row: ArrayLike<number>): Float64Array {
    for (let j = 0; j < this.features; j++) this.z[j] = (row[j] - this.mean[j]) * this.scale[j];
    const p = new Float64Array(this.classes);
    this.forward(this.z, 0, p);
    return p;
  }

  predict(row: ArrayLike<number>): number {
    const p = this.probabilities(row);
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    return best;
  }

  toJSON(): MlpJson {
    return {
      kind: "mlp",
      classes: this.classes,
      features: this.features,
      hidden: this.hidden,
      mean: Array.from(this.mean),
      scale: Array.from(this.scale),
      parameters: Array.from(this.theta),
    };
  }

  static fromJSON(j: MlpJson): MlpClassifier {
    if (j.parameters.length !== j.hidden * j.features + j.hidden + j.classes * j.hidden + j.classes)
      throw new Error("MLP parameters do not fit its shape");
    return new MlpClassifier(
      j.classes,
      j.features,
      j.hidden,
      Float64Array.from(j.mean),
      Float64Array.from(j.scale),
      Float64Array.from(j.parameters),
    );
  }
}
