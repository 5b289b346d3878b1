/**
 * L2-regularised logistic regression on dense rows, fitted by Newton's method. The reward models of
 * off-policy evaluation have a few dozen features (action, position and context one-hots), so the d x d
 * Hessian is tiny and Newton converges in a handful of steps where gradient descent would need thousands
 * and a learning rate to tune. The intercept (column 0 of the weights) is not penalised.
 */
export interface LogisticModel {
  readonly weights: Float64Array;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** w0 + x . w[1..] */
export function logisticScore(model: LogisticModel, x: ArrayLike<number>): number {
  const w = model.weights;
  let z = w[0];
  for (let j = 0; j < x.length; j++) z += w[j + 1] * x[j];
  return sigmoid(z);
}

/** Solves A x = b in place for a symmetric positive-definite A (Cholesky); A and b are overwritten. */
export function solveSpd(a: Float64Array, b: Float64Array, d: number): Float64Array {
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j];
    for (let k = 0; k < j; k++) s -= a[j * d + k] * a[j * d + k];
    const diag = Math.sqrt(Math.max(s, 1e-12));
    a[j * d + j] = diag;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j];
      for (let k = 0; k < j; k++) t -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = t / diag;
    }
  }
  for (let i = 0; i < d; i++) {
    let t = b[i];
    for (let k = 0; k < i; k++) t -= a[i * d + k] * b[k];
    b[i] = t / a[i * d + i];
  }
  for (let i = d - 1; i >= 0; i--) {
    let t = b[i];
    for (let k = i + 1; k < d; k++) t -= a[k * d + i] * b[k];
    b[i] = t / a[i * d + i];
  }
  return b;
}

/**
 * Fits on the rows listed in `rows` (all when omitted) of a row-major n x dim matrix.
 * `lambda` is the L2 penalty on the non-intercept weights. `sampleWeights` (indexed by row, default 1 each)
 * weight each row's log-loss: importance weights make the fit aim at another policy's action mix.
 */
export function fitLogistic(
  x: Float64Array,
  dim: number,
  y: ArrayLike<number>,
  lambda: number,
  rows?: ArrayLike<number>,
  iterations = 25,
  sampleWeights?: ArrayLike<number>,
): LogisticModel {
  const n = rows ? rows.length : y.length;
  const d = dim + 1;
  const w = new Float64Array(d);
  let mean = 0;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    const s = sampleWeights ? sampleWeights[i] : 1;
    mean += s * y[i];
    total += s;
  }
  mean = Math.min(Math.max(mean / Math.max(total, 1e-12), 1e-6), 1 - 1e-6);
  w[0] = Math.log(mean / (1 - mean));
  const grad = new Float64Array(d);
  const hess = new Float64Array(d * d);
  // Rows are mostly one-hots: keep each row's non-zero columns once so that the Hessian costs nnz^2 a row.
  const nzIndex: number[][] = [];
  const nzValue: number[][] = [];
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    const idx = [0];
    const val = [1];
    for (let j = 0; j < dim; j++) {
      const v = x[i * dim + j];
      if (v !== 0) {
        idx.push(j + 1);
        val.push(v);
      }
    }
    nzIndex.push(idx);
    nzValue.push(val);
  }
  for (let it = 0; it < iterations; it++) {
    grad.fill(0);
    hess.fill(0);
    for (let k = 0; k < n; k++) {
      const i = rows ? rows[k] : k;
      const idx = nzIndex[k];
      const val = nzValue[k];
      let z = 0;
      for (let t = 0; t < idx.length; t++) z += w[idx[t]] * val[t];
      const p = sigmoid(z);
      const s = sampleWeights ? sampleWeights[i] : 1;
      const g = s * (p - y[i]);
      const h = s * p * (1 - p);
      for (let t = 0; t < idx.length; t++) {
        const a = idx[t];
        grad[a] += g * val[t];
        const hr = h * val[t];
        for (let u = 0; u < idx.length; u++) {
          const b = idx[u];
          if (b <= a) hess[a * d + b] += hr * val[u];
        }
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) hess[b * d + a] = hess[a * d + b];
    for (let j = 1; j < d; j++) {
      grad[j] += lambda * w[j];
      hess[j * d + j] += lambda;
    }
    hess[0] += 1e-9;
    const step = solveSpd(hess, grad, d);
    let change = 0;
    for (let j = 0; j < d; j++) {
      w[j] -= step[j];
      change = Math.max(change, Math.abs(step[j]));
    }
    if (change < 1e-8) break;
  }
  return { weights: w };
}
