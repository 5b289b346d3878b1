import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { convertedBy, type DelayedExamples, engagementCsr } from "./delayed-examples.js";
import { conversionByElapsed, conversionIfNotYet, fitDelayModels } from "./importance-weights.js";
import { fitLogistic } from "./logistic.js";
import {
  compareDelayedMethods,
  featureRows,
  maturedTrainingRows,
  splitAtCuts,
  trainingSet,
} from "./training-methods.js";

const DAY = 86_400_000;
const W = 30 * DAY;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * A delayed-conversion process whose importance weights are known in closed form. x = (x1, x2) ~ N(0, I);
 * Y ~ Bernoulli(p(x)), p = σ(−1 + 1.2·x1 − 0.8·x2); a converter's delay is exponential with mean
 * W/4·e^{0.4·x1}, truncated to the window; engagement events arrive at rate 4/W before a converter converts
 * and at 1/W for a non-converter. Then g = P(D ≤ e | Y=1) = (1 − e^{−λe})/(1 − e^{−λW}), and
 * h = P(Y=1 | D > e, z) = a/(a+b) with a = p·(1−g)·r₁^z·e^{−r₁e}, b = (1−p)·r₀^z·e^{−r₀e}.
 */
function knownProcess(n: number, seed: number) {
  const rng = new Random(seed);
  const x = new Float64Array(n * 2);
  const startMs = new Float64Array(n);
  const delayMs = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const lambda = new Float64Array(n);
  const p = new Float64Array(n);
  const lists: number[][][] = [];
  const r1 = 4 / W;
  const r0 = 1 / W;
  for (let i = 0; i < n; i++) {
    x[2 * i] = rng.normal();
    x[2 * i + 1] = rng.normal();
    startMs[i] = rng.next() * 200 * DAY;
    p[i] = sigmoid(-1 + 1.2 * x[2 * i] - 0.8 * x[2 * i + 1]);
    lambda[i] = 1 / ((W / 4) * Math.exp(0.4 * x[2 * i]));
    const y = rng.next() < p[i];
    let horizon = W;
    if (y) {
      // Inverse CDF of the exponential truncated to [0, W].
      const u = rng.next();
      delayMs[i] = -Math.log(1 - u * (1 - Math.exp(-lambda[i] * W))) / lambda[i];
      horizon = delayMs[i];
    }
    const rate = y ? r1 : r0;
    const events: number[] = [];
    for (let t = -Math.log(1 - rng.next()) / rate; t < horizon; t += -Math.log(1 - rng.next()) / rate)
      events.push(t);
    lists.push([events]);
  }
  const { ptr, offsets } = engagementCsr(lists, 1);
  const ex: DelayedExamples = {
    n,
    x,
    featureNames: ["x1", "x2"],
    startMs,
    delayMs,
    windowMs: W,
    user: new Int32Array(n),
    engagementKinds: ["engagement"],
    engagementPtr: ptr,
    engagementOffsetMs: offsets,
  };
  const trueG = (i: number, e: number) => (1 - Math.exp(-lambda[i] * e)) / (1 - Math.exp(-lambda[i] * W));
  const trueH = (i: number, e: number, z: number) => {
    const a = p[i] * (1 - trueG(i, e)) * (r1 * W) ** z * Math.exp(-r1 * e);
    const b = (1 - p[i]) * (r0 * W) ** z * Math.exp(-r0 * e);
    return a / (a + b);
  };
  return { ex, trueG, trueH };
}

describe("FSIW importance weights on a process with known weights", () => {
  const { ex, trueG, trueH } = knownProcess(60_000, 4);
  // Cut at day 150 looking back 60 days: starts in days 90-120 are matured, 120-150 immature (half of
  // training), 150-170 the test.
  const split = splitAtCuts(ex, [150 * DAY], [Number.POSITIVE_INFINITY], 60 * DAY, 20 * DAY);
  const delay = fitDelayModels(ex, maturedTrainingRows(ex, split), 1);

  it("g and h fitted on matured data match the true conditional probabilities", () => {
    let errG = 0;
    let nG = 0;
    let errH = 0;
    let nH = 0;
    const z = (i: number, e: number) => {
      let c = 0;
      for (let k = ex.engagementPtr[i]; k < ex.engagementPtr[i + 1]; k++)
        if (ex.engagementOffsetMs[k] <= e) c++;
      return c;
    };
    for (let r = 0; r < split.trainRows.length; r++) {
      const i = split.trainRows[r];
      const e = split.trainElapsedMs[r];
      if (e >= W) continue;
      if (convertedBy(ex, i, e)) {
        // The weight itself, 1/g, is what training uses: compare relative to the true weight.
        errG += Math.abs(1 / conversionByElapsed(delay, ex, i, e) - 1 / trueG(i, e)) / (1 / trueG(i, e));
        nG++;
      } else {
        errH += Math.abs(conversionIfNotYet(delay, ex, i, e) - trueH(i, e, z(i, e)));
        nH++;
      }
    }
    expect(nG).toBeGreaterThan(500);
    expect(errG / nG).toBeLessThan(0.12);
    expect(errH / nH).toBeLessThan(0.04);
  });

  it("training with the true weights recovers the true coefficients; the naive labels do not", () => {
    const set = trainingSet("naive", ex, split, undefined);
    const w = Float64Array.from(set.rows, (i, r) => {
      const e = split.trainElapsedMs[r];
      if (e >= W) return 1;
      if (set.labels[r]) return 1 / trueG(i, e);
      let zc = 0;
      for (let k = ex.engagementPtr[i]; k < ex.engagementPtr[i + 1]; k++)
        if (ex.engagementOffsetMs[k] <= e) zc++;
      return 1 - trueH(i, e, zc);
    });
    const xs = featureRows(ex, set.rows);
    const weighted = fitLogistic(xs, set.rows.length, set.labels, w, { l2: 0 });
    const naive = fitLogistic(xs, set.rows.length, set.labels, undefined, { l2: 0 });
    // Coefficients on the raw scale: coef · scale.
    const raw = (m: typeof weighted) => m.coef.map((c, j) => c * m.scale[j]);
    const intercept = (m: typeof weighted) =>
      m.intercept - m.coef.reduce((s, c, j) => s + c * m.scale[j] * m.mean[j], 0);
    expect(raw(weighted)[0]).toBeCloseTo(1.2, 0);
    expect(raw(weighted)[1]).toBeCloseTo(-0.8, 0);
    expect(Math.abs(intercept(weighted) + 1)).toBeLessThan(0.15);
    expect(Math.abs(intercept(naive) + 1)).toBeGreaterThan(0.15);
  });

  it("importance weighting closes most of the naive-to-oracle gap on a matured test", () => {
    const c = compareDelayedMethods(ex, split, 1);
    expect(c.methods.naive.logLoss - c.methods.oracle.logLoss).toBeGreaterThan(0.005);
    expect(c.gapClosed.importance.logLoss).toBeGreaterThan(0.5);
    expect(c.methods.importance.ece).toBeLessThan(c.methods.naive.ece);
  });
});
