import { Random } from "../random.js";
import { createFactorModel, type FactorModel } from "./factor-model.js";
import type { PairwiseSet } from "./pairwise-set.js";

export interface WrmfOptions {
  factors: number;
  iterations: number;
  regularization: number;
  /** Confidence c = 1 + alpha·w on observed cells (Hu, Koren, Volinsky 2008). */
  alpha: number;
  /** Conjugate-gradient steps per vector per iteration (Takács et al.; implicit uses 3). */
  cgSteps: number;
  seed: number;
  onIteration?: (iteration: number, iterations: number) => void;
}

export const defaultWrmfOptions: WrmfOptions = {
  factors: 50,
  iterations: 15,
  regularization: 0.1,
  alpha: 10,
  cgSteps: 3,
  seed: 0,
};

/** One side's observed cells, CSR by row (users, or items). */
export interface SideMatrix {
  rowPtr: Int32Array;
  cols: Int32Array;
  confidence: Float32Array;
  preference: Uint8Array;
}

/**
 * Pointwise weighted least squares MF (implicit ALS / WRMF): minimise Σ c_ui (p_ui − x_u·y_i)² + λ(‖x‖² + ‖y‖²)
 * over all pairs, where P cells have preference 1 and N cells preference 0, both with confidence
 * 1 + alpha·w, and every other pair preference 0 with confidence 1. Solved by alternating conjugate
 * gradient, never forming the dense matrix.
 */
export function trainWrmf(set: PairwiseSet, options: Partial<WrmfOptions> = {}): FactorModel {
  const o = { ...defaultWrmfOptions, ...options };
  const k = o.factors;
  const model = initWrmfFactors(set, o);
  const { byUser, byItem } = wrmfSides(set, o.alpha);
  const scratch = new CgScratch(k);
  for (let it = 0; it < o.iterations; it++) {
    solveSide(model.userFactors, model.itemFactors, byUser, set.nUsers, k, o, scratch);
    solveSide(model.itemFactors, model.userFactors, byItem, set.nItems, k, o, scratch);
    o.onIteration?.(it + 1, o.iterations);
  }
  return model;
}

/** The starting factors (small normal noise from the seed). */
export function initWrmfFactors(set: PairwiseSet, o: WrmfOptions): FactorModel {
  const model = createFactorModel(set.nUsers, set.nItems, o.factors);
  const rng = new Random(o.seed);
  for (let x = 0; x < model.userFactors.length; x++) model.userFactors[x] = rng.normal() * 0.01;
  for (let x = 0; x < model.itemFactors.length; x++) model.itemFactors[x] = rng.normal() * 0.01;
  return model;
}

/** The observed cells by user and by item, each with its confidence and preference. */
export function wrmfSides(set: PairwiseSet, alpha: number): { byUser: SideMatrix; byItem: SideMatrix } {
  const byUser = userSide(set, alpha);
  return { byUser, byItem: transpose(byUser, set.nItems) };
}

function userSide(set: PairwiseSet, alpha: number): SideMatrix {
  const n = set.items.length;
  const confidence = new Float32Array(n);
  const preference = new Uint8Array(n);
  for (let u = 0; u < set.nUsers; u++) {
    for (let c = set.rowPtr[u]; c < set.rowPtr[u + 1]; c++) {
      confidence[c] = 1 + alpha * set.weight[c];
      preference[c] = c < set.pEnd[u] ? 1 : 0;
    }
  }
  return { rowPtr: set.rowPtr, cols: set.items, confidence, preference };
}

function transpose(m: SideMatrix, nCols: number): SideMatrix {
  const n = m.cols.length;
  const rowPtr = new Int32Array(nCols + 1);
  for (let c = 0; c < n; c++) rowPtr[m.cols[c] + 1]++;
  for (let i = 0; i < nCols; i++) rowPtr[i + 1] += rowPtr[i];
  const fill = rowPtr.slice(0, nCols);
  const cols = new Int32Array(n);
  const confidence = new Float32Array(n);
  const preference = new Uint8Array(n);
  const nRows = m.rowPtr.length - 1;
  for (let r = 0; r < nRows; r++) {
    for (let c = m.rowPtr[r]; c < m.rowPtr[r + 1]; c++) {
      const at = fill[m.cols[c]]++;
      cols[at] = r;
      confidence[at] = m.confidence[c];
      preference[at] = m.preference[c];
    }
  }
  return { rowPtr, cols, confidence, preference };
}

/** Per-thread working vectors of the CG solves; `gram` is YᵀY + λI for the side being solved. */
export class CgScratch {
  readonly gram: Float64Array;
  readonly r: Float64Array;
  readonly p: Float64Array;
  readonly ap: Float64Array;
  readonly x: Float64Array;
  constructor(k: number, gram: Float64Array = new Float64Array(k * k)) {
    this.gram = gram;
    this.r = new Float64Array(k);
    this.p = new Float64Array(k);
    this.ap = new Float64Array(k);
    this.x = new Float64Array(k);
  }
}

/** Updates every row of X given the fixed Y, with a few CG steps warm-started from the current X. */
function solveSide(
  X: Float32Array,
  Y: Float32Array,
  m: SideMatrix,
  nRows: number,
  k: number,
  o: WrmfOptions,
  s: CgScratch,
): void {
  gramMatrix(Y, k, o.regularization, s.gram);
  solveRows(X, Y, m, 0, nRows, k, o, s);
}

/** YᵀY + λI into `gram` (k × k, row-major), shared by every row of a side. */
export function gramMatrix(Y: Float32Array, k: number, regularization: number, gram: Float64Array): void {
  gram.fill(0);
  const nY = Y.length / k;
  for (let j = 0; j < nY; j++) {
    const yj = j * k;
    for (let a = 0; a < k; a++) {
      const va = Y[yj + a];
      if (va === 0) continue;
      for (let b = a; b < k; b++) gram[a * k + b] += va * Y[yj + b];
    }
  }
  for (let a = 0; a < k; a++) {
    gram[a * k + a] += regularization;
    for (let b = 0; b < a; b++) gram[a * k + b] = gram[b * k + a];
  }
}

/**
 * Rows [from, to) of X given the fixed Y and s.gram: each row alone (rows of a side do not depend on each
 * other), so threads may solve disjoint ranges at once and get the sequential result.
 */
export function solveRows(
  X: Float32Array,
  Y: Float32Array,
  m: SideMatrix,
  from: number,
  to: number,
  k: number,
  o: Pick<WrmfOptions, "cgSteps">,
  s: CgScratch,
): void {
  const { gram, r, p, ap, x } = s;
  for (let row = from; row < to; row++) {
    const xo = row * k;
    for (let f = 0; f < k; f++) x[f] = X[xo + f];
    // r = Yᵀ C p − (YᵀY + λI + Yᵀ(C − I)Y) x
    for (let a = 0; a < k; a++) {
      let acc = 0;
      for (let b = 0; b < k; b++) acc -= gram[a * k + b] * x[b];
      r[a] = acc;
    }
    for (let c = m.rowPtr[row]; c < m.rowPtr[row + 1]; c++) {
      const yo = m.cols[c] * k;
      const conf = m.confidence[c];
      let dot = 0;
      for (let f = 0; f < k; f++) dot += Y[yo + f] * x[f];
      const coef = m.preference[c] * conf - (conf - 1) * dot;
      for (let f = 0; f < k; f++) r[f] += coef * Y[yo + f];
    }
    let rsOld = 0;
    for (let f = 0; f < k; f++) {
      p[f] = r[f];
      rsOld += r[f] * r[f];
    }
    for (let step = 0; step < o.cgSteps && rsOld > 1e-20; step++) {
      for (let a = 0; a < k; a++) {
        let acc = 0;
        for (let b = 0; b < k; b++) acc += gram[a * k + b] * p[b];
        ap[a] = acc;
      }
      for (let c = m.rowPtr[row]; c < m.rowPtr[row + 1]; c++) {
        const yo = m.cols[c] * k;
        let dot = 0;
        for (let f = 0; f < k; f++) dot += Y[yo + f] * p[f];
        const coef = (m.confidence[c] - 1) * dot;
        for (let f = 0; f < k; f++) ap[f] += coef * Y[yo + f];
      }
      let pAp = 0;
      for (let f = 0; f < k; f++) pAp += p[f] * ap[f];
      if (pAp <= 0) break;
      const alpha = rsOld / pAp;
      let rsNew = 0;
      for (let f = 0; f < k; f++) {
        x[f] += alpha * p[f];
        r[f] -= alpha * ap[f];
        rsNew += r[f] * r[f];
      }
      const beta = rsNew / rsOld;
      for (let f = 0; f < k; f++) p[f] = r[f] + beta * p[f];
      rsOld = rsNew;
    }
    for (let f = 0; f < k; f++) X[xo + f] = x[f];
  }
}
