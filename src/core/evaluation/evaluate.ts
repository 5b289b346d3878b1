import {
  type AffinityModel,
  defaultTrainConfig,
  scoreAffinity,
  type TimedPlayTable,
  type TrainConfig,
  trainAffinityModel,
} from "../affinity/affinity-model.js";
import { findCell, foldPlays, historyMean } from "../affinity/cells.js";
import { type FactorModel, factorScore, scoreAllItems, userVector } from "../affinity/factor-model.js";
import { buildPairwiseSet } from "../affinity/pairwise-set.js";
import { thresholdFor } from "../affinity/weighting.js";
import { defaultWrmfOptions, trainWrmf, type WrmfOptions } from "../affinity/wrmf.js";
import {
  aucMannWhitney,
  averagePrecisionAtK,
  kendallTauB,
  ndcgAtK,
  pearson,
  recallAtK,
  spearman,
  topK,
} from "../metrics/index.js";
import { Random } from "../random.js";
import {
  defaultTopNConfig,
  describeChoice,
  positiveRows,
  type RecommenderChoice,
  scoreTopN,
  type TopNConfig,
  type TopNModel,
  type TopNSelection,
  trainRecommender,
  trainTopN,
} from "../recommend/index.js";
import { type Split, subsetPlays } from "./split.js";

/** Correlation and ranking metrics of one scorer over the held-out plays (keys as `tastebud eval --json`). */
/** A metric is null where it is undefined (no plays scored, or no skips to tell from long plays). */
export interface MetricSet {
  spearman: number | null;
  spearmanPerUser: number | null;
  pearson: number | null;
  kendall: number | null;
  auc: number | null;
  "ndcg@10": number | null;
  "recall@10": number | null;
  "map@10": number | null;
  coverage: number | null;
  scored: number;
}

export interface ModelMetrics extends MetricSet {
  /** Held-out plays of items the user had played in training. */
  replay: MetricSet;
  /** Held-out plays of items new to the user. */
  new: MetricSet;
}

/** The top-N model `recommend` serves, chosen on the training side's latest plays (see selectRecommender). */
export interface RecommenderReport extends ModelMetrics {
  /** The chosen setting in words, e.g. "ease (λ 200) + 0.05 popularity". */
  name: string;
  choice: RecommenderChoice;
  validation: TopNSelection["validation"];
}

export interface EvaluationReport {
  model: ModelMetrics;
  /** Null when the top-N model was not trained (EvaluationConfig.topN false). */
  recommender: RecommenderReport | null;
  baselines: {
    popularity: ModelMetrics;
    history: ModelMetrics;
    mf: ModelMetrics;
    wrmf: ModelMetrics;
    /** EASE with the λ that scored best on validation; null when not trained (or above its item limit). */
    ease: (ModelMetrics & { lambda: number }) | null;
    /** Item-kNN with the neighbourhood that scored best on validation (neighbours null = all). */
    itemKnn: (ModelMetrics & { neighbours: number | null }) | null;
    /** WARP with the top-N settings, when asked for (EvaluationConfig.withWarp). */
    warp?: ModelMetrics | null;
  };
  split: Split["description"];
  counts: {
    trainPlays: number;
    heldOutPlays: number;
    scoredPlays: number;
    skipShare: number;
    users: number;
    scoredUsers: number;
    rankedUsers: number;
    items: number;
  };
}

export interface EvaluationConfig {
  train: TrainConfig;
  wrmf: Partial<WrmfOptions>;
  /** Which baselines to fit (WRMF costs the most). */
  withWrmf: boolean;
  /** The top-N model's selection settings, or false to skip it and its EASE / item-kNN baselines. */
  topN: Partial<TopNConfig> | false;
  /** Also report WARP alone (trained once more on the whole training side). */
  withWarp?: boolean;
  k: number;
  /** Receives the model trained on the training side (e.g. to compare it with a simulator's truth). */
  onTrained?: (model: AffinityModel) => void;
}

export const defaultEvaluationConfig: EvaluationConfig = {
  train: defaultTrainConfig,
  wrmf: defaultWrmfOptions,
  withWrmf: true,
  topN: {},
  k: 10,
};

export type EvaluationProgress = (phase: string, done: number, total: number) => void;

/** A way to score pairs: one pair at a time (for held-out plays) and a whole row (for top-N). */
interface Scorer {
  pair(u: number, i: number): number;
  row(u: number, out: Float32Array): Float32Array;
  /** Many pairs at once, for scorers that score a whole row at a time (default: pair by pair). */
  pairs?(users: Int32Array, items: Int32Array): Float64Array;
}

/**
 * Trains tastebud's model and the baselines on the training side of a split and scores the held-out side,
 * following reference-figures.md: a held-out play is scored when its user and its item both appear in
 * training; top-N metrics rank, for each user, all training items the user has not played in training,
 * against the user's held-out items with a long play that are new to the user.
 */
export function evaluateSplit(
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  split: Split,
  config: EvaluationConfig = defaultEvaluationConfig,
  onProgress?: EvaluationProgress,
): EvaluationReport {
  const train = subsetPlays(plays, split.isTrain, 1);
  const test = subsetPlays(plays, split.isTrain, 0);
  const model = trainAffinityModel(train, users, items, config.train, (phase, done, total) =>
    onProgress?.(`train ${phase}`, done, total),
  );
  config.onTrained?.(model);
  const scorers: Record<string, Scorer> = {
    model: blendScorer(model),
    popularity: popularityScorer(model),
    history: historyScorer(model),
    mf: factorScorer(model.factors),
  };
  if (config.withWrmf) {
    const wrmfCells = foldPlays(train, config.train.rule);
    const wrmf = trainWrmf(buildPairwiseSet(wrmfCells, config.train.pairwise), {
      ...config.wrmf,
      onIteration: (done, total) => onProgress?.("train wrmf", done, total),
    });
    scorers.wrmf = factorScorer(wrmf);
  }
  let recommender: Omit<RecommenderReport, keyof ModelMetrics> | null = null;
  const tuned: { ease?: number; itemKnn?: number | null } = {};
  if (config.topN !== false) {
    // The validation cut mirrors the split: a random split is chosen on a random share of the training
    // pairs, a split by time on each user's latest training plays (TopNConfig.validationCut).
    const topNConfig = {
      validationCut:
        split.description.kind === "random-pairs" ? ("random-pairs" as const) : ("latest" as const),
      ...config.topN,
      rule: config.train.rule,
      pairwise: config.train.pairwise,
    };
    const { model: topN, selection } = trainTopN(train, topNConfig, onProgress);
    recommender = {
      name: describeChoice(selection.choice),
      choice: selection.choice,
      validation: selection.validation,
    };
    scorers.recommender = topNScorer(topN, model);
    // The baselines alone (no popularity blend), each with the setting that did best on validation.
    const bestAlone = (name: string) =>
      selection.validation.candidates
        .filter((c) => c.recommender === name && c.popularityWeight === 0)
        .sort((a, b) => b["ndcg@10"] - a["ndcg@10"])[0];
    const alone = (choice: RecommenderChoice): TopNModel => {
      const same =
        choice.recommender === selection.choice.recommender &&
        choice.param === selection.choice.param &&
        selection.choice.popularityWeight === 0;
      return same ? topN : trainRecommender(train, choice, topNConfig);
    };
    const ease = bestAlone("ease");
    if (ease) {
      onProgress?.("train ease", 0, 1);
      scorers.ease = topNScorer(alone(ease), model);
      tuned.ease = ease.param ?? 0;
    }
    const knn = bestAlone("item-knn");
    if (knn) {
      onProgress?.("train item-knn", 0, 1);
      scorers.itemKnn = topNScorer(alone(knn), model);
      tuned.itemKnn = knn.param;
    }
    if (config.withWarp) {
      onProgress?.("train warp", 0, 1);
      const warp = { ...defaultTopNConfig.warp, ...config.topN.warp };
      scorers.warp = topNScorer(
        alone({ recommender: "warp", param: warp.epochs, popularityWeight: 0 }),
        model,
      );
    }
  }
  const results: Record<string, ModelMetrics> = {};
  const held = heldOutView(model, test);
  const names = Object.keys(scorers);
  names.forEach((name, n) => {
    onProgress?.("score", n, names.length);
    results[name] = metricsFor(scorers[name], model, held, config.k);
  });
  onProgress?.("score", names.length, names.length);
  const empty = results.model;
  return {
    model: results.model,
    recommender: recommender && { ...recommender, ...results.recommender },
    baselines: {
      popularity: results.popularity,
      history: results.history,
      mf: results.mf,
      wrmf: results.wrmf ?? nullMetrics(empty),
      ease: results.ease ? { ...results.ease, lambda: tuned.ease ?? 0 } : null,
      itemKnn: results.itemKnn ? { ...results.itemKnn, neighbours: tuned.itemKnn ?? null } : null,
      ...(config.withWarp ? { warp: results.warp ?? null } : {}),
    },
    split: split.description,
    counts: {
      trainPlays: train.userIndex.length,
      heldOutPlays: test.userIndex.length,
      scoredPlays: held.rows.length,
      skipShare: held.rows.length ? 1 - held.long.reduce((a, b) => a + b, 0) / held.rows.length : 0,
      users: users.length,
      scoredUsers: new Set(held.rows.map((r) => test.userIndex[r])).size,
      rankedUsers: held.relevant.size,
      items: items.length,
    },
  };
}

function nullMetrics(shape: ModelMetrics): ModelMetrics {
  const blank = (m: MetricSet): MetricSet =>
    Object.fromEntries(Object.keys(m).map((k) => [k, null])) as unknown as MetricSet;
  return { ...blank(shape), replay: blank(shape.replay), new: blank(shape.new) };
}

interface HeldOutView {
  /** Rows of the held-out table that are scored. */
  rows: number[];
  users: Int32Array;
  items: Int32Array;
  /** What the scores are correlated with: ms played, or the explicit weight for sources without durations. */
  target: Float64Array;
  long: number[];
  replay: Uint8Array;
  /** Per user: held-out items with a long play, new to the user, in the training catalogue. */
  relevant: Map<number, Set<number>>;
  trainItem: Uint8Array;
}

function heldOutView(model: AffinityModel, test: TimedPlayTable): HeldOutView {
  const cells = model.history;
  const trainItem = new Uint8Array(cells.nItems);
  for (let c = 0; c < cells.items.length; c++) trainItem[cells.items[c]] = 1;
  const rows: number[] = [];
  const relevant = new Map<number, Set<number>>();
  for (let r = 0; r < test.userIndex.length; r++) {
    const u = test.userIndex[r];
    const i = test.itemIndex[r];
    const userKnown = cells.rowPtr[u + 1] > cells.rowPtr[u];
    if (!userKnown || !trainItem[i]) continue;
    rows.push(r);
    const w = test.weight[r];
    const long = Number.isNaN(w) ? test.playedMs[r] >= thresholdFor(model.rule, test.itemLengthMs[r]) : w > 0;
    if (long && findCell(cells, u, i) < 0) {
      const set = relevant.get(u) ?? new Set<number>();
      set.add(i);
      relevant.set(u, set);
    }
  }
  const users = Int32Array.from(rows, (r) => test.userIndex[r]);
  const items = Int32Array.from(rows, (r) => test.itemIndex[r]);
  const target = Float64Array.from(rows, (r) =>
    Number.isNaN(test.weight[r]) ? test.playedMs[r] : test.weight[r],
  );
  const long = rows.map((r) => {
    const w = test.weight[r];
    return (Number.isNaN(w) ? test.playedMs[r] >= thresholdFor(model.rule, test.itemLengthMs[r]) : w > 0)
      ? 1
      : 0;
  });
  const replay = Uint8Array.from(rows, (_, k) => (findCell(cells, users[k], items[k]) >= 0 ? 1 : 0));
  return { rows, users, items, target, long, replay, relevant, trainItem };
}

function metricsFor(scorer: Scorer, model: AffinityModel, held: HeldOutView, k: number): ModelMetrics {
  const scores = scorer.pairs
    ? scorer.pairs(held.users, held.items)
    : Float64Array.from(held.rows, (_, n) => scorer.pair(held.users[n], held.items[n]));
  const all = correlationMetrics(scores, held, () => true);
  const ranking = rankingMetrics(scorer, model, held, k);
  return {
    ...all,
    ...ranking,
    replay: { ...correlationMetrics(scores, held, (n) => held.replay[n] === 1), ...nullRanking() },
    new: { ...correlationMetrics(scores, held, (n) => held.replay[n] === 0), ...ranking },
  };
}

function nullRanking() {
  return { "ndcg@10": null, "recall@10": null, "map@10": null, coverage: null };
}

function correlationMetrics(
  allScores: Float64Array,
  held: HeldOutView,
  keep: (n: number) => boolean,
): Omit<MetricSet, "ndcg@10" | "recall@10" | "map@10" | "coverage"> {
  const idx: number[] = [];
  for (let n = 0; n < allScores.length; n++) if (keep(n)) idx.push(n);
  const s = Float64Array.from(idx, (n) => allScores[n]);
  const t = Float64Array.from(idx, (n) => held.target[n]);
  const l = Uint8Array.from(idx, (n) => held.long[n]);
  const byUser = new Map<number, number[]>();
  for (const n of idx) {
    const u = held.users[n];
    const list = byUser.get(u) ?? [];
    list.push(n);
    byUser.set(u, list);
  }
  let perUser = 0;
  for (const list of byUser.values()) {
    perUser += spearman(
      Float64Array.from(list, (n) => allScores[n]),
      Float64Array.from(list, (n) => held.target[n]),
    );
  }
  const round = (v: number) => (Number.isFinite(v) && idx.length > 1 ? Math.round(v * 1e4) / 1e4 : null);
  return {
    spearman: round(spearman(s, t)),
    spearmanPerUser: round(byUser.size ? perUser / byUser.size : 0),
    pearson: round(pearson(s, t)),
    kendall: round(kendallTauB(s, t)),
    auc: round(aucMannWhitney(s, l)),
    scored: idx.length,
  };
}

function rankingMetrics(scorer: Scorer, model: AffinityModel, held: HeldOutView, k: number) {
  const cells = model.history;
  const nItems = cells.nItems;
  const rng = new Random(12345);
  const tieBreak = new Float32Array(nItems);
  const row = new Float32Array(nItems);
  const recommended = new Uint8Array(nItems);
  let ndcg = 0;
  let recall = 0;
  let map = 0;
  let ranked = 0;
  let rankedUsersForCoverage = 0;
  const own = new Uint8Array(nItems);
  for (let u = 0; u < cells.nUsers; u++) {
    if (cells.rowPtr[u + 1] === cells.rowPtr[u]) continue;
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) own[cells.items[c]] = 1;
    for (let i = 0; i < nItems; i++) tieBreak[i] = rng.next();
    scorer.row(u, row);
    const top = topK(row, k, (i) => own[i] === 1 || held.trainItem[i] === 0, tieBreak);
    for (const i of top) recommended[i] = 1;
    rankedUsersForCoverage++;
    const relevant = held.relevant.get(u);
    if (relevant && relevant.size > 0) {
      ndcg += ndcgAtK(top, relevant, k);
      recall += recallAtK(top, relevant, k);
      map += averagePrecisionAtK(top, relevant, k);
      ranked++;
    }
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) own[cells.items[c]] = 0;
  }
  let catalogue = 0;
  let covered = 0;
  for (let i = 0; i < nItems; i++) {
    if (!held.trainItem[i]) continue;
    catalogue++;
    covered += recommended[i];
  }
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    "ndcg@10": ranked ? round(ndcg / ranked) : null,
    "recall@10": ranked ? round(recall / ranked) : null,
    "map@10": ranked ? round(map / ranked) : null,
    coverage: rankedUsersForCoverage && catalogue ? round(covered / catalogue) : null,
  };
}

function factorScorer(m: FactorModel): Scorer {
  return {
    pair: (u, i) => factorScore(m, u, i),
    row: (u, out) => scoreAllItems(m, userVector(m, u), out),
  };
}

/** A top-N model scored as `recommend` serves it: from the user's liked training items. */
function topNScorer(topN: TopNModel, model: AffinityModel): Scorer {
  const rows = positiveRows(model.history, topN.skips);
  const row = (u: number, out: Float32Array) =>
    scoreTopN(topN, u, rows.items.subarray(rows.rowPtr[u], rows.rowPtr[u + 1]), out).scores;
  return {
    pair: (u, i) => row(u, new Float32Array(topN.nItems))[i],
    row,
    pairs: (users, items) => {
      // One row per user: group the pairs by user so each row is scored once.
      const order = Array.from(users, (_, n) => n).sort((a, b) => users[a] - users[b]);
      const out = new Float64Array(users.length);
      const scratch = new Float32Array(topN.nItems);
      let current = -1;
      for (const n of order) {
        if (users[n] !== current) {
          current = users[n];
          row(current, scratch);
        }
        out[n] = scratch[items[n]];
      }
      return out;
    },
  };
}

function blendScorer(model: AffinityModel): Scorer {
  return {
    // The uncalibrated score: same order as the probability, but no ties from saturation near 0 or 1.
    pair: (u, i) => scoreAffinity(model, u, i).score,
    row: (u, out) => {
      for (let i = 0; i < model.items.length; i++) out[i] = scoreAffinity(model, u, i).score;
      return out;
    },
  };
}

function popularityScorer(model: AffinityModel): Scorer {
  return {
    pair: (_u, i) => model.popularity[i],
    row: (_u, out) => {
      for (let i = 0; i < out.length; i++) out[i] = model.popularity[i];
      return out;
    },
  };
}

function historyScorer(model: AffinityModel): Scorer {
  const cells = model.history;
  return {
    pair: (u, i) => historyMean(cells, u, i),
    row: (u, out) => {
      out.fill(0);
      for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++)
        out[cells.items[c]] = cells.sum[c] / cells.count[c];
      return out;
    },
  };
}
