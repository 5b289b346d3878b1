import { spearman } from "../metrics/correlation.js";

/**
 * The served affinity: the user's own history with an item, shrunk toward what the factorization predicts
 * for it by how many plays back the history (a James-Stein style estimator):
 *
 *   s = (n·h + κ·m̃) / (n + κ),   m̃ = α + β·m
 *
 * where h is the mean label·weight over the user's n plays of the item and m the factorization's score,
 * mapped onto the history scale by a least-squares fit of h on m over training cells. An item new to the
 * user (n = 0) is scored by the factorization alone, so the blend keeps its order there; an item played
 * often is scored by its history, the strongest signal on replays. κ is learned on held-out plays (the
 * value that best orders them by play duration), and s is then mapped to the probability of a play past
 * the threshold by a logistic fit (Platt scaling, monotone, so the order is kept).
 */
export interface AffinityBlend {
  alpha: number;
  beta: number;
  kappa: number;
  plattSlope: number;
  plattIntercept: number;
}

export const kappaGrid: readonly number[] = [0.25, 0.5, 1, 2, 4, 8, 16, 32];

export function defaultBlend(): AffinityBlend {
  return { alpha: 0, beta: 0.1, kappa: 2, plattSlope: 4, plattIntercept: 0.5 };
}

/** The blended score on the history scale (before calibration). */
export function blendScore(blend: AffinityBlend, mf: number, historyMean: number, plays: number): number {
  const predicted = blend.alpha + blend.beta * mf;
  return (plays * historyMean + blend.kappa * predicted) / (plays + blend.kappa);
}

export function blendProbability(blend: AffinityBlend, score: number): number {
  return 1 / (1 + Math.exp(-(blend.plattIntercept + blend.plattSlope * score)));
}

/** Training cells as seen by the blend: the mf score and the history mean of each (user, item) cell. */
export interface BlendCells {
  mf: ArrayLike<number>;
  history: ArrayLike<number>;
}

/** Held-out plays: the mf score, history mean and play count of their pair, play duration and label. */
export interface BlendHeldOut {
  mf: ArrayLike<number>;
  history: ArrayLike<number>;
  plays: ArrayLike<number>;
  duration: ArrayLike<number>;
  long: ArrayLike<number>;
}

/** Fits α, β on training cells, then κ and the calibration on held-out plays. */
export function fitBlend(cells: BlendCells, heldOut: BlendHeldOut): AffinityBlend {
  const blend = defaultBlend();
  const [alpha, beta] = leastSquaresLine(cells.mf, cells.history);
  blend.alpha = alpha;
  // The mapped score must rise with the factorization's, or new items would be ranked upside down.
  blend.beta = Math.max(beta, 1e-3);
  const n = heldOut.mf.length;
  if (n < 20) return blend;
  let best = Number.NEGATIVE_INFINITY;
  let bestKappa = blend.kappa;
  const s = new Float64Array(n);
  for (const kappa of kappaGrid) {
    blend.kappa = kappa;
    for (let r = 0; r < n; r++) s[r] = blendScore(blend, heldOut.mf[r], heldOut.history[r], heldOut.plays[r]);
    const rho = spearman(s, heldOut.duration);
    if (rho > best + 1e-9) {
      best = rho;
      bestKappa = kappa;
    }
  }
  blend.kappa = bestKappa;
  for (let r = 0; r < n; r++) s[r] = blendScore(blend, heldOut.mf[r], heldOut.history[r], heldOut.plays[r]);
  const [a, b] = plattFit(s, heldOut.long);
  blend.plattIntercept = a;
  blend.plattSlope = Math.max(b, 1e-3);
  return blend;
}

/** Ordinary least squares y ≈ a + b·x. */
export function leastSquaresLine(x: ArrayLike<number>, y: ArrayLike<number>): [number, number] {
  const n = x.length;
  if (n === 0) return [0, 0];
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return [my - b * mx, b];
}

/**
 * One-feature logistic regression p = σ(a + b·s) by Newton's method, with Platt's smoothed targets
 * (N₊+1)/(N₊+2) and 1/(N₋+2) instead of 1 and 0, so that held-out plays of one class only (sources
 * without skips, like play counts) give finite parameters instead of a probability stuck at 1.
 */
export function plattFit(s: ArrayLike<number>, y: ArrayLike<number>, iterations = 50): [number, number] {
  let a = 0;
  let b = 0;
  const n = s.length;
  let positives = 0;
  for (let r = 0; r < n; r++) positives += y[r] > 0 ? 1 : 0;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (n - positives + 2);
  for (let it = 0; it < iterations; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-6;
    let hab = 0;
    let hbb = 1e-6;
    for (let r = 0; r < n; r++) {
      const p = 1 / (1 + Math.exp(-(a + b * s[r])));
      const e = (y[r] > 0 ? hi : lo) - p;
      const v = p * (1 - p);
      ga += e;
      gb += e * s[r];
      haa += v;
      hab += v * s[r];
      hbb += v * s[r] * s[r];
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a += da;
    b += db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return [a, b];
}
