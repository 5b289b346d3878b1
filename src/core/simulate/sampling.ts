import type { Random } from "../random.js";

/** Small distributions the simulator draws from, all on the seeded `Random`. */

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Running sums of weights, so that `drawCumulative` picks index i with probability w[i] / Σw in O(log n). */
export function cumulative(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    out[i] = sum;
  }
  return out;
}

export function drawCumulative(rng: Random, cdf: Float64Array): number {
  const x = rng.next() * cdf[cdf.length - 1];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Zipf weights 1/rank^s over a random order, so popularity is unrelated to index. */
export function zipfWeights(rng: Random, n: number, s: number): Float64Array {
  const ranks = permutation(rng, n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 1 / (ranks[i] + 1) ** s;
  return w;
}

export function permutation(rng: Random, n: number): number[] {
  return rng.shuffle(Array.from({ length: n }, (_, i) => i));
}

/** Poisson by inversion for the small means used here (sessions per day); normal approximation above 30. */
export function poisson(rng: Random, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** Geometric count >= 1 with the given mean: session lengths have a long tail of marathon sessions. */
export function geometric(rng: Random, mean: number): number {
  if (mean <= 1) return 1;
  return 1 + Math.floor(Math.log(1 - rng.next()) / Math.log(1 - 1 / mean));
}

/** Pareto(alpha) >= 1: a power-law tail for per-user activity. */
export function pareto(rng: Random, alpha: number): number {
  return (1 - rng.next()) ** (-1 / alpha);
}

/** Picks from `values` with the given weights (weights need not sum to 1). */
export function pick<T>(rng: Random, values: readonly T[], weights: readonly number[]): T {
  let total = 0;
  for (const w of weights) total += w;
  let x = rng.next() * total;
  for (let i = 0; i < values.length; i++) {
    x -= weights[i];
    if (x < 0) return values[i];
  }
  return values[values.length - 1];
}
