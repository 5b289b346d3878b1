/**
 * The principal branch W₀ of the Lambert W function (w·e^w = x, w ≥ −1) for real x ≥ −1/e, by Halley's
 * iteration from a starting point that is already close: the branch-point series near −1/e, log-based
 * asymptotics for large x, and w ≈ x for small |x|. Converges to a relative 1e-15 in a few steps.
 */
export function lambertW0(x: number): number {
  const branchPoint = -1 / Math.E;
  if (Number.isNaN(x)) return Number.NaN;
  if (x < branchPoint) {
    // Rounding of −1/e itself may land a hair below; treat that as the branch point.
    if (x > branchPoint - 1e-15) return -1;
    throw new RangeError(`Lambert W₀ is not real for x = ${x} < −1/e`);
  }
  if (x === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (x === 0) return 0;
  let w: number;
  if (x < -0.25) {
    const p = Math.sqrt(2 * (Math.E * x + 1));
    w = -1 + p - (p * p) / 3 + (11 / 72) * p * p * p;
  } else if (x < 3) {
    w = Math.log1p(x) * 0.8;
  } else {
    const l1 = Math.log(x);
    const l2 = Math.log(l1);
    w = l1 - l2 + l2 / l1;
  }
  for (let i = 0; i < 50; i++) {
    const ew = Math.exp(w);
    const f = w * ew - x;
    const wp1 = w + 1;
    if (wp1 === 0) break;
    const step = f / (ew * wp1 - ((w + 2) * f) / (2 * wp1));
    w -= step;
    if (Math.abs(step) <= 1e-15 * (1 + Math.abs(w))) break;
  }
  return w;
}
