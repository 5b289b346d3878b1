import { Random } from "../random.js";
import { createFactorModel, type FactorModel } from "./factor-model.js";
import { bprLayout, bprLayoutFits, bprWasmAvailable, trainBprWasm } from "./kernel/bpr-wasm.js";
import { containsSorted, type PairwiseSet } from "./pairwise-set.js";

/**
 * reference: the plain TypeScript loop below. wasm: the same steps in WebAssembly SIMD (kernel/bpr.wat),
 * the same samples for a seed and float32 results within rounding of the reference's.
 */
export type BprKernel = "reference" | "wasm";

export interface BprOptions {
  factors: number;
  epochs: number;
  /** Pairs per epoch; default the number of P∪N cells (the reference's epoch). */
  samplesPerEpoch?: number;
  learningRate: number;
  regularization: number;
  initStd: number;
  seed: number;
  /** Default: see defaultBprKernel. */
  kernel?: BprKernel;
  /**
   * Called after each epoch; return false to stop early. `factors()` gives the factors as they stand (the
   * wasm kernels copy them out of their memory only when it is called; a training curve does).
   */
  onEpoch?: (epoch: number, epochs: number, factors: () => FactorModel) => boolean | undefined;
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
export const MAX_U_TRIES = 64;

/** wasm when the platform has WebAssembly SIMD and the set fits a 32-bit memory, else reference. */
export function defaultBprKernel(set: PairwiseSet, factors: number): BprKernel {
  return bprWasmAvailable() && bprLayoutFits(bprLayout(set, factors)) ? "wasm" : "reference";
}

/**
 * Weighted BPR over the tiers P ≻ U ≻ N (methods.md section 1, reference-figures.md). Each step draws the
 * pair type uniformly from (P,U), (P,N), (U,N), then takes one SGD step
 *   θ ← θ + lr·(w·σ(−x̂_uij)·∂x̂_uij/∂θ − reg·θ)  with x̂_uij = b_i − b_j + p_u·(q_i − q_j).
 * Sequential SGD on one thread: deterministic for a seed and kernel. The kernel only changes speed and
 * float32 rounding; see BprKernel.
 */
export function trainBpr(set: PairwiseSet, options: Partial<BprOptions> = {}): FactorModel {
  const o = { ...defaultBprOptions, ...options };
  const { model, rng } = initBprFactors(set, o);
  if (set.positives.length === 0) return model;
  if ((o.kernel ?? defaultBprKernel(set, o.factors)) === "wasm")
    return trainBprWasm(set, model, rng.state(), o);
  return referenceLoop(set, model, rng, o);
}

/** The model every kernel starts from, and the random stream its steps continue. */
export function initBprFactors(set: PairwiseSet, o: BprOptions): { model: FactorModel; rng: Random } {
  const rng = new Random(o.seed);
  const model = createFactorModel(set.nUsers, set.nItems, o.factors);
  for (let x = 0; x < model.userFactors.length; x++) model.userFactors[x] = rng.normal() * o.initStd;
  for (let x = 0; x < model.itemFactors.length; x++) model.itemFactors[x] = rng.normal() * o.initStd;
  return { model, rng };
}

/** Whether item j is in user u's P block or N block (each sorted on its own, so two searches). */
export function inUserRow(set: PairwiseSet, u: number, j: number): boolean {
  const { items, rowPtr, pEnd } = set;
  return containsSorted(items, rowPtr[u], pEnd[u], j) || containsSorted(items, pEnd[u], rowPtr[u + 1], j);
}

function referenceLoop(set: PairwiseSet, model: FactorModel, rng: Random, o: BprOptions): FactorModel {
  const k = o.factors;
  const P = model.userFactors;
  const Q = model.itemFactors;
  const B = model.itemBias;
  const { rowPtr, pEnd, items, weight, owner, positives, negatives, nItems } = set;
  const lr = o.learningRate;
  const reg = o.regularization;
  // Arithmetic in f64 between float32 loads and stores. Rounding every operation with Math.fround, as the
  // SIMD kernel's float32 does, cost this loop 13% (and the kernels agree to ~1e-6 after 100 epochs
  // anyway), so the reference stays the plain loop it is measured as.
  const samples = o.samplesPerEpoch ?? items.length;

  const drawU = (u: number): number => {
    let j = 0;
    for (let t = 0; t < MAX_U_TRIES; t++) {
      j = rng.int(nItems);
      if (!inUserRow(set, u, j)) return j;
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
    if (o.onEpoch?.(epoch + 1, o.epochs, () => model) === false) break;
  }
  return model;
}
