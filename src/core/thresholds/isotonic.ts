/**
 * Isotonic (non-decreasing) regression by the pool-adjacent-violators algorithm: the weighted least-squares
 * fit of y on x among all non-decreasing step functions. MIST (methods.md 6) recalibrates each uncertainty
 * level's scores with it; PAVA is O(n) after the sort, which matters when it runs per bin and per bootstrap.
 */
export interface IsotonicFit {
  /** Sorted distinct x values where the step function is known. */
  x: Float64Array;
  /** Fitted value at each x (non-decreasing). */
  y: Float64Array;
}

export function isotonicRegression(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weight?: ArrayLike<number>,
): IsotonicFit {
  const n = x.length;
  if (y.length !== n || (weight && weight.length !== n)) throw new Error("x, y and weight differ in length");
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  // Equal x values form one point first (their weighted mean), so the fit is a function of x.
  const px: number[] = [];
  const sum: number[] = [];
  const w: number[] = [];
  for (const i of order) {
    const wi = weight ? weight[i] : 1;
    if (px.length && px[px.length - 1] === x[i]) {
      sum[sum.length - 1] += wi * y[i];
      w[w.length - 1] += wi;
    } else {
      px.push(x[i]);
      sum.push(wi * y[i]);
      w.push(wi);
    }
  }
  // Blocks as a stack: (weighted sum, weight, number of points); merge while the last two violate order.
  const bSum: number[] = [];
  const bW: number[] = [];
  const bLen: number[] = [];
  for (let k = 0; k < px.length; k++) {
    bSum.push(sum[k]);
    bW.push(w[k]);
    bLen.push(1);
    while (bSum.length > 1) {
      const t = bSum.length - 1;
      if (bSum[t - 1] / bW[t - 1] <= bSum[t] / bW[t]) break;
      bSum[t - 1] += bSum[t];
      bW[t - 1] += bW[t];
      bLen[t - 1] += bLen[t];
      bSum.pop();
      bW.pop();
      bLen.pop();
    }
  }
  const fx = Float64Array.from(px);
  const fy = new Float64Array(px.length);
  let at = 0;
  for (let b = 0; b < bSum.length; b++) {
    const v = bW[b] > 0 ? bSum[b] / bW[b] : 0;
    for (let k = 0; k < bLen[b]; k++) fy[at++] = v;
  }
  return { x: fx, y: fy };
}

/**
 * The fitted step function at x: the value of the largest fitted x at or below it (the smallest fitted
 * value below the first knot). A step, not an interpolation, so a threshold on it is a threshold on x.
 */
export function isotonicPredict(fit: IsotonicFit, x: number): number {
  const xs = fit.x;
  if (xs.length === 0) return 0;
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return fit.y[Math.max(0, lo - 1)];
}
