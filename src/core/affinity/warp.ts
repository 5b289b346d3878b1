import { Random } from "../random.js";
import { type BprOptions, defaultBprOptions } from "./bpr.js";
import { createFactorModel, type FactorModel } from "./factor-model.js";
import { containsSorted, type PairwiseSet } from "./pairwise-set.js";

export interface WarpOptions extends Omit<BprOptions, "onEpoch"> {
  /** Negatives drawn per positive before giving up (LightFM's max_sampled). */
  maxSampled: number;
  /** Hinge margin: a negative violates when it scores above s_i − margin. */
  margin: number;
  onEpoch?: BprOptions["onEpoch"];
}

// Chosen on a validation share carved from MovieLens 100K split-pos4's train.csv (bench/quality.ts): with
// Adagrad, a learning rate of 0.05 overfits after ~10 epochs; 0.02 keeps improving to ~80.
export const defaultWarpOptions: WarpOptions = {
  ...defaultBprOptions,
  epochs: 80,
  learningRate: 0.02,
  regularization: 0.0001,
  maxSampled: 10,
  margin: 1,
};

/**
 * WARP (Weston, Bengio, Usunier 2011): for a liked item i, draw items the user has not liked until one
 * scores within the margin of i; the number of draws t estimates i's rank r ≈ (n − 1)/t, and the step is
 * weighted by L(r) = ln(1 + r) (LightFM's form of the paper's Σ_{k≤r} 1/k), so items that sit low in the
 * ranking get large steps and items already near the top small ones: the loss optimises the top of the
 * list, where precision@k lives. Each step is also weighted by the cell's duration confidence, and
 * per-parameter Adagrad learning rates (as LightFM) keep rare items' updates large and frequent ones'
 * small. An epoch visits every liked cell once, in a fresh random order. Disliked (N) items count as not
 * liked.
 */
export function trainWarp(set: PairwiseSet, options: Partial<WarpOptions> = {}): FactorModel {
  const o = { ...defaultWarpOptions, ...options };
  const k = o.factors;
  const rng = new Random(o.seed);
  const model = createFactorModel(set.nUsers, set.nItems, k);
  for (let x = 0; x < model.userFactors.length; x++) model.userFactors[x] = (rng.next() - 0.5) / k;
  for (let x = 0; x < model.itemFactors.length; x++) model.itemFactors[x] = (rng.next() - 0.5) / k;
  const P = model.userFactors;
  const Q = model.itemFactors;
  const B = model.itemBias;
  // Adagrad accumulators (start at 1, as LightFM does).
  const gP = new Float32Array(P.length).fill(1);
  const gQ = new Float32Array(Q.length).fill(1);
  const gB = new Float32Array(B.length).fill(1);
  const { rowPtr, pEnd, items, weight, owner, positives, nItems } = set;
  const lr = o.learningRate;
  const reg = o.regularization;
  const samples = o.samplesPerEpoch ?? positives.length;
  if (positives.length === 0 || nItems < 2) return model;
  // L(r) for every possible rank, precomputed. ln(1 + r) rather than ln r keeps a step at rank 1 (tiny
  // catalogues); the harmonic sum (≈ ln r + 0.58) scored a little lower on validation.
  const rankLoss = new Float32Array(nItems);
  for (let r = 1; r < nItems; r++) rankLoss[r] = Math.log1p(r);
  const uGrad = new Float32Array(k);
  // Visiting the liked cells as shuffled passes (not draws with replacement, which miss a third of them
  // each epoch) scored better on validation.
  const order = Int32Array.from(positives);
  let next = order.length;

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let s = 0; s < samples; s++) {
      if (next === order.length) {
        for (let x = order.length - 1; x > 0; x--) {
          const y = rng.int(x + 1);
          const t = order[x];
          order[x] = order[y];
          order[y] = t;
        }
        next = 0;
      }
      const cp = order[next++];
      const u = owner[cp];
      const i = items[cp];
      const pu = u * k;
      const qi = i * k;
      let si = B[i];
      for (let f = 0; f < k; f++) si += P[pu + f] * Q[qi + f];
      let j = -1;
      let trials = 0;
      while (trials < o.maxSampled) {
        trials++;
        const cand = rng.int(nItems);
        if (containsSorted(items, rowPtr[u], pEnd[u], cand)) continue;
        const qc = cand * k;
        let sc = B[cand];
        for (let f = 0; f < k; f++) sc += P[pu + f] * Q[qc + f];
        if (sc > si - o.margin) {
          j = cand;
          break;
        }
      }
      if (j < 0) continue;
      const rank = Math.min(nItems - 1, Math.floor((nItems - 1) / trials));
      const g = rankLoss[rank] * weight[cp];
      const qj = j * k;
      for (let f = 0; f < k; f++) {
        const p = P[pu + f];
        const a = Q[qi + f];
        const b = Q[qj + f];
        uGrad[f] = g * (a - b) - reg * p;
        const dA = g * p - reg * a;
        const dB = -g * p - reg * b;
        gQ[qi + f] += dA * dA;
        gQ[qj + f] += dB * dB;
        Q[qi + f] = a + (lr / Math.sqrt(gQ[qi + f])) * dA;
        Q[qj + f] = b + (lr / Math.sqrt(gQ[qj + f])) * dB;
      }
      for (let f = 0; f < k; f++) {
        gP[pu + f] += uGrad[f] * uGrad[f];
        P[pu + f] += (lr / Math.sqrt(gP[pu + f])) * uGrad[f];
      }
      const dBi = g - reg * B[i];
      const dBj = -g - reg * B[j];
      gB[i] += dBi * dBi;
      gB[j] += dBj * dBj;
      B[i] += (lr / Math.sqrt(gB[i])) * dBi;
      B[j] += (lr / Math.sqrt(gB[j])) * dBj;
    }
    if (o.onEpoch?.(epoch + 1, o.epochs, () => model) === false) break;
  }
  return model;
}
