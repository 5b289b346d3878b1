import { kMeansSegments } from "./carousel.js";
import { type BanditEnvironment, tableEnvironment } from "./environment.js";
import { fitLogistic } from "./logistic.js";
import { type BanditLog, chooseLambda, loggedFeatures, rewardFeatureDim, writeFeatures } from "./ope.js";

/**
 * A simulator fitted to a store's own logged bandit feedback, in the spirit of Accordion (McInerney et al.,
 * RecSys 2021; methods.md 8b), cut down to what a log of impressions supports:
 * - visits: the logged visitors themselves, each row's context (user features, past clicks per item) one
 *   visitor, drawn uniformly, so the simulated audience is the log's audience (the log carries no user ids
 *   or long enough a period for a per-user, time-of-week rate: not modelled);
 * - choice: a logistic click model over (item, slot, context, affinity), fitted with inverse-propensity
 *   weights towards the uniform policy (w_i = (1/nActions)/p_i, scaled to mean 1) so that items a logging
 *   policy favoured do not look better for having been shown more; its L2 penalty is chosen by importance-
 *   weighted 5-fold cross-validation on the same log. Slot coefficients become position offsets, so the
 *   truth is p(click | u, a, k) = sigmoid(z(u, a) + b_k), and clicks in different slots are independent.
 */
export interface FittedEnvironmentOptions {
  lambdas?: readonly number[];
  segments?: number;
  seed?: number;
}

export interface FitReport {
  lambda: number;
  crossValidation: Array<{ lambda: number; logLoss: number }>;
  /** Logit added at each slot (position bias). */
  slotOffsets: number[];
  /** The fitted model's click rate for a uniformly random page, per slot, averaged over the logged visitors. */
  uniformClickRate: number;
  /** The log's own click rate per impression. */
  loggedClickRate: number;
}

export function fittedEnvironment(
  log: BanditLog,
  options: FittedEnvironmentOptions = {},
): { env: BanditEnvironment; fit: FitReport } {
  const seed = options.seed ?? 1;
  const weights = new Float64Array(log.n);
  let sum = 0;
  for (let i = 0; i < log.n; i++) {
    weights[i] = 1 / (log.nActions * log.propensities[i]);
    sum += weights[i];
  }
  for (let i = 0; i < log.n; i++) weights[i] *= log.n / sum;
  const chosen = chooseLambda(log, options.lambdas ?? [0.3, 1, 3, 10, 30, 100, 300], 5, seed, weights);
  const dim = rewardFeatureDim(log);
  const model = fitLogistic(loggedFeatures(log), dim, log.rewards, chosen.lambda, undefined, 25, weights);
  const w = model.weights;
  const slotOffsets = Float64Array.from({ length: log.nPositions }, (_, k) => w[1 + log.nActions + k]);
  const nUsers = log.n;
  const nArms = log.nActions;
  const logits = new Float64Array(nUsers * nArms);
  const x = new Float64Array(dim);
  for (let u = 0; u < nUsers; u++)
    for (let a = 0; a < nArms; a++) {
      writeFeatures(log, u, a, x, 0, 0);
      let z = w[0] - slotOffsets[0];
      for (let j = 0; j < dim; j++) z += w[j + 1] * x[j];
      logits[u * nArms + a] = z;
    }
  const featureDim = log.contextDim + 1;
  const features = new Float64Array(nUsers * featureDim);
  for (let u = 0; u < nUsers; u++) {
    features.set(log.context.subarray(u * log.contextDim, (u + 1) * log.contextDim), u * featureDim);
    features[u * featureDim + log.contextDim] = 1;
  }
  const nSegments = Math.min(options.segments ?? 20, nUsers);
  const env = tableEnvironment({
    name: "fitted",
    nUsers,
    nArms,
    logits,
    slots: log.nPositions,
    slotOffsets,
    feedback: "independent",
    dim: featureDim,
    features,
    segments: kMeansSegments(features, nUsers, featureDim, nSegments, seed),
    nSegments,
    armLabels: Array.from({ length: nArms }, (_, a) => `item ${a}`),
  });
  let uniform = 0;
  for (let u = 0; u < nUsers; u++)
    for (let a = 0; a < nArms; a++)
      for (let k = 0; k < log.nPositions; k++)
        uniform += env.probability(u, a, k) / (nUsers * nArms * log.nPositions);
  let clicks = 0;
  for (const r of log.rewards) clicks += r;
  return {
    env,
    fit: {
      lambda: chosen.lambda,
      crossValidation: chosen.logLoss,
      slotOffsets: Array.from(slotOffsets),
      uniformClickRate: uniform,
      loggedClickRate: clicks / log.n,
    },
  };
}
