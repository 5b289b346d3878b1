import { Random } from "../random.js";

/** Rows projected onto their two principal axes, and how much of the spread each axis keeps. */
export interface PrincipalPlane {
  /** x0, y0, x1, y1, ... for each row, in the order given. */
  coordinates: Float64Array;
  /** Unit axes in the input space (length `dims` each). */
  axes: [Float64Array, Float64Array];
  /** Variance along each axis (eigenvalues of the covariance). */
  variance: [number, number];
  /** Total variance of the rows (the trace of the covariance), for "share explained". */
  totalVariance: number;
}

/**
 * Projects `rows` (n rows of `dims` floats, row-major) onto the plane of their two largest principal
 * components, for drawing an embedding space as a map. Power iteration on the dims x dims covariance with
 * deflation: the covariance is tiny (dims is a factor count, tens), so building it costs one pass over the
 * rows and the iterations cost nothing; no linear-algebra package needed for a 2-D map.
 */
export function principalPlane(
  rows: Float32Array | Float64Array,
  dims: number,
  options: { seed?: number; iterations?: number; tolerance?: number } = {},
): PrincipalPlane {
  const n = dims > 0 ? Math.floor(rows.length / dims) : 0;
  const mean = new Float64Array(dims);
  for (let r = 0; r < n; r++) for (let f = 0; f < dims; f++) mean[f] += rows[r * dims + f];
  if (n > 0) for (let f = 0; f < dims; f++) mean[f] /= n;
  const cov = covariance(rows, n, dims, mean);
  let totalVariance = 0;
  for (let f = 0; f < dims; f++) totalVariance += cov[f * dims + f];
  const random = new Random(options.seed ?? 1);
  const first = topEigenvector(cov, dims, random, options);
  deflate(cov, dims, first.vector, first.value);
  const second = topEigenvector(cov, dims, random, options);
  const coordinates = new Float64Array(2 * n);
  for (let r = 0; r < n; r++) {
    let x = 0;
    let y = 0;
    for (let f = 0; f < dims; f++) {
      const centred = rows[r * dims + f] - mean[f];
      x += centred * first.vector[f];
      y += centred * second.vector[f];
    }
    coordinates[2 * r] = x;
    coordinates[2 * r + 1] = y;
  }
  return {
    coordinates,
    axes: [first.vector, second.vector],
    variance: [Math.max(0, first.value), Math.max(0, second.value)],
    totalVariance,
  };
}

function covariance(rows: Float32Array | Float64Array, n: number, dims: number, mean: Float64Array) {
  const cov = new Float64Array(dims * dims);
  const centred = new Float64Array(dims);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < dims; f++) centred[f] = rows[r * dims + f] - mean[f];
    for (let a = 0; a < dims; a++) {
      const ca = centred[a];
      for (let b = a; b < dims; b++) cov[a * dims + b] += ca * centred[b];
    }
  }
  const denominator = Math.max(1, n - 1);
  for (let a = 0; a < dims; a++)
    for (let b = a; b < dims; b++) {
      cov[a * dims + b] /= denominator;
      cov[b * dims + a] = cov[a * dims + b];
    }
  return cov;
}

/** The dominant eigenpair of a symmetric positive semi-definite matrix, by power iteration. */
function topEigenvector(
  matrix: Float64Array,
  dims: number,
  random: Random,
  options: { iterations?: number; tolerance?: number },
): { vector: Float64Array; value: number } {
  const iterations = options.iterations ?? 1000;
  const tolerance = options.tolerance ?? 1e-12;
  let v = new Float64Array(dims);
  for (let f = 0; f < dims; f++) v[f] = random.next() - 0.5;
  normalise(v);
  let next = new Float64Array(dims);
  let value = 0;
  for (let it = 0; it < iterations && dims > 0; it++) {
    multiply(matrix, dims, v, next);
    const norm = normalise(next);
    if (norm === 0) return { vector: v, value: 0 };
    let change = 0;
    for (let f = 0; f < dims; f++) change += (next[f] - v[f]) ** 2;
    [v, next] = [next, v];
    value = norm;
    if (change < tolerance) break;
  }
  // Signs are arbitrary; fix one (largest component positive) so maps do not flip between runs.
  let largest = 0;
  for (let f = 1; f < dims; f++) if (Math.abs(v[f]) > Math.abs(v[largest])) largest = f;
  if (v[largest] < 0) for (let f = 0; f < dims; f++) v[f] = -v[f];
  return { vector: v, value };
}

function deflate(matrix: Float64Array, dims: number, vector: Float64Array, value: number): void {
  for (let a = 0; a < dims; a++)
    for (let b = 0; b < dims; b++) matrix[a * dims + b] -= value * vector[a] * vector[b];
}

function multiply(matrix: Float64Array, dims: number, v: Float64Array, out: Float64Array): void {
  for (let a = 0; a < dims; a++) {
    let s = 0;
    for (let b = 0; b < dims; b++) s += matrix[a * dims + b] * v[b];
    out[a] = s;
  }
}

function normalise(v: Float64Array): number {
  let s = 0;
  for (let f = 0; f < v.length; f++) s += v[f] * v[f];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let f = 0; f < v.length; f++) v[f] /= norm;
  return norm;
}
