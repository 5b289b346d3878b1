import { Random } from "../random.js";
import { type BinnedThresholds, decideAll, fitSingleThreshold } from "./binned-thresholds.js";
import { fitEwDpmt } from "./ew-dpmt.js";
import { fitMist } from "./mist.js";
import { bestSingleThreshold, type SelectionQuality, selectionQuality } from "./precision-recall.js";

/** One way to measure an example's uncertainty (e.g. a bootstrap ensemble of one size). */
export interface UncertaintyVariant {
  name: string;
  values: ArrayLike<number>;
}

export interface PolicyComparisonOptions {
  precisions: number[];
  /** Uncertainty bins K tried by MIST and EW-DPMT. */
  bins: number[];
  /** Score cells per bin M tried by EW-DPMT. */
  cells: number[];
  /** Seeds the two folds the calibration half is cut into to choose K, M and the variant. */
  seed: number;
  /**
   * A setting is feasible on the calibration folds when its pooled out-of-fold precision is at least
   * P* minus this: thresholds fitted at the edge of P* land a little under it on unseen rows, the single
   * threshold as much as the others, so a strict bound would reject nearly every setting.
   */
  tolerance: number;
}

export const defaultPolicyComparisonOptions: PolicyComparisonOptions = {
  precisions: [0.8, 0.9, 0.95],
  bins: [2, 3, 4, 6, 8],
  cells: [5, 10, 20, 40],
  seed: 1,
  tolerance: 0.01,
};

/** A fitted policy judged on the test half, with the setting the calibration half chose for it. */
export interface PolicyOutcome extends SelectionQuality {
  chosen?: { uncertainty: string; bins: number; cells?: number };
  /**
   * The highest recall any single score threshold reaches on the test half at a precision at least this
   * policy's realised one (hindsight): a policy whose recall is above it beats the score's whole
   * precision-recall curve there, rather than buying recall with a little less precision. Chosen on the
   * test labels, it is optimistic for the single threshold where the curve is flat near P*.
   */
  singleAtSamePrecision: number;
}

export interface PolicyComparison {
  calibrationExamples: number;
  testExamples: number;
  testPositiveRate: number;
  byPrecision: Record<
    string,
    {
      single: PolicyOutcome;
      /** Per uncertainty family (e.g. evidence, bootstrap). */
      mist: Record<string, PolicyOutcome>;
      ewDpmt: Record<string, PolicyOutcome>;
      /**
       * The highest recall any single score threshold reaches at precision >= P* on the test half itself,
       * chosen in hindsight: not a policy, but it says whether P* is within the score's reach at all.
       */
      testCeiling: number;
    }
  >;
}

/**
 * Single threshold vs MIST vs EW-DPMT, fitted on the calibration rows and judged on the rest. Each
 * uncertainty family's settings (the variant, K, and M for EW-DPMT) are chosen by two-fold cross-fitting
 * inside the calibration rows only; the chosen setting is then refitted on all of them. The test rows'
 * labels are read only to measure.
 */
export function compareThresholdPolicies(
  score: ArrayLike<number>,
  label: ArrayLike<number>,
  isCalibration: ArrayLike<boolean>,
  families: Record<string, UncertaintyVariant[]>,
  options: Partial<PolicyComparisonOptions> = {},
): PolicyComparison {
  const o = { ...defaultPolicyComparisonOptions, ...options };
  const n = score.length;
  if (label.length !== n || isCalibration.length !== n)
    throw new Error("score, label and isCalibration differ in length");
  for (const [family, variants] of Object.entries(families)) {
    if (variants.length === 0) throw new Error(`uncertainty family ${family} has no variants`);
    for (const v of variants)
      if (v.values.length !== n) throw new Error(`uncertainty ${family}/${v.name} differs in length`);
  }
  const calRows: number[] = [];
  const testRows: number[] = [];
  for (let i = 0; i < n; i++) (isCalibration[i] ? calRows : testRows).push(i);
  const take = (xs: ArrayLike<number>, rows: number[]) => Float64Array.from(rows, (i) => xs[i]);
  const cal = { s: take(score, calRows), y: take(label, calRows) };
  const test = { s: take(score, testRows), y: take(label, testRows) };
  const rng = new Random(o.seed * 7919 + 3);
  const fold = Uint8Array.from(calRows, () => (rng.next() < 0.5 ? 1 : 0));
  const foldRows = [0, 1].map((side) => calRows.filter((_, r) => fold[r] === side));
  const folds = foldRows.map((rows) => {
    const y = take(label, rows);
    return { s: take(score, rows), y, positives: y.reduce((a, b) => a + b, 0) };
  });
  const singleRecallAt = (precision: number) => {
    const t = bestSingleThreshold(test.s, test.y, precision);
    return selectionQuality(
      Array.from(test.s, (v) => v >= t),
      test.y,
    ).recall;
  };
  const measure = (policy: BinnedThresholds, u: Float64Array): PolicyOutcome => {
    const q = selectionQuality(decideAll(policy, test.s, u), test.y);
    return { ...q, singleAtSamePrecision: q.selected ? singleRecallAt(q.precision) : 0 };
  };
  const byPrecision: PolicyComparison["byPrecision"] = {};
  for (const pStar of o.precisions) {
    const none = new Float64Array(test.s.length);
    const single = measure(fitSingleThreshold(cal.s, cal.y, pStar), none);
    const mist: Record<string, PolicyOutcome> = {};
    const ewDpmt: Record<string, PolicyOutcome> = {};
    for (const [family, variants] of Object.entries(families)) {
      const prepared = variants.map((v) => ({
        name: v.name,
        cal: take(v.values, calRows),
        test: take(v.values, testRows),
        folds: foldRows.map((rows) => take(v.values, rows)),
      }));
      const settings = (method: "mist" | "ewDpmt") =>
        prepared.flatMap((v) =>
          o.bins.flatMap((bins) =>
            method === "mist"
              ? [{ v, bins, cells: undefined }]
              : o.cells.map((cells) => ({ v, bins, cells: cells as number | undefined })),
          ),
        );
      for (const method of ["mist", "ewDpmt"] as const) {
        const fitPolicy = (
          s: Float64Array,
          u: Float64Array,
          y: Float64Array,
          bins: number,
          cells?: number,
        ) => (method === "mist" ? fitMist(s, u, y, pStar, bins) : fitEwDpmt(s, u, y, pStar, bins, cells));
        const best = chooseSetting(
          settings(method),
          (c) => {
            let chosen = 0;
            let hits = 0;
            let positives = 0;
            for (const [side, judge] of folds.entries()) {
              const other = folds[1 - side];
              const u = c.v.folds;
              const policy = fitPolicy(other.s, u[1 - side], other.y, c.bins, c.cells);
              const q = selectionQuality(decideAll(policy, judge.s, u[side]), judge.y);
              chosen += q.selected;
              hits += Math.round(q.precision * q.selected);
              positives += judge.positives;
            }
            return { precision: chosen ? hits / chosen : 1, recall: positives ? hits / positives : 0 };
          },
          pStar - o.tolerance,
        );
        const outcome = measure(fitPolicy(cal.s, best.v.cal, cal.y, best.bins, best.cells), best.v.test);
        const chosen = {
          uncertainty: best.v.name,
          bins: best.bins,
          ...(best.cells !== undefined ? { cells: best.cells } : {}),
        };
        (method === "mist" ? mist : ewDpmt)[family] = { ...outcome, chosen };
      }
    }
    byPrecision[String(pStar)] = { single, mist, ewDpmt, testCeiling: singleRecallAt(pStar) };
  }
  let positives = 0;
  for (const v of test.y) positives += v;
  return {
    calibrationExamples: calRows.length,
    testExamples: testRows.length,
    testPositiveRate: testRows.length ? positives / testRows.length : 0,
    byPrecision,
  };
}

/**
 * The feasible setting (out-of-fold precision >= floor) of highest out-of-fold recall; when none is
 * feasible, the one of highest precision (it will most likely select little or nothing on test too).
 */
function chooseSetting<T>(
  candidates: T[],
  judge: (c: T) => { precision: number; recall: number },
  floor: number,
): T {
  let best = candidates[0];
  let bestKey = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const c of candidates) {
    const q = judge(c);
    const key = q.precision >= floor ? [1, q.recall] : [0, q.precision];
    if (key[0] > bestKey[0] || (key[0] === bestKey[0] && key[1] > bestKey[1])) {
      best = c;
      bestKey = key;
    }
  }
  return best;
}
