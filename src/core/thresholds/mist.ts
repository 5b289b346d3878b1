import { type BinnedThresholds, rowsByBin } from "./binned-thresholds.js";
import { isotonicPredict, isotonicRegression } from "./isotonic.js";
import { bestSingleThreshold, quantileEdges } from "./precision-recall.js";

/**
 * MIST (Arora et al., arXiv 2311.11723; methods.md 6): isotonic regression of the label on the score,
 * separately in each equal-count uncertainty bin, puts every bin's scores on one calibrated scale; one
 * global threshold τ on that scale (the feasible one of highest recall at precision >= minPrecision)
 * then becomes a score threshold per bin: the lowest score whose calibrated value reaches τ.
 */
export function fitMist(
  score: ArrayLike<number>,
  uncertainty: ArrayLike<number>,
  label: ArrayLike<number>,
  minPrecision: number,
  bins = 5,
): BinnedThresholds {
  const edges = quantileEdges(uncertainty, bins);
  const rows = rowsByBin(edges, uncertainty);
  const calibrated = new Float64Array(score.length);
  const fits = rows.map((idx) => {
    const fit = isotonicRegression(
      idx.map((i) => score[i]),
      idx.map((i) => label[i]),
    );
    for (const i of idx) calibrated[i] = isotonicPredict(fit, score[i]);
    return fit;
  });
  const tau = bestSingleThreshold(calibrated, label, minPrecision);
  const scoreThresholds = fits.map((fit) => {
    for (let k = 0; k < fit.x.length; k++) if (fit.y[k] >= tau) return fit.x[k];
    return Number.POSITIVE_INFINITY;
  });
  return { method: "mist", uncertaintyEdges: Array.from(edges), scoreThresholds };
}
