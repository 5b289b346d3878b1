/**
 * Column means and inverse standard deviations of a row-major matrix, and the matrix standardised by them:
 * both classifiers learn on z-scores so one learning rate suits every feature. A constant column gets
 * scale 0 (it carries nothing).
 */
export function standardize(
  x: Float64Array,
  n: number,
): { d: number; mean: Float64Array; scale: Float64Array; z: Float64Array } {
  if (n === 0) throw new Error("no rows to train on");
  const d = x.length / n;
  if (!Number.isInteger(d)) throw new Error("feature matrix size is not a multiple of the row count");
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += x[r * d + j] / n;
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) scale[j] += (x[r * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = scale[j] > 1e-12 ? 1 / Math.sqrt(scale[j]) : 0;
  const z = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) z[r * d + j] = (x[r * d + j] - mean[j]) * scale[j];
  return { d, mean, scale, z };
}
