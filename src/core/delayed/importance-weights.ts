import { Random } from "../random.js";
import {
  convertedBy,
  type DelayedExamples,
  elapsedFeatureNames,
  elapsedFeatures,
  engagementCount,
  eventuallyConverts,
} from "./delayed-examples.js";
import { fitLogistic, type LogisticModel, logisticLogit } from "./logistic.js";

/**
 * FSIW-style importance weights for training on labels that are still arriving (methods.md 5; Yasui et
 * al., WWW 2020). At training time an example is seen at elapsed time e with label C = converted by e;
 * the label we want is Y = converts within the window. With g = P(C=1 | Y=1, x, e) and
 * h = P(Y=1 | C=0, x, e, z), z the engagement seen so far:
 *   w₊ = P(Y=1|x) / Q(C=1|x) = 1 / g        (an early converter stands for the slower ones)
 *   w₋ = P(Y=0|x) / Q(C=0|x) = 1 − h        (an engaged not-yet-converter is probably a future positive)
 * so the weighted log loss under Q equals the log loss under the eventual labels. Both g and h are fitted
 * on matured examples (window closed), replayed at elapsed times drawn uniformly over the window.
 */
export interface DelayModels {
  /** P(converted by e | converts), on [x, elapsed features]. */
  g: LogisticModel;
  /** P(converts | not converted by e), on [x, engagement, elapsed features]. */
  h: LogisticModel;
}

export interface ImportanceWeightOptions {
  /** Upper clip of w₊ (default 10) and lower clip of w₋ (default 0.05), as methods.md 5 specifies. */
  maxPositiveWeight?: number;
  minNegativeWeight?: number;
}

/** Engagement features: log(1 + count) per kind. */
function engagementFeatures(
  ex: DelayedExamples,
  i: number,
  elapsedMs: number,
  out: Float64Array,
  at: number,
) {
  for (let k = 0; k < ex.engagementKinds.length; k++)
    out[at + k] = Math.log1p(engagementCount(ex, i, k, elapsedMs));
}

function gRow(ex: DelayedExamples, i: number, elapsedMs: number, out: Float64Array, at: number): void {
  const d = ex.featureNames.length;
  for (let j = 0; j < d; j++) out[at + j] = ex.x[i * d + j];
  elapsedFeatures(elapsedMs, ex.windowMs, out, at + d);
}

function hRow(ex: DelayedExamples, i: number, elapsedMs: number, out: Float64Array, at: number): void {
  const d = ex.featureNames.length;
  gRow(ex, i, elapsedMs, out, at);
  engagementFeatures(ex, i, elapsedMs, out, at + d + elapsedFeatureNames.length);
}

const gWidth = (ex: DelayedExamples) => ex.featureNames.length + elapsedFeatureNames.length;
const hWidth = (ex: DelayedExamples) => gWidth(ex) + ex.engagementKinds.length;

/** Fits g and h on matured rows, each replayed at `replays` elapsed times drawn uniformly in (0, window). */
export function fitDelayModels(
  ex: DelayedExamples,
  maturedRows: ArrayLike<number>,
  seed = 1,
  replays = 4,
): DelayModels {
  const rng = new Random(seed);
  const gw = gWidth(ex);
  const hw = hWidth(ex);
  const gx: number[] = [];
  const gy: number[] = [];
  const hx: number[] = [];
  const hy: number[] = [];
  const gBuf = new Float64Array(gw);
  const hBuf = new Float64Array(hw);
  for (let r = 0; r < maturedRows.length; r++) {
    const i = maturedRows[r];
    const y = eventuallyConverts(ex, i);
    for (let s = 0; s < replays; s++) {
      const e = rng.next() * ex.windowMs;
      const c = convertedBy(ex, i, e);
      if (y === 1) {
        gRow(ex, i, e, gBuf, 0);
        gx.push(...gBuf);
        gy.push(c);
      }
      if (c === 0) {
        hRow(ex, i, e, hBuf, 0);
        hx.push(...hBuf);
        hy.push(y);
      }
    }
  }
  if (gy.length === 0 || hy.length === 0)
    throw new Error(
      "no matured conversions to learn the delay from: use a longer history or a shorter window",
    );
  return {
    g: fitLogistic(Float64Array.from(gx), gy.length, gy),
    h: fitLogistic(Float64Array.from(hx), hy.length, hy),
  };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function modelAt(
  model: LogisticModel,
  width: number,
  fill: typeof gRow,
  ex: DelayedExamples,
  i: number,
  elapsedMs: number,
): number {
  const buf = new Float64Array(width);
  fill(ex, i, elapsedMs, buf, 0);
  return sigmoid(logisticLogit(model, buf));
}

/** g(x, e) for example i at elapsed time e. */
export function conversionByElapsed(
  models: DelayModels,
  ex: DelayedExamples,
  i: number,
  elapsedMs: number,
): number {
  return modelAt(models.g, gWidth(ex), gRow, ex, i, elapsedMs);
}

/** h(x, e, z) for example i at elapsed time e. */
export function conversionIfNotYet(
  models: DelayModels,
  ex: DelayedExamples,
  i: number,
  elapsedMs: number,
): number {
  return modelAt(models.h, hWidth(ex), hRow, ex, i, elapsedMs);
}

/**
 * Weight of each row observed at its elapsed time (elapsedMs[r] for rows[r]): 1 when its window has closed
 * (the label is final), else w₊ or w₋ by whether it has converted yet.
 */
export function importanceWeights(
  models: DelayModels,
  ex: DelayedExamples,
  rows: ArrayLike<number>,
  elapsedMs: ArrayLike<number>,
  options: ImportanceWeightOptions = {},
): Float64Array {
  const maxPos = options.maxPositiveWeight ?? 10;
  const minNeg = options.minNegativeWeight ?? 0.05;
  const w = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    const e = elapsedMs[r];
    if (e >= ex.windowMs) w[r] = 1;
    else if (convertedBy(ex, i, e))
      w[r] = Math.min(maxPos, 1 / Math.max(1e-9, conversionByElapsed(models, ex, i, e)));
    else w[r] = Math.max(minNeg, 1 - conversionIfNotYet(models, ex, i, e));
  }
  return w;
}
