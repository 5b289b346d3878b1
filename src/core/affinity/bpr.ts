import { Random } from "../random.js";
import { createFactorModel, type FactorModel } from "./factor-model.js";
import { containsSorted, type PairwiseSet } from "./pairwise-set.js";

export interface BprOptions {
  factors: number;
  epochs: number;
  /** Pairs per epoch; default the number of P∪N cells (the reference's epoch). */
  samplesPerEpoch?: number;
  learningRate: number;
  regularization: number;
  initStd: number;
  seed: number;
  /** Called after each epoch; return false to stop early. */
  onEpoch?: (epoch: number, epochs: number) => boolean | undefined;
}

export const defaultBprOptions: BprOptions = {
  factors: 50,
  epochs: 40,
  learningRate: 0.05,
  regularization: 0.01,
  initStd: 0.1,
  seed: 0,
};

/** Tries before a U draw gives up looking for an item outside the user's P∪N (only for users who have nearly everything). */
const MAX_U_TRIES = 64;

/**
 * Weighted BPR over the tiers P ≻ U ≻ N (methods.md section 1, reference-figures.md). Each step draws the
 * pair type uniformly from (P,U), (P,N), (U,N), then takes one SGD step
 *   θ ← θ + lr·(w·σ(−x̂_uij)·∂x̂_uij/∂θ − reg·θ)  with x̂_uij = b_i − b_j + p_u·(q_i − q_j).
 * Sequential SGD on one thread: deterministic for a seed. This plain loop is the reference that faster
 * kernels are checked against.
 */
export function trainBpr(set: PairwiseSet, options: Partial<BprOptions> = {}): FactorModel {
  const o = { ...defaultBprOptions, ...options };
  const k = o.factors;
  const rng = new Random(o.seed);
  const model = createFactorModel(set.nUsers, set.nItems, k);
  for (let x = 0; x < model.userFactors.length; x++) model.userFactors[x] = rng.normal() * o.initStd;
  for (let x = 0; x < model.itemFactors.length; x++) model.itemFactors[x] = rng.normal() * o.initStd;
  const P = model.userFactors;
  const Q = model.itemFactors;
  const B = model.itemBias;
  const { rowPtr, pEnd, items, weight, owner, positives, negatives, nItems } = set;
  const lr = o.learningRate;
  const reg = o.regularization;
  const samples = o.samplesPerEpoch ?? items.length;
  if (positives.length === 0) return model;

  const drawU = (u: number): number => {
    let j = 0;
    for (let t = 0; t < MAX_U_TRIES; t++) {
      j = rng.int(nItems);
      if (!containsSorted(items, rowPtr[u], rowPtr[u + 1], j)) return j;
    }
    return j;
  };

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let s = 0; s < samples; s++) {
      let u: number;
      let i: number;
      let j: number;
      let w: number;
      const type = negatives.length > 0 ? rng.int(3) : 0;
      if (type === 2) {
        // (U, N): an N cell, then a U item above it.
        const cn = negatives[rng.int(negatives.length)];
        u = owner[cn];
        j = items[cn];
        i = drawU(u);
        w = weight[cn];
      } else {
        const cp = positives[rng.int(positives.length)];
        u = owner[cp];
        i = items[cp];
        const nN = rowPtr[u + 1] - pEnd[u];
        if (type === 1 && nN > 0) {
          const cn = pEnd[u] + rng.int(nN);
          j = items[cn];
          w = (weight[cp] + weight[cn]) / 2;
        } else {
          j = drawU(u);
          w = weight[cp];
        }
      }
      const pu = u * k;
      const qi = i * k;
      const qj = j * k;
      let x = B[i] - B[j];
      for (let f = 0; f < k; f++) x += P[pu + f] * (Q[qi + f] - Q[qj + f]);
      // w·σ(−x): the step size of this pair.
      const g = (w / (1 + Math.exp(x))) * lr;
      B[i] += g - lr * reg * B[i];
      B[j] += -g - lr * reg * B[j];
      for (let f = 0; f < k; f++) {
        const p = P[pu + f];
        const a = Q[qi + f];
        const b = Q[qj + f];
        P[pu + f] = p + g * (a - b) - lr * reg * p;
        Q[qi + f] = a + g * p - lr * reg * a;
        Q[qj + f] = b - g * p - lr * reg * b;
      }
    }
    if (o.onEpoch?.(epoch + 1, o.epochs) === false) break;
  }
  return model;
}
