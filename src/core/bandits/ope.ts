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

/** Row `row`'s reward-model features had it shown `action` (at `position`, default the logged one). */
export function writeFeatures(
  log: BanditLog,
  row: number,
  action: number,
  out: Float64Array,
  offset: number,
  position = log.positions[row],
): void {
  out.fill(0, offset, offset + rewardFeatureDim(log));
  out[offset + action] = 1;
  out[offset + log.nActions + position] = 1;
  const c = offset + log.nActions + log.nPositions;
  for (let j = 0; j < log.contextDim; j++) out[c + j] = log.context[row * log.contextDim + j];
  if (log.actionAffinity)
    out[c + log.contextDim] = Math.log1p(log.actionAffinity[row * log.nActions + action]);
}

export function loggedFeatures(log: BanditLog): Float64Array {
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
 * estimate is made from, never the other policy's outcome that the estimate is judged against). With
 * `sampleWeights` both the fits and the held-out loss are weighted (importance-weighted cross-validation,
 * Sugiyama, Krauledat and Mueller 2007: the loss the target policy's actions would see).
 */
export function chooseLambda(
  log: BanditLog,
  lambdas: readonly number[],
  folds: number,
  seed: number,
  sampleWeights?: Float64Array,
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
        25,
        sampleWeights,
      );
      for (const i of rowsWhere(fold, (g) => g === f)) {
        const p = Math.min(
          Math.max(logisticScore(model, x.subarray(i * dim, (i + 1) * dim)), 1e-9),
          1 - 1e-9,
        );
        loss -=
          (sampleWeights ? sampleWeights[i] : 1) *
          (log.rewards[i] * Math.log(p) + (1 - log.rewards[i]) * Math.log(1 - p));
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

/** pi_e(a_i)/pi_0(a_i) per logged row, scaled to mean 1 so that an L2 penalty means the same as unweighted. */
export function targetWeights(log: BanditLog, target: TargetPolicy): Float64Array {
  const w = new Float64Array(log.n);
  let sum = 0;
  for (let i = 0; i < log.n; i++) {
    w[i] = target(log, i)[log.actions[i]] / log.propensities[i];
    sum += w[i];
  }
  for (let i = 0; i < log.n; i++) w[i] *= log.n / sum;
  return w;
}

export function opeTerms(
  log: BanditLog,
  target: TargetPolicy,
  options: {
    lambda: number;
    folds?: number;
    seed?: number;
    rows?: Int32Array;
    features?: Float64Array;
    /** Weight the reward model's fit by pi_e/pi_0 so it is accurate where the target policy acts. */
    importanceWeightedModel?: boolean;
  },
): OpeTerms {
  const folds = options.folds ?? 3;
  const fitWeights = options.importanceWeightedModel ? targetWeights(log, target) : undefined;
  const dim = rewardFeatureDim(log);
  const x = options.features ?? loggedFeatures(log);
  const rows = options.rows ?? Int32Array.from({ length: log.n }, (_, i) => i);
  const m = rows.length;
  // Folds over the sample's positions (a bootstrap sample repeats rows; copies share a fold by position).
  const fold = foldsOf(m, folds, options.seed ?? 1);
  const models: LogisticModel[] = [];
  for (let f = 0; f < folds; f++) {
    const train = rowsWhere(fold, (g) => g !== f).map((k) => rows[k]);
    models.push(fitLogistic(x, dim, log.rewards, options.lambda, train, 25, fitWeights));
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

export const estimatorNames = ["DM", "IPS", "SNIPS", "DR", "Switch-DR", "DRos"] as const;
export type EstimatorName = (typeof estimatorNames)[number];

/**
 * Doubly robust with optimistic shrinkage (Su, Dimakopoulou, Krishnamurthy, Dudik, ICML 2020): the residual's
 * weight w becomes lambda w / (w^2 + lambda), which keeps small weights and tames large ones. lambda = Infinity
 * is DR, lambda = 0 is DM.
 */
export function drosRowTerm(terms: OpeTerms, i: number, lambda: number): number {
  const w = terms.weights[i];
  const shrunk = lambda === Number.POSITIVE_INFINITY ? w : lambda === 0 ? 0 : (lambda * w) / (w * w + lambda);
  return terms.modelTarget[i] + shrunk * (terms.rewards[i] - terms.modelLogged[i]);
}

/**
 * Switch doubly robust (Wang, Agarwal, Dudik, ICML 2017, in the Open Bandit Pipeline's DR form): rows whose
 * weight exceeds tau keep only the reward model's value; the others are plain DR rows. tau = Infinity is DR,
 * tau = 0 is DM.
 */
export function switchRowTerm(terms: OpeTerms, i: number, tau: number): number {
  const w = terms.weights[i];
  return terms.modelTarget[i] + (w <= tau ? w * (terms.rewards[i] - terms.modelLogged[i]) : 0);
}

/** Candidate shrinkages, from none (DR) to full (DM); SLOPE picks one from the log alone. */
export const drosLambdas = [
  Number.POSITIVE_INFINITY,
  1e4,
  3e3,
  1e3,
  300,
  100,
  30,
  10,
  3,
  1,
  0.3,
  0.1,
  0.03,
  0.01,
  0,
] as const;
export const switchTaus = [Number.POSITIVE_INFINITY, 200, 100, 50, 20, 10, 5, 3, 2, 1.5, 1, 0.5, 0] as const;

export interface TunedCandidate {
  param: number;
  value: number;
  /** Standard error of the mean of the per-row terms. */
  standardError: number;
}

/**
 * SLOPE (Su, Srinath, Krishnamurthy, ICML 2020), Lepski's principle for one knob that trades bias for variance:
 * visit the candidates from the widest (least shrunk, least biased) to the narrowest, and keep going while the
 * next candidate's 95% interval (value +- 2 standard errors) overlaps the interval of every candidate visited
 * so far; the last one that did is chosen. It looks only at the log, never at the value being estimated, so it
 * can be used where the truth is unknown. Candidates are sorted here by standard error, widest first.
 */
export function slopeSelect(candidates: readonly TunedCandidate[]): TunedCandidate {
  const order = [...candidates].sort((a, b) => b.standardError - a.standardError);
  const accepted: TunedCandidate[] = [order[0]];
  for (let k = 1; k < order.length; k++) {
    const c = order[k];
    const overlapsAll = accepted.every(
      (a) => Math.abs(a.value - c.value) <= 2 * (a.standardError + c.standardError),
    );
    if (!overlapsAll) break;
    accepted.push(c);
  }
  return accepted[accepted.length - 1];
}

function tunedCandidates(
  terms: OpeTerms,
  params: readonly number[],
  rowTerm: (terms: OpeTerms, i: number, param: number) => number,
  rows?: ArrayLike<number>,
): TunedCandidate[] {
  const n = rows ? rows.length : terms.rewards.length;
  return params.map((param) => {
    let sum = 0;
    let sq = 0;
    for (let k = 0; k < n; k++) {
      const v = rowTerm(terms, rows ? rows[k] : k, param);
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    const variance = Math.max(sq / n - mean * mean, 0);
    return { param, value: mean, standardError: Math.sqrt(variance / Math.max(n - 1, 1)) };
  });
}

/** Switch-DR's threshold and DRos's shrinkage, when chosen beforehand rather than by SLOPE on each sample. */
export interface Knobs {
  switchTau: number;
  drosLambda: number;
}

/** Switch-DR and DRos with their knob chosen by SLOPE on these rows, or held at `fixed`. */
export function tunedEstimates(
  terms: OpeTerms,
  rows?: ArrayLike<number>,
  fixed?: Knobs,
): { "Switch-DR": TunedCandidate; DRos: TunedCandidate } {
  if (fixed)
    return {
      "Switch-DR": tunedCandidates(terms, [fixed.switchTau], switchRowTerm, rows)[0],
      DRos: tunedCandidates(terms, [fixed.drosLambda], drosRowTerm, rows)[0],
    };
  return {
    "Switch-DR": slopeSelect(tunedCandidates(terms, switchTaus, switchRowTerm, rows)),
    DRos: slopeSelect(tunedCandidates(terms, drosLambdas, drosRowTerm, rows)),
  };
}

/**
 * Switch-DR's and DRos's knobs chosen by split-half validation on the log alone: the log's rows are halved at
 * random `splits` times; each knob's estimate from one half (reward model cross-fitted within it) is compared
 * with the self-normalised IPS estimate from the other half, and the knob with the smallest mean squared
 * difference wins. The held-out SNIPS is independent of the first half and (nearly) unbiased, so in
 * expectation the criterion ranks knobs by their mean squared error plus a constant (Var of the held-out
 * estimate): it aims at accuracy, where SLOPE aims at staying inside the widest interval. It reads only the
 * log the estimate is made from, never the evaluated policy's own outcomes. Halves have n/2 rows, so the knob
 * chosen suits a log half the size (a little more shrinkage than the whole log needs).
 */
export function splitValidatedKnobs(
  log: BanditLog,
  target: TargetPolicy,
  options: {
    lambda: number;
    splits?: number;
    seed?: number;
    importanceWeightedModel?: boolean;
    features?: Float64Array;
  },
): Knobs & { splits: number; switchScores: number[]; drosScores: number[] } {
  const splits = options.splits ?? 20;
  const features = options.features ?? loggedFeatures(log);
  const rng = new Random((options.seed ?? 1) * 104729 + 17);
  const switchScores = new Array<number>(switchTaus.length).fill(0);
  const drosScores = new Array<number>(drosLambdas.length).fill(0);
  const half = Math.floor(log.n / 2);
  for (let s = 0; s < splits; s++) {
    const order = rng.shuffle(Array.from({ length: log.n }, (_, i) => i));
    const fitRows = Int32Array.from(order.slice(0, half));
    let wr = 0;
    let ws = 0;
    for (const i of order.slice(half)) {
      const w = target(log, i)[log.actions[i]] / log.propensities[i];
      wr += w * log.rewards[i];
      ws += w;
    }
    const heldOut = ws > 0 ? wr / ws : 0;
    const terms = opeTerms(log, target, {
      lambda: options.lambda,
      seed: (options.seed ?? 1) + s + 1,
      features,
      rows: fitRows,
      importanceWeightedModel: options.importanceWeightedModel,
    });
    tunedCandidates(terms, switchTaus, switchRowTerm).forEach((c, k) => {
      switchScores[k] += (c.value - heldOut) ** 2 / splits;
    });
    tunedCandidates(terms, drosLambdas, drosRowTerm).forEach((c, k) => {
      drosScores[k] += (c.value - heldOut) ** 2 / splits;
    });
  }
  const best = (scores: number[]) => scores.reduce((b, v, k) => (v < scores[b] ? k : b), 0);
  return {
    switchTau: switchTaus[best(switchScores)],
    drosLambda: drosLambdas[best(drosScores)],
    splits,
    switchScores,
    drosScores,
  };
}

type UntunedName = "DM" | "IPS" | "SNIPS" | "DR";

/** Every estimate over the rows `rows` (a bootstrap resample) or all rows. */
export function estimatesFromTerms(
  terms: OpeTerms,
  rows?: ArrayLike<number>,
  fixed?: Knobs,
): Record<EstimatorName, number> {
  const tuned = tunedEstimates(terms, rows, fixed);
  return { ...untunedEstimates(terms, rows), "Switch-DR": tuned["Switch-DR"].value, DRos: tuned.DRos.value };
}

/** The estimators without a knob to choose (cheap: one pass over the rows). */
export function untunedEstimates(terms: OpeTerms, rows?: ArrayLike<number>): Record<UntunedName, number> {
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
 * Switch-DR and DRos also choose their knob again by SLOPE on every refit, so the interval includes the choice.
 */
export function bootstrapEstimates(
  log: BanditLog,
  target: TargetPolicy,
  options: {
    lambda: number;
    resamples: number;
    refits: number;
    seed: number;
    importanceWeightedModel?: boolean;
    /** Switch-DR's and DRos's knobs held fixed (chosen beforehand) instead of SLOPE on every refit. */
    knobs?: Knobs;
    onRefit?: (done: number) => void;
  },
): { terms: OpeTerms; estimates: Estimate[] } {
  const features = loggedFeatures(log);
  const importanceWeightedModel = options.importanceWeightedModel ?? false;
  const terms = opeTerms(log, target, {
    lambda: options.lambda,
    seed: options.seed,
    features,
    importanceWeightedModel,
  });
  const point = estimatesFromTerms(terms, undefined, options.knobs);
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
    const e = untunedEstimates(terms, draw());
    reps.IPS.push(e.IPS);
    reps.SNIPS.push(e.SNIPS);
  }
  for (let b = 0; b < options.refits; b++) {
    const e = estimatesFromTerms(
      opeTerms(log, target, {
        lambda: options.lambda,
        seed: options.seed + b + 1,
        features,
        rows: draw(),
        importanceWeightedModel,
      }),
      undefined,
      options.knobs,
    );
    reps.DM.push(e.DM);
    reps.DR.push(e.DR);
    reps["Switch-DR"].push(e["Switch-DR"]);
    reps.DRos.push(e.DRos);
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
  rewardModel: {
    lambda: number;
    crossValidation: Array<{ lambda: number; logLoss: number }>;
    importanceWeighted: boolean;
  };
  /** The knobs chosen on the whole log (Switch-DR's weight threshold, DRos's shrinkage) and how. */
  tuning: { switchTau: number; drosLambda: number; method: KnobChoice; splits?: number };
}

/**
 * How Switch-DR's and DRos's knobs are chosen: SLOPE on each sample (the interval includes the choice), or
 * split-half validation once on the whole log (the interval then holds the knobs fixed and leaves the
 * choice's own uncertainty out).
 */
export const knobChoices = ["slope", "split"] as const;
export type KnobChoice = (typeof knobChoices)[number];

export interface OffPolicyOptions {
  /** Bootstrap resamples for the IPS and SNIPS intervals (default 1000). */
  resamples?: number;
  /** Bootstrap resamples with a refitted reward model for the DM and DR intervals (default 200). */
  refits?: number;
  seed?: number;
  /** L2 penalties the reward model chooses from by cross-validation on the log. */
  lambdas?: readonly number[];
  /**
   * Fit the reward model with weights pi_e/pi_0 (covariate-shift regression) so that DM and the DR family
   * are accurate on the target policy's actions rather than the logger's (default false).
   */
  importanceWeightedModel?: boolean;
  /** How the Switch-DR and DRos knobs are chosen (default slope). */
  tuning?: KnobChoice;
  /** Random halvings for tuning "split" (default 20). */
  splits?: number;
  onRefit?: (done: number, total: number) => void;
}

/** DM, IPS, SNIPS, DR, Switch-DR and DRos of `target` from `log`, each with a bootstrap 95% interval. */
export function evaluateOffPolicy(
  log: BanditLog,
  target: TargetPolicy,
  options: OffPolicyOptions = {},
): OffPolicyReport {
  const seed = options.seed ?? 1;
  const chosen = chooseLambda(
    log,
    options.lambdas ?? [0.3, 1, 3, 10, 30, 100, 300],
    5,
    seed,
    options.importanceWeightedModel ? targetWeights(log, target) : undefined,
  );
  const refits = options.refits ?? 200;
  const split =
    options.tuning === "split"
      ? splitValidatedKnobs(log, target, {
          lambda: chosen.lambda,
          splits: options.splits,
          seed,
          importanceWeightedModel: options.importanceWeightedModel,
        })
      : undefined;
  const { terms, estimates } = bootstrapEstimates(log, target, {
    lambda: chosen.lambda,
    resamples: options.resamples ?? 1000,
    refits,
    seed,
    importanceWeightedModel: options.importanceWeightedModel,
    knobs: split,
    onRefit: (done) => options.onRefit?.(done, refits),
  });
  const tuned = split ?? {
    switchTau: tunedEstimates(terms)["Switch-DR"].param,
    drosLambda: tunedEstimates(terms).DRos.param,
  };
  return {
    n: log.n,
    ...weightDiagnostics(terms),
    estimates,
    rewardModel: {
      lambda: chosen.lambda,
      crossValidation: chosen.logLoss,
      importanceWeighted: options.importanceWeightedModel ?? false,
    },
    tuning: {
      switchTau: tuned.switchTau,
      drosLambda: tuned.drosLambda,
      method: split ? "split" : "slope",
      ...(split ? { splits: split.splits } : {}),
    },
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
