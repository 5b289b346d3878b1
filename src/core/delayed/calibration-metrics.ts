import { aucMannWhitney } from "../metrics/index.js";

/** Mean negative log likelihood of binary labels, probabilities clipped to [1e-7, 1 − 1e-7]. */
export function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]));
    s -= y[i] ? Math.log(q) : Math.log(1 - q);
  }
  return s / p.length;
}

/** Expected calibration error over `bins` equal-width probability bins: Σ (n_b/n)·|mean p − mean y|. */
export function expectedCalibrationError(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): number {
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.floor(p[i] * bins));
    sumP[b] += p[i];
    sumY[b] += y[i];
    count[b]++;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b]) e += Math.abs(sumP[b] - sumY[b]) / p.length;
  return e;
}

export interface ProbabilityQuality {
  auc: number;
  logLoss: number;
  ece: number;
}

export function probabilityQuality(p: ArrayLike<number>, y: ArrayLike<number>): ProbabilityQuality {
  return { auc: aucMannWhitney(p, y), logLoss: logLoss(p, y), ece: expectedCalibrationError(p, y) };
}
