import { itemScore } from "../topn/exact.js";
import { type AffinityBlend, blendProbability, blendScore, defaultBlend, fitBlend } from "./blend.js";
import { type BprOptions, defaultBprOptions, trainBpr } from "./bpr.js";
import {
  type FoldedCells,
  findCell,
  foldPlays,
  indexOfSorted,
  itemPopularity,
  type PlayTable,
} from "./cells.js";
import { type FactorModel, factorScore } from "./factor-model.js";
import {
  buildPairwiseSet,
  defaultPairwiseOptions,
  type PairwiseOptions,
  type PairwiseSet,
} from "./pairwise-set.js";
import { type LossPairs, pairwiseLoss, sampleLossPairs, type TrainingCurvePoint } from "./training-curve.js";
import { trainWarp, type WarpOptions } from "./warp.js";
import { defaultLabelRule, type LabelRule, thresholdFor } from "./weighting.js";

/** The pairwise loss: BPR over P ≻ U ≻ N (default), or WARP (rank-weighted, Adagrad; see warp.ts). */
export type PairwiseLoss = "bpr" | "warp";

export interface TrainConfig {
  loss?: PairwiseLoss;
  rule: LabelRule;
  pairwise: PairwiseOptions;
  /** BPR's settings, WARP's shared ones too; `kernel` picks the BPR loop (see BprKernel). */
  bpr: Omit<BprOptions, "onEpoch">;
  /**
   * Threads for BPR (Hogwild workers over shared factors; 0 = every core). Default 1: a trained model is
   * then reproducible from its config and seed, which Hogwild's timing-dependent updates are not. Only
   * Node's training pipeline (Engine.train) runs threads; the core's trainAffinityModel is one-thread.
   */
  threads?: number;
  /**
   * Share of each user's latest training plays held back to fit the blend (then the factorization is
   * trained again on everything). 0 skips the fit and uses a fixed blend.
   */
  calibrationShare: number;
  /**
   * Train the top-N model `recommend` serves beside the affinity model (default true; see
   * core/recommend). The affinity model is unchanged either way.
   */
  topN?: boolean;
}

export const defaultTrainConfig: TrainConfig = {
  rule: defaultLabelRule,
  pairwise: defaultPairwiseOptions,
  bpr: defaultBprOptions,
  calibrationShare: 0.1,
};

export interface TimedPlayTable extends PlayTable {
  endTimeMs: Float64Array;
}

/** Everything needed to serve affinities: factors, the users' folded history, popularity and the blend. */
export interface AffinityModel {
  users: string[];
  items: string[];
  factors: FactorModel;
  history: FoldedCells;
  /** Long plays per item. */
  popularity: Float64Array;
  /** Smoothed share of an item's plays that went past the threshold: the prior for unknown users. */
  itemLongRate: Float32Array;
  /** Smoothed share of each user's plays that went past the threshold. */
  userLongRate: Float32Array;
  globalLongRate: number;
  blend: AffinityBlend;
  rule: LabelRule;
  /** The sampled pairwise loss after each training epoch (absent for models loaded from older versions). */
  trainingCurve?: TrainingCurvePoint[];
}

/** personal: the served model knows the user; folded-in: the user's vector was solved after training. */
export type AffinitySource = "personal" | "folded-in" | "popularity" | "unknown-item";

/**
 * One user as scoring sees them: their factor vector and their folded history (items ascending). For a
 * user the model was trained on these are views into the model; for a folded-in user (new plays since the
 * model was trained) they are an overlay, and the served model itself stays immutable.
 */
export interface UserState {
  vector: Float32Array;
  items: Int32Array;
  sum: Float32Array;
  count: Int32Array;
  source: "personal" | "folded-in";
}

export function userState(model: AffinityModel, u: number): UserState {
  const k = model.factors.factors;
  const { rowPtr, items, sum, count } = model.history;
  const lo = rowPtr[u];
  const hi = rowPtr[u + 1];
  return {
    vector: model.factors.userFactors.subarray(u * k, (u + 1) * k),
    items: items.subarray(lo, hi),
    sum: sum.subarray(lo, hi),
    count: count.subarray(lo, hi),
    source: "personal",
  };
}

/** Position of item i in a user's sorted history, or -1. */
export function findInState(state: UserState, i: number): number {
  return indexOfSorted(state.items, 0, state.items.length, i);
}

/** The blend for a user state and a model item index. */
export function scoreUserItem(model: AffinityModel, state: UserState, i: number): AffinityScore {
  const c = findInState(state, i);
  const plays = c < 0 ? 0 : state.count[c];
  const history = c < 0 ? 0 : state.sum[c] / plays;
  const mf = itemScore(model.factors, state.vector, i);
  const score = blendScore(model.blend, mf, history, plays);
  return { affinity: blendProbability(model.blend, score), score, history, mf, plays, source: state.source };
}

export interface AffinityScore {
  /** Estimated probability that the user plays the item past the threshold. */
  affinity: number;
  /**
   * The blend's score before calibration: the same order as `affinity`, without the saturation of a
   * probability near 0 or 1, so rankings use this.
   */
  score: number;
  /** The user's own mean label·weight with the item (0 if never played). */
  history: number;
  /** The factorization's raw score (b_i + p_u·q_i), null when it cannot score the pair. */
  mf: number | null;
  plays: number;
  source: AffinitySource;
}

export type TrainProgress = (phase: "calibration" | "final", done: number, total: number) => void;

/** Trains the factorization and the blend (see TrainConfig.calibrationShare). Pure: no I/O, one thread. */
export function trainAffinityModel(
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  config: TrainConfig = defaultTrainConfig,
  onProgress?: TrainProgress,
): AffinityModel {
  const steps = affinitySteps(plays, users, items, config, onProgress);
  let step = steps.next();
  while (!step.done) step = steps.next(trainFactors(config, step.value.set, step.value.options));
  return step.value;
}

/** Trains one factorization of the pipeline: the core's trainFactors, or e.g. BPR on worker threads. */
export type FactorTrainer = (
  config: TrainConfig,
  set: PairwiseSet,
  options: Partial<BprOptions>,
) => Promise<FactorModel>;

/** trainAffinityModel with the factorizations trained by `train` (which may run off this thread). */
export async function trainAffinityModelWith(
  train: FactorTrainer,
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  config: TrainConfig = defaultTrainConfig,
  onProgress?: TrainProgress,
): Promise<AffinityModel> {
  const steps = affinitySteps(plays, users, items, config, onProgress);
  let step = steps.next();
  while (!step.done) step = steps.next(await train(config, step.value.set, step.value.options));
  return step.value;
}

interface FactorJob {
  set: PairwiseSet;
  options: Partial<BprOptions>;
}

/** The training recipe; it yields each factorization it needs and is sent back the trained model. */
function* affinitySteps(
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  config: TrainConfig,
  onProgress?: TrainProgress,
): Generator<FactorJob, AffinityModel, FactorModel> {
  const trainingCurve: TrainingCurvePoint[] = [];
  const seed = config.bpr.seed;
  const job = (set: PairwiseSet, phase: "calibration" | "final", validation?: LossPairs): FactorJob => {
    const pairs = sampleLossPairs(set, curvePairs, seed + 1);
    return {
      set,
      options: {
        ...config.bpr,
        onEpoch: (e, n, factors) => {
          const model = factors();
          const point: TrainingCurvePoint = { phase, epoch: e, loss: pairwiseLoss(model, pairs) };
          if (validation && validation.users.length > 0)
            point.validationLoss = pairwiseLoss(model, validation);
          trainingCurve.push(point);
          onProgress?.(phase, e, n);
          return undefined;
        },
      },
    };
  };
  const cells = foldPlays(plays, config.rule);
  const fullSet = buildPairwiseSet(cells, config.pairwise);
  let blend = defaultBlend();
  if (config.calibrationShare > 0) {
    const heldOut = latestShareOfEachUser(plays, config.calibrationShare);
    const fitCells = foldPlays(plays, config.rule, (r) => heldOut[r] === 0);
    // Validation pairs: each user's held-out latest plays over items they did not play then.
    const heldOutSet = buildPairwiseSet(
      foldPlays(plays, config.rule, (r) => heldOut[r] === 1),
      config.pairwise,
    );
    const validation = sampleLossPairs(heldOutSet, curvePairs, seed + 2, fullSet);
    const fitFactors = yield job(buildPairwiseSet(fitCells, config.pairwise), "calibration", validation);
    blend = fitBlendOnHeldOut(plays, heldOut, fitCells, fitFactors, config.rule);
  }
  const factors = yield job(fullSet, "final");
  return { ...assembleModel(users, items, factors, cells, blend, config.rule), trainingCurve };
}

/** Pairs the training curve measures the loss on after every epoch (a few milliseconds an epoch). */
const curvePairs = 4000;

/** One factorization with the config's loss, on this thread. */
export function trainFactors(
  config: TrainConfig,
  set: PairwiseSet,
  options: Partial<BprOptions>,
): FactorModel {
  if (config.loss === "warp") {
    // WARP has its own defaults (smaller regularisation, Adagrad; see regularizationFor in config.ts);
    // the factors, epochs, seed, learning rate and regularisation given apply to both losses.
    const { factors, epochs, seed, learningRate, regularization, onEpoch } = options;
    const given = { factors, epochs, seed, learningRate, regularization, onEpoch };
    // Absent ones keep WARP's defaults (an explicit undefined would overwrite them).
    return trainWarp(
      set,
      Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<WarpOptions>,
    );
  }
  return trainBpr(set, options);
}

export function assembleModel(
  users: string[],
  items: string[],
  factors: FactorModel,
  cells: FoldedCells,
  blend: AffinityBlend,
  rule: LabelRule,
): AffinityModel {
  const rates = longRates(cells);
  return {
    users,
    items,
    factors,
    history: cells,
    popularity: itemPopularity(cells),
    itemLongRate: rates.item,
    userLongRate: rates.user,
    globalLongRate: rates.global,
    blend,
    rule,
  };
}

/**
 * Share of plays past the threshold per user and per item, each shrunk toward the global share by a
 * Beta prior worth 2 plays, so a user or item seen once is not called certain.
 */
export function longRates(
  cells: FoldedCells,
  globalRate?: number,
): { user: Float32Array; item: Float32Array; global: number } {
  const userLong = new Float64Array(cells.nUsers);
  const userPlays = new Float64Array(cells.nUsers);
  const itemLong = new Float64Array(cells.nItems);
  const itemPlays = new Float64Array(cells.nItems);
  let longTotal = 0;
  let playTotal = 0;
  for (let u = 0; u < cells.nUsers; u++) {
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) {
      const i = cells.items[c];
      userLong[u] += cells.longCount[c];
      userPlays[u] += cells.count[c];
      itemLong[i] += cells.longCount[c];
      itemPlays[i] += cells.count[c];
      longTotal += cells.longCount[c];
      playTotal += cells.count[c];
    }
  }
  const global = globalRate ?? (playTotal > 0 ? longTotal / playTotal : 0.5);
  const user = Float32Array.from(userLong, (l, u) => (l + 2 * global) / (userPlays[u] + 2));
  const item = Float32Array.from(itemLong, (l, i) => (l + 2 * global) / (itemPlays[i] + 2));
  return { user, item, global };
}

/** Marks (1) the latest `share` of each user's plays; rows are assumed ordered by time within a user. */
export function latestShareOfEachUser(plays: TimedPlayTable, share: number): Uint8Array {
  const n = plays.userIndex.length;
  const perUser = new Int32Array(plays.nUsers);
  for (let r = 0; r < n; r++) perUser[plays.userIndex[r]]++;
  const order = Array.from({ length: n }, (_, r) => r).sort(
    (a, b) => plays.endTimeMs[a] - plays.endTimeMs[b] || a - b,
  );
  const seen = new Int32Array(plays.nUsers);
  const marked = new Uint8Array(n);
  for (const r of order) {
    const u = plays.userIndex[r];
    const keep = Math.floor(perUser[u] * (1 - share));
    if (seen[u]++ >= keep) marked[r] = 1;
  }
  return marked;
}

function fitBlendOnHeldOut(
  plays: TimedPlayTable,
  heldOut: Uint8Array,
  cells: FoldedCells,
  factors: FactorModel,
  rule: LabelRule,
): AffinityBlend {
  const cellMf = new Float64Array(cells.items.length);
  const cellHistory = new Float64Array(cells.items.length);
  for (let u = 0; u < cells.nUsers; u++) {
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) {
      cellMf[c] = factorScore(factors, u, cells.items[c]);
      cellHistory[c] = cells.sum[c] / cells.count[c];
    }
  }
  const itemSeen = new Uint8Array(plays.nItems);
  for (let c = 0; c < cells.items.length; c++) itemSeen[cells.items[c]] = 1;
  const mf: number[] = [];
  const history: number[] = [];
  const count: number[] = [];
  const duration: number[] = [];
  const long: number[] = [];
  for (let r = 0; r < heldOut.length; r++) {
    if (!heldOut[r]) continue;
    const u = plays.userIndex[r];
    const i = plays.itemIndex[r];
    if (cells.rowPtr[u + 1] === cells.rowPtr[u] || !itemSeen[i]) continue;
    const c = findCell(cells, u, i);
    const n = c < 0 ? 0 : cells.count[c];
    mf.push(factorScore(factors, u, i));
    history.push(c < 0 ? 0 : cells.sum[c] / n);
    count.push(n);
    const w = plays.weight[r];
    duration.push(Number.isNaN(w) ? plays.playedMs[r] : w);
    long.push(
      (Number.isNaN(w) ? plays.playedMs[r] >= thresholdFor(rule, plays.itemLengthMs[r]) : w > 0) ? 1 : 0,
    );
  }
  return fitBlend({ mf: cellMf, history: cellHistory }, { mf, history, plays: count, duration, long });
}

/** Affinity of user index u (or -1 when unknown) for item index i (or -1 when unknown). */
export function scoreAffinity(model: AffinityModel, u: number, i: number): AffinityScore {
  // A prior's score is put on the blend's scale (the score whose calibrated probability is the prior), so
  // that candidates scored by the blend and by a prior rank against each other fairly.
  if (i < 0) {
    const p = model.globalLongRate;
    return {
      affinity: p,
      score: scoreOfProbability(model, p),
      history: 0,
      mf: null,
      plays: 0,
      source: "unknown-item",
    };
  }
  if (u < 0) {
    const p = model.itemLongRate[i];
    return {
      affinity: p,
      score: scoreOfProbability(model, p),
      history: 0,
      mf: null,
      plays: 0,
      source: "popularity",
    };
  }
  return scoreUserItem(model, userState(model, u), i);
}

/** Inverse of blendProbability; falls back to the logit when the calibration is flat. */
function scoreOfProbability(model: AffinityModel, p: number): number {
  const { plattIntercept, plattSlope } = model.blend;
  return Math.abs(plattSlope) > 1e-6 ? (logit(p) - plattIntercept) / plattSlope : logit(p);
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(q / (1 - q));
}
