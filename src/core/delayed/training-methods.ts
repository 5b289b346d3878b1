import { Random } from "../random.js";
import { type ProbabilityQuality, probabilityQuality } from "./calibration-metrics.js";
import { convertedBy, type DelayedExamples, eventuallyConverts } from "./delayed-examples.js";
import {
  type DelayModels,
  fitDelayModels,
  type ImportanceWeightOptions,
  importanceWeights,
} from "./importance-weights.js";
import { fitLogistic, type LogisticModel, predictLogistic } from "./logistic.js";

/**
 * The four ways to train on labels that are still arriving (issue 18), all seeing the data as it stood at
 * the cut: naive (not converted yet = negative), wait (only examples whose window closed before the cut),
 * importance-weighted (FSIW: every example, weighted by models of the delay fitted on the matured ones) and
 * the oracle (every example with its eventual label, which only a later look at the data allows).
 */
export const delayedMethods = ["naive", "wait", "importance", "oracle"] as const;
export type DelayedMethod = (typeof delayedMethods)[number];

export interface DelayedSplit {
  /** Training rows: started before their cut. */
  trainRows: Int32Array;
  /** Time from each training row's start to its cut (what the trainer could see). */
  trainElapsedMs: Float64Array;
  /** Test rows: started after the cut, windows closed before the data ends (labels final). */
  testRows: Int32Array;
}

/**
 * Per user: training rows start within lookbackMs before the user's cut, test rows within testSpanMs
 * after it and no later than the user's last start whose window closes inside the data.
 */
export function splitAtCuts(
  ex: DelayedExamples,
  cutMs: ArrayLike<number>,
  lastMaturedStartMs: ArrayLike<number>,
  lookbackMs: number,
  testSpanMs: number,
): DelayedSplit {
  const train: number[] = [];
  const elapsed: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < ex.n; i++) {
    const u = ex.user[i];
    const t = ex.startMs[i];
    const cut = cutMs[u];
    if (t < cut && t >= cut - lookbackMs) {
      train.push(i);
      elapsed.push(cut - t);
    } else if (t >= cut && t < cut + testSpanMs && t <= lastMaturedStartMs[u]) test.push(i);
  }
  return {
    trainRows: Int32Array.from(train),
    trainElapsedMs: Float64Array.from(elapsed),
    testRows: Int32Array.from(test),
  };
}

export interface TrainingSet {
  rows: Int32Array;
  labels: Float64Array;
  weights: Float64Array | undefined;
}

/** What each method trains on. */
export function trainingSet(
  method: DelayedMethod,
  ex: DelayedExamples,
  split: DelayedSplit,
  delay: DelayModels | undefined,
  weightOptions: ImportanceWeightOptions = {},
): TrainingSet {
  const { trainRows, trainElapsedMs } = split;
  if (method === "wait") {
    const keep: number[] = [];
    for (let r = 0; r < trainRows.length; r++) if (trainElapsedMs[r] >= ex.windowMs) keep.push(trainRows[r]);
    const rows = Int32Array.from(keep);
    return { rows, labels: Float64Array.from(rows, (i) => eventuallyConverts(ex, i)), weights: undefined };
  }
  const rows = trainRows;
  if (method === "oracle")
    return { rows, labels: Float64Array.from(rows, (i) => eventuallyConverts(ex, i)), weights: undefined };
  const labels = Float64Array.from(rows, (i, r) => convertedBy(ex, i, trainElapsedMs[r]));
  if (method === "naive") return { rows, labels, weights: undefined };
  if (!delay) throw new Error("importance weighting needs the delay models");
  return { rows, labels, weights: importanceWeights(delay, ex, rows, trainElapsedMs, weightOptions) };
}

export function featureRows(ex: DelayedExamples, rows: ArrayLike<number>): Float64Array {
  const d = ex.featureNames.length;
  const out = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) out.set(ex.x.subarray(rows[r] * d, rows[r] * d + d), r * d);
  return out;
}

export function fitFavouriteClassifier(ex: DelayedExamples, set: TrainingSet): LogisticModel {
  return fitLogistic(featureRows(ex, set.rows), set.rows.length, set.labels, set.weights);
}

/** Rows of the training side whose window closed before the cut: where g and h learn the delay. */
export function maturedTrainingRows(ex: DelayedExamples, split: DelayedSplit): Int32Array {
  const keep: number[] = [];
  for (let r = 0; r < split.trainRows.length; r++)
    if (split.trainElapsedMs[r] >= ex.windowMs) keep.push(split.trainRows[r]);
  return Int32Array.from(keep);
}

export interface DelayedComparison {
  trainExamples: number;
  /** Training examples whose window was still open at the cut. */
  immatureExamples: number;
  testExamples: number;
  testPositiveRate: number;
  methods: Record<DelayedMethod, ProbabilityQuality & { trainedOn: number }>;
  /** Share of the naive-to-oracle gap closed, per method: (naive − m)/(naive − oracle) in log loss, (m − naive)/(oracle − naive) in AUC. */
  gapClosed: Record<DelayedMethod, { logLoss: number; auc: number }>;
}

export function compareDelayedMethods(
  ex: DelayedExamples,
  split: DelayedSplit,
  seed = 1,
  weightOptions: ImportanceWeightOptions = {},
): DelayedComparison & { models: Record<DelayedMethod, LogisticModel>; delay: DelayModels } {
  const delay = fitDelayModels(ex, maturedTrainingRows(ex, split), seed);
  const testX = featureRows(ex, split.testRows);
  const testY = Float64Array.from(split.testRows, (i) => eventuallyConverts(ex, i));
  const methods = {} as DelayedComparison["methods"];
  const models = {} as Record<DelayedMethod, LogisticModel>;
  for (const m of delayedMethods) {
    const set = trainingSet(m, ex, split, delay, weightOptions);
    models[m] = fitFavouriteClassifier(ex, set);
    const p = predictLogistic(models[m], testX, split.testRows.length);
    methods[m] = { ...probabilityQuality(p, testY), trainedOn: set.rows.length };
  }
  const gapClosed = {} as DelayedComparison["gapClosed"];
  for (const m of delayedMethods) {
    gapClosed[m] = {
      logLoss:
        (methods.naive.logLoss - methods[m].logLoss) / (methods.naive.logLoss - methods.oracle.logLoss),
      auc: (methods[m].auc - methods.naive.auc) / (methods.oracle.auc - methods.naive.auc),
    };
  }
  let immature = 0;
  for (const e of split.trainElapsedMs) if (e < ex.windowMs) immature++;
  let positives = 0;
  for (const y of testY) positives += y;
  return {
    trainExamples: split.trainRows.length,
    immatureExamples: immature,
    testExamples: split.testRows.length,
    testPositiveRate: split.testRows.length ? positives / split.testRows.length : 0,
    methods,
    gapClosed,
    models,
    delay,
  };
}

/**
 * A bootstrap ensemble of one method's classifier: B refits on rows resampled with replacement give each
 * prediction a mean and a spread (the uncertainty that MIST and EW-DPMT threshold on).
 */
export function bootstrapEnsemble(
  ex: DelayedExamples,
  set: TrainingSet,
  members: number,
  seed: number,
): LogisticModel[] {
  const rng = new Random(seed);
  const n = set.rows.length;
  const out: LogisticModel[] = [];
  for (let b = 0; b < members; b++) {
    const counts = new Float64Array(n);
    for (let k = 0; k < n; k++) counts[rng.int(n)]++;
    // Resampling as integer weights: the same fit as duplicating rows, without copying them.
    const weights = Float64Array.from(counts, (c, r) => c * (set.weights ? set.weights[r] : 1));
    out.push(fitFavouriteClassifier(ex, { ...set, weights }));
  }
  return out;
}

export function ensemblePredict(
  models: readonly LogisticModel[],
  x: Float64Array,
  n: number,
): { mean: Float64Array; spread: Float64Array } {
  const mean = new Float64Array(n);
  const sq = new Float64Array(n);
  for (const m of models) {
    const p = predictLogistic(m, x, n);
    for (let i = 0; i < n; i++) {
      mean[i] += p[i] / models.length;
      sq[i] += (p[i] * p[i]) / models.length;
    }
  }
  const spread = Float64Array.from(mean, (m, i) => Math.sqrt(Math.max(0, sq[i] - m * m)));
  return { mean, spread };
}
