import { Random } from "../random.js";
import { fitLogistic, type LogisticModel, logisticScore } from "./logistic.js";

/**
 * Logged bandit feedback: row i showed action `actions[i]` at slot `positions[i]` (0-based) with the logging
 * policy's probability `propensities[i]` and got reward `rewards[i]` (a click, a stream >= 30 s).
 * `context` is a row-major n x contextDim matrix of what was known about the user (one-hots, numbers);
 * `actionAffinity`, when given, is an n x nActions matrix of a user-item feature (past clicks on the item).
 */
export interface BanditLog {
  readonly n: number;
  readonly nActions: number;
  readonly nPositions: number;
  readonly actions: Int32Array;
  readonly positions: Int32Array;
  readonly rewards: Float64Array;
  readonly propensities: Float64Array;
  readonly contextDim: number;
  readonly context: Float64Array;
  readonly actionAffinity?: Float64Array;
}

/** The evaluated policy: its distribution over actions for row i at that row's slot (length nActions, sums to 1). */
export type TargetPolicy = (log: BanditLog, row: number) => Float64Array;

/** A policy that ignores the user: one distribution per slot (nPositions x nActions, row-major). */
export function positionPolicy(table: Float64Array, nActions: number): TargetPolicy {
  return (log, row) => table.subarray(log.positions[row] * nActions, (log.positions[row] + 1) * nActions);
}

/** Uniform over the actions at every slot. */
export function uniformPolicy(nActions: number, nPositions: number): TargetPolicy {
  return positionPolicy(new Float64Array(nActions * nPositions).fill(1 / nActions), nActions);
}

/**
 * What a logging policy showed, as a per-slot distribution: the share of each action among the log's rows
 * at that slot. This is the policy's action distribution averaged over the log's period (an adaptive policy
 * such as Thompson sampling changes from hour to hour; its logged propensities describe one moment each).
 */
export function empiricalPolicyTable(log: BanditLog): Float64Array {
  const table = new Float64Array(log.nActions * log.nPositions);
  const perSlot = new Float64Array(log.nPositions);
  for (let i = 0; i < log.n; i++) {
    table[log.positions[i] * log.nActions + log.actions[i]] += 1;
    perSlot[log.positions[i]] += 1;
  }
  for (let k = 0; k < log.nPositions; k++)
    for (let a = 0; a < log.nActions; a++) table[k * log.nActions + a] /= Math.max(perSlot[k], 1);
  return table;
}

/** Reward-model features of (row, candidate action): action one-hot, slot one-hot, context, affinity. */
export function rewardFeatureDim(log: BanditLog): number {
  return log.nActions + log.nPositions + log.contextDim + (log.actionAffinity ? 1 : 0);
}

function writeFeatures(log: BanditLog, row: number, action: number, out: Float64Array, offset: number): void {
  out.fill(0, offset, offset + rewardFeatureDim(log));
  out[offset + action] = 1;
  out[offset + log.nActions + log.positions[row]] = 1;
  const c = offset + log.nActions + log.nPositions;
  for (let j = 0; j < log.contextDim; j++) out[c + j] = log.context[row * log.contextDim + j];
  if (log.actionAffinity)
    out[c + log.contextDim] = Math.log1p(log.actionAffinity[row * log.nActions + action]);
}

function loggedFeatures(log: BanditLog): Float64Array {
  const dim = rewardFeatureDim(log);
  const x = new Float64Array(log.n * dim);
  for (let i = 0; i < log.n; i++) writeFeatures(log, i, log.actions[i], x, i * dim);
  return x;
}

/** Row i's fold among k, from a seeded shuffle so folds do not follow the log's time order. */
function foldsOf(n: number, k: number, seed: number): Int32Array {
  const order = new Random(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const fold = new Int32Array(n);
  order.forEach((row, rank) => {
    fold[row] = rank % k;
  });
  return fold;
}

function rowsWhere(fold: Int32Array, keep: (f: number) => boolean): Int32Array {
  const rows: number[] = [];
  for (let i = 0; i < fold.length; i++) if (keep(fold[i])) rows.push(i);
  return Int32Array.from(rows);
}

/**
 * Picks the reward model's L2 penalty by k-fold cross-validated log-loss on the log itself (the data the
 * estimate is made from, never the other policy's outcome that the estimate is judged against).
 */
export function chooseLambda(
  log: BanditLog,
  lambdas: readonly number[],
  folds: number,
  seed: number,
): { lambda: number; logLoss: Array<{ lambda: number; logLoss: number }> } {
  const x = loggedFeatures(log);
  const dim = rewardFeatureDim(log);
  const fold = foldsOf(log.n, folds, seed);
  const scores = lambdas.map((lambda) => {
    let loss = 0;
    for (let f = 0; f < folds; f++) {
      const model = fitLogistic(
        x,
        dim,
        log.rewards,
        lambda,
        rowsWhere(fold, (g) => g !== f),
      );
      for (const i of rowsWhere(fold, (g) => g === f)) {
        const p = Math.min(
          Math.max(logisticScore(model, x.subarray(i * dim, (i + 1) * dim)), 1e-9),
          1 - 1e-9,
        );
        loss -= log.rewards[i] * Math.log(p) + (1 - log.rewards[i]) * Math.log(1 - p);
      }
    }
    return { lambda, logLoss: loss / log.n };
  });
  const best = scores.reduce((a, b) => (b.logLoss < a.logLoss ? b : a));
  return { lambda: best.lambda, logLoss: scores };
}

/**
 * Per-row ingredients of every estimator: importance weight w_i = pi_e(a_i)/pi_0(a_i), the reward model's
 * prediction for the logged action q_i, and the model's value of the target's distribution at that row
 * dm_i = sum_a pi_e(a) q(x_i, a). The reward model is cross-fitted (row i's prediction comes from a model
 * that did not see row i), as doubly robust estimation needs for its bias guarantee.
 */
export interface OpeTerms {
  readonly weights: Float64Array;
  readonly rewards: Float64Array;
  readonly modelLogged: Float64Array;
  readonly modelTarget: Float64Array;
}

export function opeTerms(
  log: BanditLog,
  target: TargetPolicy,
  options: { lambda: number; folds?: number; seed?: number; rows?: Int32Array; features?: Float64Array },
): OpeTerms {
  const folds = options.folds ?? 3;
  const dim = rewardFeatureDim(log);
  const x = options.features ?? loggedFeatures(log);
  const rows = options.rows ?? Int32Array.from({ length: log.n }, (_, i) => i);
  const m = rows.length;
  // Folds over the sample's positions (a bootstrap sample repeats rows; copies share a fold by position).
  const fold = foldsOf(m, folds, options.seed ?? 1);
  const models: LogisticModel[] = [];
  for (let f = 0; f < folds; f++) {
    const train = rowsWhere(fold, (g) => g !== f).map((k) => rows[k]);
    models.push(fitLogistic(x, dim, log.rewards, options.lambda, train));
  }
  const weights = new Float64Array(m);
  const rewards = new Float64Array(m);
  const modelLogged = new Float64Array(m);
  const modelTarget = new Float64Array(m);
  const candidate = new Float64Array(dim);
  for (let k = 0; k < m; k++) {
    const i = rows[k];
    const pi = target(log, i);
    const model = models[fold[k]];
    weights[k] = pi[log.actions[i]] / log.propensities[i];
    rewards[k] = log.rewards[i];
    let value = 0;
    for (let a = 0; a < log.nActions; a++) {
      if (pi[a] === 0 && a !== log.actions[i]) continue;
      writeFeatures(log, i, a, candidate, 0);
      const q = logisticScore(model, candidate);
      value += pi[a] * q;
      if (a === log.actions[i]) modelLogged[k] = q;
    }
    modelTarget[k] = value;
  }
  return { weights, rewards, modelLogged, modelTarget };
}

export const estimatorNames = ["DM", "IPS", "SNIPS", "DR"] as const;
export type EstimatorName = (typeof estimatorNames)[number];

/** The four estimates over the rows `rows` (a bootstrap resample) or all rows. */
export function estimatesFromTerms(terms: OpeTerms, rows?: ArrayLike<number>): Record<EstimatorName, number> {
  const n = rows ? rows.length : terms.rewards.length;
  let dm = 0;
  let ips = 0;
  let weightSum = 0;
  let dr = 0;
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    const w = terms.weights[i];
    const r = terms.rewards[i];
    dm += terms.modelTarget[i];
    ips += w * r;
    weightSum += w;
    dr += terms.modelTarget[i] + w * (r - terms.modelLogged[i]);
  }
  return { DM: dm / n, IPS: ips / n, SNIPS: weightSum > 0 ? ips / weightSum : 0, DR: dr / n };
}

export interface Estimate {
  estimator: EstimatorName;
  value: number;
  /** 2.5% and 97.5% percentiles of the estimate over bootstrap resamples of the log's rows. */
  lower: number;
  upper: number;
  /** The bootstrap resamples' estimates (kept for relative-error summaries). */
  replicates: Float64Array;
}

function percentile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * Each estimator with a percentile-bootstrap 95% interval. IPS and SNIPS resample the per-row terms
 * (`resamples` times); DM and DR refit the reward model on every resample (`refits` times), since holding a
 * fitted model fixed would leave its own error out of the interval and make DM look far surer than it is.
 */
export function bootstrapEstimates(
  log: BanditLog,
  target: TargetPolicy,
  options: {
    lambda: number;
    resamples: number;
    refits: number;
    seed: number;
    onRefit?: (done: number) => void;
  },
): { terms: OpeTerms; estimates: Estimate[] } {
  const features = loggedFeatures(log);
  const terms = opeTerms(log, target, { lambda: options.lambda, seed: options.seed, features });
  const point = estimatesFromTerms(terms);
  const rng = new Random(options.seed);
  const draw = () => {
    const rows = new Int32Array(log.n);
    for (let k = 0; k < log.n; k++) rows[k] = rng.int(log.n);
    return rows;
  };
  const reps = Object.fromEntries(estimatorNames.map((e) => [e, [] as number[]])) as Record<
    EstimatorName,
    number[]
  >;
  for (let b = 0; b < options.resamples; b++) {
    const e = estimatesFromTerms(terms, draw());
    reps.IPS.push(e.IPS);
    reps.SNIPS.push(e.SNIPS);
  }
  for (let b = 0; b < options.refits; b++) {
    const e = estimatesFromTerms(
      opeTerms(log, target, { lambda: options.lambda, seed: options.seed + b + 1, features, rows: draw() }),
    );
    reps.DM.push(e.DM);
    reps.DR.push(e.DR);
    options.onRefit?.(b + 1);
  }
  const estimates = estimatorNames.map((estimator) => {
    const replicates = Float64Array.from(reps[estimator]);
    const sorted = Float64Array.from(replicates).sort();
    return {
      estimator,
      value: point[estimator],
      lower: sorted.length > 0 ? percentile(sorted, 0.025) : Number.NaN,
      upper: sorted.length > 0 ? percentile(sorted, 0.975) : Number.NaN,
      replicates,
    };
  });
  return { terms, estimates };
}

export interface WeightDiagnostics {
  /** Mean of pi_e/pi_0 over the log; 1 in expectation when the logged propensities are right. */
  meanWeight: number;
  maxWeight: number;
  /** (sum w)^2 / sum w^2: how many rows the weighted estimate is worth. */
  effectiveSampleSize: number;
}

export function weightDiagnostics(terms: OpeTerms): WeightDiagnostics {
  let s = 0;
  let s2 = 0;
  let max = 0;
  for (const w of terms.weights) {
    s += w;
    s2 += w * w;
    max = Math.max(max, w);
  }
  return {
    meanWeight: s / terms.weights.length,
    maxWeight: max,
    effectiveSampleSize: s2 > 0 ? (s * s) / s2 : 0,
  };
}

export interface OffPolicyReport extends WeightDiagnostics {
  n: number;
  estimates: Estimate[];
  rewardModel: { lambda: number; crossValidation: Array<{ lambda: number; logLoss: number }> };
}

export interface OffPolicyOptions {
  /** Bootstrap resamples for the IPS and SNIPS intervals (default 1000). */
  resamples?: number;
  /** Bootstrap resamples with a refitted reward model for the DM and DR intervals (default 200). */
  refits?: number;
  seed?: number;
  /** L2 penalties the reward model chooses from by cross-validation on the log. */
  lambdas?: readonly number[];
  onRefit?: (done: number, total: number) => void;
}

/** DM, IPS, SNIPS and DR of `target` from `log`, each with a bootstrap 95% interval. */
export function evaluateOffPolicy(
  log: BanditLog,
  target: TargetPolicy,
  options: OffPolicyOptions = {},
): OffPolicyReport {
  const seed = options.seed ?? 1;
  const chosen = chooseLambda(log, options.lambdas ?? [0.3, 1, 3, 10, 30, 100, 300], 5, seed);
  const refits = options.refits ?? 200;
  const { terms, estimates } = bootstrapEstimates(log, target, {
    lambda: chosen.lambda,
    resamples: options.resamples ?? 1000,
    refits,
    seed,
    onRefit: (done) => options.onRefit?.(done, refits),
  });
  return {
    n: log.n,
    ...weightDiagnostics(terms),
    estimates,
    rewardModel: { lambda: chosen.lambda, crossValidation: chosen.logLoss },
  };
}

/** |estimate - observed| / observed, for the estimate and averaged over the bootstrap replicates. */
export function relativeErrors(
  estimate: Estimate,
  observed: number,
): { point: number; meanOverResamples: number } {
  let sum = 0;
  for (const v of estimate.replicates) sum += Math.abs(v - observed) / observed;
  return {
    point: Math.abs(estimate.value - observed) / observed,
    meanOverResamples: sum / estimate.replicates.length,
  };
}

/** The on-policy value of a log: its mean reward, with a percentile-bootstrap 95% interval. */
export function onPolicyValue(
  log: BanditLog,
  resamples = 1000,
  seed = 1,
): { value: number; lower: number; upper: number } {
  const rng = new Random(seed);
  let total = 0;
  for (const r of log.rewards) total += r;
  const reps = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let k = 0; k < log.n; k++) s += log.rewards[rng.int(log.n)];
    reps[b] = s / log.n;
  }
  reps.sort();
  return { value: total / log.n, lower: percentile(reps, 0.025), upper: percentile(reps, 0.975) };
}
