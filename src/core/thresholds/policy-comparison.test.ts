import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { decideAll, fitSingleThreshold } from "./binned-thresholds.js";
import { fitEwDpmt } from "./ew-dpmt.js";
import { fitMist } from "./mist.js";
import { compareThresholdPolicies } from "./policy-comparison.js";
import { selectionQuality } from "./precision-recall.js";

/**
 * Two uncertainty groups of equal size, scores uniform in each. Certain rows (u < 0.5) are liked with
 * probability s, uncertain ones (u >= 0.5) with 0.5 + 0.35·s: near the top the uncertain row is less often
 * right (never 0.9), and one threshold must stop where the mixture still reaches P*. On unlimited data, at
 * P* 0.9 one threshold (s >= 0.926) selects 0.133 positives per row of a group, the best per-group
 * thresholds 0.193 (1.45x).
 */
function twoGroups(rng: Random, n: number) {
  const s = new Float64Array(n);
  const u = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const uncertain = i % 2;
    s[i] = rng.next();
    u[i] = 0.5 * uncertain + 0.5 * rng.next();
    const p = uncertain ? 0.5 + 0.35 * s[i] : s[i];
    y[i] = rng.next() < p ? 1 : 0;
  }
  return { s, u, y };
}

/**
 * The best pair of per-group thresholds by brute force: every (t0, t1) over each group's own scores (plus
 * "select none"), the most positives selected at precision >= P*. Prefix sums make each pair O(1).
 */
function bruteForceTwoThresholds(s: Float64Array, u: Float64Array, y: Float64Array, pStar: number) {
  const groups = [0, 1].map((g) => {
    const rows = [...s.keys()].filter((i) => (u[i] >= 0.5 ? 1 : 0) === g).sort((a, b) => s[b] - s[a]);
    // Top-j of the group (a continuous score has no ties): positives pos[j], threshold at[j].
    const pos = [0];
    for (const i of rows) pos.push(pos[pos.length - 1] + y[i]);
    const at = [Number.POSITIVE_INFINITY, ...rows.map((i) => s[i])];
    return { pos, at };
  });
  let best = { positives: 0, thresholds: [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY] };
  for (let a = 0; a < groups[0].pos.length; a++)
    for (let b = 0; b < groups[1].pos.length; b++) {
      const hits = groups[0].pos[a] + groups[1].pos[b];
      if (hits >= pStar * (a + b) - 1e-9 && hits > best.positives)
        best = { positives: hits, thresholds: [groups[0].at[a], groups[1].at[b]] };
    }
  return best;
}

describe("uncertainty-aware thresholds on two groups with different true-positive rates", () => {
  const pStar = 0.9;
  const fit = twoGroups(new Random(21), 6000);
  const test = twoGroups(new Random(22), 20000);
  const positivesSelected = (sel: boolean[], y: Float64Array) =>
    sel.reduce((a, p, i) => a + (p ? y[i] : 0), 0);
  const brute = bruteForceTwoThresholds(fit.s, fit.u, fit.y, pStar);

  it("EW-DPMT with one-row cells finds the brute-force optimum of per-group thresholds", () => {
    const policy = fitEwDpmt(fit.s, fit.u, fit.y, pStar, 2, 3000);
    const sel = decideAll(policy, fit.s, fit.u);
    expect(selectionQuality(sel, fit.y).precision).toBeGreaterThanOrEqual(pStar - 1e-9);
    expect(positivesSelected(sel, fit.y)).toBe(brute.positives);
  });

  it("on fresh rows MIST and EW-DPMT beat one threshold by more than 25% recall and stay near the brute-force thresholds", () => {
    const judge = (p: ReturnType<typeof fitMist>) => selectionQuality(decideAll(p, test.s, test.u), test.y);
    const single = judge(fitSingleThreshold(fit.s, fit.y, pStar));
    const mist = judge(fitMist(fit.s, fit.u, fit.y, pStar, 2));
    const dp = judge(fitEwDpmt(fit.s, fit.u, fit.y, pStar, 2, 40));
    const perGroup = judge({
      method: "ew-dpmt",
      uncertaintyEdges: [Number.NEGATIVE_INFINITY, 0.5],
      scoreThresholds: brute.thresholds,
    });
    for (const q of [single, mist, dp, perGroup]) expect(q.precision).toBeGreaterThan(0.87);
    expect(perGroup.recall).toBeGreaterThan(1.25 * single.recall);
    expect(mist.recall).toBeGreaterThan(1.25 * single.recall);
    expect(dp.recall).toBeGreaterThan(1.25 * single.recall);
    expect(dp.recall).toBeGreaterThan(0.9 * perGroup.recall);
    // MIST keeps about 0.8 of it (0.131 vs 0.169 here): isotonic regression fits 1.0 to the uncertain
    // group's top few rows (all liked by chance), so MIST selects them and pays with a higher threshold
    // for the certain group. A known cost of isotonic steps at the extremes, not a bug.
    expect(mist.recall).toBeGreaterThan(0.7 * perGroup.recall);
  });
});

describe("compareThresholdPolicies", () => {
  const rng = new Random(5);
  const data = twoGroups(rng, 8000);
  const isCalibration = Array.from(data.s, () => rng.next() < 0.5);
  const noise = Float64Array.from(data.s, () => rng.next());
  const families = {
    informative: [{ name: "groups", values: data.u }],
    // A variant that carries nothing beside one that does: the calibration folds must pick the latter.
    mixed: [
      { name: "noise", values: noise },
      { name: "groups", values: data.u },
    ],
  };
  const options = { precisions: [0.9], bins: [2, 4], cells: [5, 10], seed: 3 };
  const report = compareThresholdPolicies(data.s, data.y, isCalibration, families, options);

  it("beats one threshold on the test half where the uncertainty matters, and chooses the informative variant", () => {
    const at = report.byPrecision["0.9"];
    expect(report.calibrationExamples + report.testExamples).toBe(data.s.length);
    expect(at.mist.informative.recall).toBeGreaterThan(1.25 * at.single.recall);
    expect(at.ewDpmt.informative.recall).toBeGreaterThan(1.25 * at.single.recall);
    expect(at.mist.mixed.chosen?.uncertainty).toBe("groups");
    expect(at.ewDpmt.mixed.chosen?.uncertainty).toBe("groups");
    for (const q of [at.single, at.mist.informative, at.ewDpmt.informative])
      expect(q.precision).toBeGreaterThan(0.85);
    // The hindsight yardstick, by brute force over every cut of the test half's scores.
    const rows = [...data.s.keys()].filter((i) => !isCalibration[i]);
    const positives = rows.reduce((a, i) => a + data.y[i], 0);
    const bestRecallAt = (precision: number) => {
      let best = 0;
      for (const t of new Set(rows.map((i) => data.s[i]))) {
        const chosen = rows.filter((i) => data.s[i] >= t);
        const hits = chosen.reduce((a, i) => a + data.y[i], 0);
        if (hits >= precision * chosen.length - 1e-9) best = Math.max(best, hits / positives);
      }
      return best;
    };
    for (const q of [at.single, at.mist.informative, at.ewDpmt.informative])
      expect(q.singleAtSamePrecision).toBeCloseTo(bestRecallAt(q.precision), 12);
    expect(at.testCeiling).toBeCloseTo(bestRecallAt(0.9), 12);
  });

  it("reads the test half's labels only to measure: flipping them changes no choice and no selection", () => {
    const flipped = Float64Array.from(data.y, (v, i) => (isCalibration[i] ? v : 1 - v));
    const again = compareThresholdPolicies(data.s, flipped, isCalibration, families, options);
    const a = report.byPrecision["0.9"];
    const b = again.byPrecision["0.9"];
    expect(b.single.selected).toBe(a.single.selected);
    for (const family of Object.keys(families)) {
      expect(b.mist[family].chosen).toEqual(a.mist[family].chosen);
      expect(b.ewDpmt[family].chosen).toEqual(a.ewDpmt[family].chosen);
      expect(b.mist[family].selected).toBe(a.mist[family].selected);
      expect(b.ewDpmt[family].selected).toBe(a.ewDpmt[family].selected);
    }
    // ...while what is measured does change (the test cannot pass by ignoring the labels altogether).
    expect(b.single.precision).not.toBe(a.single.precision);
  });
});
