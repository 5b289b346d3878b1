import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { fitLogistic, sigmoid } from "./logistic.js";
import {
  type BanditLog,
  drosRowTerm,
  empiricalPolicyTable,
  estimatesFromTerms,
  evaluateOffPolicy,
  type OpeTerms,
  opeTerms,
  positionPolicy,
  slopeSelect,
  splitValidatedKnobs,
  switchRowTerm,
  type TargetPolicy,
  targetWeights,
  tunedEstimates,
} from "./ope.js";

// A world whose value under any policy is known in closed form: reward ~ Bernoulli(mu[ctx][pos][a]).
const nActions = 5;
const nPositions = 2;
const mu = [
  [
    [0.02, 0.05, 0.1, 0.2, 0.3],
    [0.01, 0.03, 0.06, 0.12, 0.2],
  ],
  [
    [0.25, 0.15, 0.08, 0.04, 0.02],
    [0.15, 0.1, 0.05, 0.02, 0.01],
  ],
];
const logging = Float64Array.from([0.4, 0.3, 0.15, 0.1, 0.05, 0.3, 0.3, 0.2, 0.1, 0.1]);
const targetTable = Float64Array.from([0.05, 0.05, 0.1, 0.3, 0.5, 0.1, 0.1, 0.1, 0.3, 0.4]);
/** Context 1 with probability 0.3, slots equally likely. */
const trueValue = (() => {
  let v = 0;
  for (let c = 0; c < 2; c++)
    for (let k = 0; k < nPositions; k++)
      for (let a = 0; a < nActions; a++)
        v += (c ? 0.3 : 0.7) * 0.5 * targetTable[k * nActions + a] * mu[c][k][a];
  return v;
})();

function simulateLog(n: number, seed: number): BanditLog {
  const rng = new Random(seed);
  const actions = new Int32Array(n);
  const positions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const propensities = new Float64Array(n);
  const context = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const c = rng.next() < 0.3 ? 1 : 0;
    const k = rng.int(nPositions);
    let u = rng.next();
    let a = 0;
    while (a < nActions - 1 && u >= logging[k * nActions + a]) u -= logging[k * nActions + a++];
    actions[i] = a;
    positions[i] = k;
    propensities[i] = logging[k * nActions + a];
    rewards[i] = rng.next() < mu[c][k][a] ? 1 : 0;
    context[i * 2 + c] = 1;
  }
  return { n, nActions, nPositions, actions, positions, rewards, propensities, contextDim: 2, context };
}

const target: TargetPolicy = positionPolicy(targetTable, nActions);

describe("off-policy estimators", () => {
  it("every estimator's 95% interval covers the analytically known value, and the logging policy's own mean does not", () => {
    const log = simulateLog(20_000, 3);
    const report = evaluateOffPolicy(log, target, { resamples: 300, refits: 30, seed: 5 });
    let loggedMean = 0;
    for (const r of log.rewards) loggedMean += r / log.n;
    expect(Math.abs(loggedMean - trueValue)).toBeGreaterThan(0.03);
    for (const e of report.estimates) {
      expect(e.lower, e.estimator).toBeLessThanOrEqual(trueValue);
      expect(e.upper, e.estimator).toBeGreaterThanOrEqual(trueValue);
      expect(Math.abs(e.value - trueValue) / trueValue, e.estimator).toBeLessThan(0.1);
    }
    expect(report.meanWeight).toBeGreaterThan(0.95);
    expect(report.meanWeight).toBeLessThan(1.05);
  });

  it("IPS is unbiased over seeds, and matches a slow per-row reference", () => {
    let mean = 0;
    const seeds = 40;
    for (let s = 0; s < seeds; s++) {
      const log = simulateLog(2000, 100 + s);
      const e = estimatesFromTerms(opeTerms(log, target, { lambda: 10 }));
      let reference = 0;
      let weightSum = 0;
      for (let i = 0; i < log.n; i++) {
        const w = targetTable[log.positions[i] * nActions + log.actions[i]] / log.propensities[i];
        reference += (w * log.rewards[i]) / log.n;
        weightSum += w;
      }
      expect(e.IPS).toBeCloseTo(reference, 12);
      expect(e.SNIPS).toBeCloseTo((reference * log.n) / weightSum, 12);
      mean += e.IPS / seeds;
    }
    // The average of 40 independent estimates has a standard error of about 0.003 here.
    expect(Math.abs(mean - trueValue)).toBeLessThan(0.01);
  });

  it("doubly robust equals DM plus the weighted residuals, per row", () => {
    const log = simulateLog(3000, 9);
    const terms = opeTerms(log, target, { lambda: 3 });
    const e = estimatesFromTerms(terms);
    let slow = 0;
    for (let i = 0; i < log.n; i++)
      slow += (terms.modelTarget[i] + terms.weights[i] * (log.rewards[i] - terms.modelLogged[i])) / log.n;
    expect(e.DR).toBeCloseTo(slow, 12);
  });

  it("the empirical per-slot policy sums to 1 at every slot", () => {
    const table = empiricalPolicyTable(simulateLog(5000, 4));
    for (let k = 0; k < nPositions; k++) {
      const row = table.subarray(k * nActions, (k + 1) * nActions);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (let a = 0; a < nActions; a++) expect(row[a]).toBeCloseTo(logging[k * nActions + a], 1);
    }
  });
});

describe("Switch-DR and DRos on a three-row log computed by hand", () => {
  // Row i: weight w, reward r, model on the logged action q, model value of the target's mix dm.
  const terms: OpeTerms = {
    weights: Float64Array.from([0.5, 2, 4]),
    rewards: Float64Array.from([1, 0, 1]),
    modelLogged: Float64Array.from([0.5, 0.2, 0.4]),
    modelTarget: Float64Array.from([0.3, 0.3, 0.3]),
  };
  const mean = (f: (i: number) => number) => (f(0) + f(1) + f(2)) / 3;

  it("DRos with lambda 4 shrinks the weights to 4w/(w^2+4) = 8/17, 1, 0.8", () => {
    // Rows: 0.3 + (8/17)(0.5), 0.3 + 1(-0.2), 0.3 + 0.8(0.6).
    const byHand = (0.3 + 4 / 17 + 0.1 + 0.78) / 3;
    expect(mean((i) => drosRowTerm(terms, i, 4))).toBeCloseTo(byHand, 14);
    // The ends of the knob: no shrinkage is DR (0.55, -0.1, 2.7), full shrinkage is DM (0.3 each).
    expect(mean((i) => drosRowTerm(terms, i, Number.POSITIVE_INFINITY))).toBeCloseTo(1.05, 14);
    expect(mean((i) => drosRowTerm(terms, i, 0))).toBeCloseTo(0.3, 14);
  });

  it("Switch-DR with threshold 3 drops the residual of the row weighted 4", () => {
    expect(mean((i) => switchRowTerm(terms, i, 3))).toBeCloseTo((0.55 - 0.1 + 0.3) / 3, 14);
    expect(mean((i) => switchRowTerm(terms, i, Number.POSITIVE_INFINITY))).toBeCloseTo(1.05, 14);
    expect(mean((i) => switchRowTerm(terms, i, 0))).toBeCloseTo(0.3, 14);
    // Exactly at the threshold the row is kept.
    expect(mean((i) => switchRowTerm(terms, i, 2))).toBeCloseTo((0.55 - 0.1 + 0.3) / 3, 14);
  });

  it("SLOPE keeps narrowing while every interval overlaps, and stops at the first that does not", () => {
    const chosen = slopeSelect([
      { param: 0, value: 0.1, standardError: 0.01 },
      { param: Number.POSITIVE_INFINITY, value: 1, standardError: 0.2 },
      { param: 1, value: 0.55, standardError: 0.05 },
      { param: 10, value: 0.8, standardError: 0.1 },
    ]);
    // 0.8 overlaps 1 (0.2 <= 0.6); 0.55 overlaps 1 (0.45 <= 0.5) and 0.8 (0.25 <= 0.3); 0.1 misses 0.55.
    expect(chosen.param).toBe(1);
    expect(slopeSelect([{ param: 5, value: 0.3, standardError: 0 }]).param).toBe(5);
  });

  it("the tuned estimates are the SLOPE choice among the per-row means", () => {
    const tuned = tunedEstimates(terms);
    expect(mean((i) => drosRowTerm(terms, i, tuned.DRos.param))).toBeCloseTo(tuned.DRos.value, 14);
    expect(mean((i) => switchRowTerm(terms, i, tuned["Switch-DR"].param))).toBeCloseTo(
      tuned["Switch-DR"].value,
      14,
    );
    const e = estimatesFromTerms(terms);
    expect(e.DR).toBeCloseTo(1.05, 14);
    expect(e.DM).toBeCloseTo(0.3, 14);
    expect(e.DRos).toBe(tuned.DRos.value);
  });

  it("split-half validation keeps the residuals when the reward model cannot see what drives the reward", () => {
    // A hidden context c (half the users) drives both the logger (action 0 with probability 0.9 when c = 1,
    // 0.1 when c = 0) and the reward (action 0 streams at 0.5 when c = 1, 0.02 when c = 0; others at 0.05).
    // The target always shows action 0: its value is 0.5 x 0.5 + 0.5 x 0.02 = 0.26. A reward model over the
    // action alone sees action 0 mostly with c = 1 and says about 0.45 (DM is biased); IPS is not.
    const n = 20_000;
    const rng = new Random(11);
    const actions = new Int32Array(n);
    const rewards = new Float64Array(n);
    const propensities = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = rng.next() < 0.5 ? 1 : 0;
      const p0 = c ? 0.9 : 0.1;
      const a = rng.next() < p0 ? 0 : 1 + rng.int(4);
      actions[i] = a;
      propensities[i] = a === 0 ? p0 : (1 - p0) / 4;
      rewards[i] = rng.next() < (a === 0 ? (c ? 0.5 : 0.02) : 0.05) ? 1 : 0;
    }
    const hidden: BanditLog = {
      n,
      nActions: 5,
      nPositions: 1,
      actions,
      positions: new Int32Array(n),
      rewards,
      propensities,
      contextDim: 0,
      context: new Float64Array(0),
    };
    const always0: TargetPolicy = () => Float64Array.from([1, 0, 0, 0, 0]);
    const knobs = splitValidatedKnobs(hidden, always0, { lambda: 1, splits: 10, seed: 2 });
    // The weights of action 0 are 1/0.9 and 1/0.1 = 10: dropping the residuals of the 10s is what biases DM.
    expect(knobs.switchTau).toBeGreaterThanOrEqual(10);
    expect(knobs.drosLambda).toBeGreaterThanOrEqual(100);
    const report = evaluateOffPolicy(hidden, always0, {
      resamples: 100,
      refits: 10,
      seed: 2,
      tuning: "split",
      splits: 10,
    });
    expect(report.tuning).toMatchObject({
      method: "split",
      switchTau: knobs.switchTau,
      drosLambda: knobs.drosLambda,
    });
    const value = Object.fromEntries(report.estimates.map((e) => [e.estimator, e.value]));
    expect(value.DM).toBeGreaterThan(0.26 * 1.5);
    expect(Math.abs(value["Switch-DR"] - 0.26) / 0.26).toBeLessThan(0.1);
    expect(Math.abs(value.DRos - 0.26) / 0.26).toBeLessThan(0.1);
  });

  it("importance weights for the reward model are pi_e/pi_0 scaled to mean 1", () => {
    const log = simulateLog(400, 2);
    const w = targetWeights(log, target);
    const raw = Array.from(
      { length: log.n },
      (_, i) => targetTable[log.positions[i] * nActions + log.actions[i]] / log.propensities[i],
    );
    const rawMean = raw.reduce((a, b) => a + b, 0) / log.n;
    for (let i = 0; i < log.n; i++) expect(w[i]).toBeCloseTo(raw[i] / rawMean, 12);
  });

  it("an importance-weighted reward model keeps every estimator's interval over the known value", () => {
    const log = simulateLog(10_000, 3);
    const report = evaluateOffPolicy(log, target, {
      resamples: 100,
      refits: 10,
      seed: 5,
      importanceWeightedModel: true,
    });
    expect(report.rewardModel.importanceWeighted).toBe(true);
    for (const e of report.estimates) {
      expect(e.lower, e.estimator).toBeLessThanOrEqual(trueValue);
      expect(e.upper, e.estimator).toBeGreaterThanOrEqual(trueValue);
    }
  });
});

describe("logistic reward model", () => {
  it("Newton's fit zeroes the penalised gradient computed the slow way", () => {
    const rng = new Random(2);
    const n = 500;
    const dim = 4;
    const x = new Float64Array(n * dim);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) x[i * dim + j] = j === 0 ? rng.int(2) : rng.normal();
      y[i] = rng.next() < sigmoid(-1 + x[i * dim] + 0.5 * x[i * dim + 1]) ? 1 : 0;
    }
    const lambda = 2;
    const { weights } = fitLogistic(x, dim, y, lambda);
    for (let j = 0; j <= dim; j++) {
      let g = j === 0 ? 0 : lambda * weights[j];
      for (let i = 0; i < n; i++) {
        let z = weights[0];
        for (let t = 0; t < dim; t++) z += weights[t + 1] * x[i * dim + t];
        g += (1 / (1 + Math.exp(-z)) - y[i]) * (j === 0 ? 1 : x[i * dim + j - 1]);
      }
      expect(Math.abs(g)).toBeLessThan(1e-6);
    }
    expect(weights[1]).toBeGreaterThan(0.5);
  });

  it("a row weighted 2 fits exactly like the same row written twice", () => {
    const rng = new Random(4);
    const n = 200;
    const dim = 3;
    const x = new Float64Array(n * dim);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) x[i * dim + j] = rng.normal();
      y[i] = rng.next() < sigmoid(x[i * dim]) ? 1 : 0;
    }
    const weights = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 2 : 1));
    const doubled = Array.from({ length: n }, (_, i) => i).flatMap((i) => (i % 3 === 0 ? [i, i] : [i]));
    const a = fitLogistic(x, dim, y, 1, undefined, 25, weights).weights;
    const b = fitLogistic(x, dim, y, 1, doubled).weights;
    for (let j = 0; j <= dim; j++) expect(a[j]).toBeCloseTo(b[j], 10);
  });
});
