/**
 * In-place inverse of a symmetric positive definite matrix (row-major Float64Array, n x n), by the sweep
 * operator over every pivot, in blocks. Hand-written because EASE needs (XᵀX + λI)⁻¹ for up to a few
 * thousand items on every training run and none of the project's dependencies inverts a matrix.
 *
 * Sweeping pivot k: d = A[k][k]; A[i][j] -= A[i][k]·A[k][j]/d for i, j ≠ k; A[i][k] = A[k][i] = A[i][k]/d;
 * A[k][k] = -1/d. Sweeping every pivot (in any order: sweeps commute) leaves -A⁻¹. No pivoting is needed
 * because every leading minor of a positive definite matrix is positive.
 *
 * Why blocks: one pivot at a time streams the whole matrix through memory per pivot (n³/2 multiply-adds
 * but n³/2 memory reads too, 7 s at n = 2000 here). Sweeping a block K of b pivots at once is the same
 * algebra as a rank-b update, A_RR -= A_RK·A_KK⁻¹·A_KR, A_RK ← A_RK·A_KK⁻¹, A_KK ← -A_KK⁻¹, which reads
 * each row of A once per block instead of once per pivot. Only the upper triangle is updated (j ≥ i) and
 * mirrored at the end. The slow reference is `gaussJordanInverse` (partial pivoting, every entry of
 * [A | I]), checked against this in symmetric-inverse.test.ts.
 */
export function invertSymmetricPositiveDefinite(
  a: Float64Array,
  n: number,
  onBlock?: (done: number, total: number) => void,
  blockSize = 32,
): Float64Array {
  if (a.length !== n * n) throw new RangeError(`expected ${n * n} entries, got ${a.length}`);
  const upper = (i: number, j: number) => (i <= j ? i * n + j : j * n + i);
  for (let k0 = 0; k0 < n; k0 += blockSize) {
    const b = Math.min(blockSize, n - k0);
    const k1 = k0 + b;
    // M = A_KK⁻¹ by the one-pivot sweep on a small copy.
    const m = new Float64Array(b * b);
    for (let p = 0; p < b; p++) for (let q = 0; q < b; q++) m[p * b + q] = a[upper(k0 + p, k0 + q)];
    sweepSmall(m, b, k0);
    // C = rows K of A (b x n) and W = M·C (b x n).
    const c = new Float64Array(b * n);
    for (let p = 0; p < b; p++) for (let j = 0; j < n; j++) c[p * n + j] = a[upper(k0 + p, j)];
    const w = new Float64Array(b * n);
    for (let p = 0; p < b; p++) {
      for (let q = 0; q < b; q++) {
        const f = m[p * b + q];
        for (let j = 0, x = p * n, y = q * n; j < n; j++) w[x + j] += f * c[y + j];
      }
    }
    // A_RR -= Cᵀ·W over the upper triangle of the rows and columns outside K: b passes of a
    // multiply-add over row i, which stays in cache meanwhile (the columns in K are fixed below).
    for (let i = 0; i < n; i++) {
      if (i >= k0 && i < k1) continue;
      const row = i * n;
      for (let p = 0; p < b; p++) {
        const f = c[p * n + i];
        if (f === 0) continue;
        for (let j = i, x = p * n; j < n; j++) a[row + j] -= f * w[x + j];
      }
    }
    // Rows and columns K: A_RK = W, A_KK = -M.
    for (let p = 0; p < b; p++) {
      for (let j = 0; j < n; j++) {
        if (j >= k0 && j < k1) a[upper(k0 + p, j)] = -m[p * b + (j - k0)];
        else a[upper(k0 + p, j)] = w[p * n + j];
      }
    }
    onBlock?.(k1, n);
  }
  // -A⁻¹ in the upper triangle: negate and mirror into a full symmetric matrix.
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = -a[i * n + j];
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** The one-pivot sweep of a small full symmetric matrix, in place: leaves its inverse (not negated). */
function sweepSmall(m: Float64Array, b: number, offset: number): void {
  for (let k = 0; k < b; k++) {
    const d = m[k * b + k];
    if (!(d > 0)) throw new RangeError(`matrix is not positive definite (pivot ${offset + k} is ${d})`);
    const inv = 1 / d;
    for (let i = 0; i < b; i++) {
      if (i === k) continue;
      const f = m[i * b + k] * inv;
      for (let j = 0; j < b; j++) if (j !== k) m[i * b + j] -= f * m[k * b + j];
    }
    for (let j = 0; j < b; j++) {
      if (j === k) continue;
      m[k * b + j] *= inv;
      m[j * b + k] = m[k * b + j];
    }
    m[k * b + k] = -inv;
  }
  for (let x = 0; x < m.length; x++) m[x] = -m[x];
}

/** Slow, obviously correct reference: Gauss-Jordan elimination with partial pivoting on [A | I]. */
export function gaussJordanInverse(a: Float64Array, n: number): Float64Array {
  const m = Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: n }, (_, j) => a[i * n + j]),
    ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  ]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(m[i][c]) > Math.abs(m[p][c])) p = i;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    if (d === 0) throw new RangeError("singular matrix");
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let i = 0; i < n; i++) {
      if (i === c) continue;
      const f = m[i][c];
      for (let j = 0; j < 2 * n; j++) m[i][j] -= f * m[c][j];
    }
  }
  return Float64Array.from({ length: n * n }, (_, x) => m[Math.floor(x / n)][n + (x % n)]);
}
