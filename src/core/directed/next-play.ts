import { Random } from "../random.js";
import { type DirectedEmbeddings, type DirectedTrainOptions, trainDirectedEmbeddings } from "./blade.js";
import { countsFirstScorer, logPopularityScorer } from "./counts-first.js";
import { symmetrised } from "./experiment.js";
import { buildDirectedGraph, type DirectedGraph, type EdgeArrays } from "./graph.js";
import { rankOf } from "./metrics.js";
import type { PlayTransitions } from "./plays-next.js";
import { cosineScorer, type DirectedScorer, embeddingScorer } from "./scorers.js";
import { type BiasStart, defaultL2Values, searchOnValidation } from "./search.js";

/** The models the next-play evaluation compares, in table order. */
export const nextPlayModels = [
  "blade",
  "source-target-factors",
  "transition-counts",
  "symmetric-factors",
  "item-knn-cosine",
  "popularity",
  "counts-then-blade",
  "counts-then-popularity",
] as const;
export type NextPlayModelName = (typeof nextPlayModels)[number];

export interface NextPlayOptions {
  /** Each listener's latest share of transitions is the test (default 0.2). */
  testShare?: number;
  /** Of the rest, each listener's latest share chooses epochs and L2 (default 0.2); never the test. */
  validationShare?: number;
  seed?: number;
  l2Values?: readonly number[];
  /** Bias starts tried on validation (default both for models with biases; `train.biasInit` forces one). */
  biasStarts?: readonly BiasStart[];
  maxEpochs?: number;
  checkEvery?: number;
  /** A run stops after this many checks without a gain in validation MRR (default 2). */
  patience?: number;
  /** Test transitions ranked at most (a seeded sample), to bound the cost (default 3000). */
  maxTestQueries?: number;
  maxValidationQueries?: number;
  train?: Omit<DirectedTrainOptions, "epochs" | "seed" | "onEpoch" | "layers" | "tied" | "l2">;
  models?: readonly NextPlayModelName[];
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface NextPlayMetrics {
  /** Test transitions ranked. */
  queries: number;
  hitRate10: number;
  hitRate50: number;
  mrr: number;
}

export interface NextPlayModelResult {
  model: NextPlayModelName;
  epochs: number | null;
  l2: number | null;
  /** Bias start chosen on validation (embedding models and the BLADE prior). */
  biasInit: BiasStart | null;
  /** Prior strength of a counts-first model, chosen on validation. */
  alpha: number | null;
  trainSeconds: number;
  overall: NextPlayMetrics;
  /** Transitions A -> B already made in the training period (a repeat of a known sequence). */
  seen: NextPlayMetrics;
  /** Transitions never made in training (B may still be a known item). */
  unseen: NextPlayMetrics;
}

export interface NextPlayReport {
  items: number;
  trainTransitions: number;
  trainEdges: number;
  testTransitions: number;
  /** Share of ranked test transitions whose target has no training edge: no model can rank it (a miss). */
  coldTargetShare: number;
  seed: number;
  results: NextPlayModelResult[];
}

/** Transitions to rank: the query is sources[k], the answer targets[k]. */
export interface NextPlayQueries {
  sources: Int32Array;
  targets: Int32Array;
}

/**
 * Does a model predict the next played item? Each listener's transitions (playsNextTransitions) are cut by time:
 * the latest `testShare` are the test, the latest `validationShare` of the rest choose epochs and L2, and every
 * model learns from the earlier ones only. A test transition A -> B ranks B among all items with a training
 * edge (A itself left out; repeats are not excluded, since playing a known follow-up again is the common case).
 * Targets with no training edge count as misses for every model. Results are split into transitions seen in
 * training and new ones, because a transition table can only ever answer the first kind.
 */
export function runNextPlayExperiment(
  itemCount: number,
  transitions: PlayTransitions,
  options: NextPlayOptions = {},
): NextPlayReport {
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const { early: trainIdx, late: testIdx } = splitByTime(transitions, options.testShare ?? 0.2);
  const { early: fitIdx, late: validationIdx } = splitByTime(
    transitions,
    options.validationShare ?? 0.2,
    trainIdx,
  );
  const train = buildDirectedGraph(itemCount, pick(transitions, trainIdx));
  const fit = buildDirectedGraph(itemCount, pick(transitions, fitIdx));
  const test = sampleQueries(transitions, testIdx, options.maxTestQueries ?? 3000, random);
  const validation = sampleQueries(transitions, validationIdx, options.maxValidationQueries ?? 1000, random);
  const models = options.models ?? nextPlayModels;
  const progress = options.onProgress ?? (() => {});
  const results: NextPlayModelResult[] = [];
  const candidates = withEdges(train);
  let cold = 0;
  for (const v of test.targets) if (!candidates[v]) cold++;
  // Each embedding model is fitted once (epochs chosen on validation, then retrained on all training
  // transitions); a counts-first model reuses its prior's fits: the one at the chosen epoch on the fit side
  // chooses alpha, the final one serves the test.
  const fitted = new Map<string, EmbeddingFit>();
  const fitOf = (name: "blade" | "source-target-factors" | "symmetric-factors"): EmbeddingFit => {
    let f = fitted.get(name);
    if (!f) {
      f = fitEmbeddingModel(embeddingSetup(name)!, fit, train, validation, seed, options);
      fitted.set(name, f);
    }
    return f;
  };
  for (const [i, model] of models.entries()) {
    progress(`next play: ${model}`, i, models.length);
    const started = performance.now();
    let chosen: { epochs: number; l2: number; biasInit: BiasStart } | null = null;
    let alpha: number | null = null;
    let scorer: DirectedScorer;
    if (model === "blade" || model === "source-target-factors" || model === "symmetric-factors") {
      const f = fitOf(model);
      chosen = f;
      scorer = embeddingScorer(f.final);
    } else if (model === "counts-then-blade" || model === "counts-then-popularity") {
      let priorFit: DirectedScorer;
      let priorTrain: DirectedScorer;
      if (model === "counts-then-blade") {
        const f = fitOf("blade");
        chosen = f;
        priorFit = embeddingScorer(f.fitBest);
        priorTrain = embeddingScorer(f.final);
      } else {
        priorFit = logPopularityScorer(fit);
        priorTrain = logPopularityScorer(train);
      }
      alpha = chooseSmoothing(fit, priorFit, validation).alpha;
      scorer = countsFirstScorer(train, priorTrain, { alpha });
    } else scorer = baselineScorer(model, train);
    const trainSeconds = (performance.now() - started) / 1000;
    results.push({
      model,
      epochs: chosen?.epochs ?? null,
      l2: chosen?.l2 ?? null,
      biasInit: chosen?.biasInit ?? null,
      alpha,
      trainSeconds,
      ...evaluateNextPlay(scorer, train, test),
    });
  }
  progress("next play", models.length, models.length);
  return {
    items: itemCount,
    trainTransitions: trainIdx.length,
    trainEdges: train.edgeCount,
    testTransitions: testIdx.length,
    coldTargetShare: test.targets.length > 0 ? cold / test.targets.length : Number.NaN,
    seed,
    results,
  };
}

/**
 * Ranks each query's answer among the nodes with a training edge (the query itself left out), ties counting
 * half; an answer outside them is a miss (reciprocal rank 0). Overall, and split by whether the transition is
 * a training edge.
 */
export function evaluateNextPlay(
  scorer: DirectedScorer,
  train: DirectedGraph,
  queries: NextPlayQueries,
): { overall: NextPlayMetrics; seen: NextPlayMetrics; unseen: NextPlayMetrics } {
  const n = train.nodeCount;
  const excluded = Uint8Array.from(withEdges(train), (has) => (has ? 0 : 1));
  const scores = new Float64Array(n);
  const acc = { overall: new Accumulator(), seen: new Accumulator(), unseen: new Accumulator() };
  const order = Array.from({ length: queries.sources.length }, (_, k) => k).sort(
    (a, b) => queries.sources[a] - queries.sources[b] || a - b,
  );
  let current = -1;
  let wasExcluded = 0;
  for (const k of order) {
    const u = queries.sources[k];
    const v = queries.targets[k];
    if (u !== current) {
      if (current >= 0) excluded[current] = wasExcluded;
      current = u;
      wasExcluded = excluded[u];
      excluded[u] = 1;
      scorer.scoreAll(u, scores);
    }
    const rank = excluded[v] ? Number.POSITIVE_INFINITY : rankOf(scores, v, excluded);
    acc.overall.add(rank);
    (isEdge(train, u, v) ? acc.seen : acc.unseen).add(rank);
  }
  return { overall: acc.overall.result(), seen: acc.seen.result(), unseen: acc.unseen.result() };
}

/** First-order transition counts: how often v followed u in training, ties broken by v's popularity. */
export function transitionCountScorer(g: DirectedGraph): DirectedScorer {
  const popularity = inWeights(g);
  let max = 0;
  for (const p of popularity) max = Math.max(max, p);
  const tieBreak = max > 0 ? 1e-3 / max : 0; // < the smallest count step (weights are shares up to 1)
  const score = (u: number, v: number) => edgeWeight(g, u, v) + tieBreak * popularity[v];
  return {
    scoreAll(u, out) {
      for (let v = 0; v < g.nodeCount; v++) out[v] = tieBreak * popularity[v];
      for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) out[g.outTargets[k]] += g.outWeights[k];
    },
    score,
  };
}

/** How often each item was played as a follow-up in training (summed weights), whatever came before. */
export function popularityScorer(g: DirectedGraph): DirectedScorer {
  const popularity = inWeights(g);
  return {
    scoreAll(_u, out) {
      out.set(popularity);
    },
    score: (_u, v) => popularity[v],
  };
}

function baselineScorer(model: NextPlayModelName, train: DirectedGraph): DirectedScorer {
  if (model === "transition-counts") return transitionCountScorer(train);
  if (model === "popularity") return popularityScorer(train);
  return cosineScorer(train);
}

function embeddingSetup(model: NextPlayModelName): Partial<DirectedTrainOptions> | null {
  switch (model) {
    case "blade":
      return { layers: 2, sampling: { mode: "biased" } };
    case "source-target-factors":
      return { layers: 0 };
    case "symmetric-factors":
      return { layers: 0, tied: true };
    default:
      return null;
  }
}

/** Prior strengths tried for counts-first models, in transitions' worth of weight. */
export const smoothingValues = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100] as const;

/**
 * The prior strength alpha of a counts-first model with the best validation MRR: counts of the fit graph,
 * the prior trained on the fit side only, validation transitions later than every fit one. Ties go to the
 * smaller alpha (the counts).
 */
export function chooseSmoothing(
  fit: DirectedGraph,
  prior: DirectedScorer,
  validation: NextPlayQueries,
  values: readonly number[] = smoothingValues,
): { alpha: number; mrr: number } {
  let best = { alpha: values[0], mrr: Number.NEGATIVE_INFINITY };
  for (const alpha of values) {
    const mrr = evaluateNextPlay(countsFirstScorer(fit, prior, { alpha }), fit, validation).overall.mrr;
    if (mrr > best.mrr) best = { alpha, mrr };
  }
  // No validation transition to rank (a tiny store): a prior worth one transition, and no figure.
  return Number.isFinite(best.mrr) ? best : { alpha: 1, mrr: Number.NaN };
}

interface EmbeddingFit {
  epochs: number;
  l2: number;
  biasInit: BiasStart;
  criterion: number;
  /** Trained on the fit side, at the chosen epoch and L2 (what a counts-first model chooses alpha with). */
  fitBest: DirectedEmbeddings;
  /** Retrained on every training transition at the chosen settings (what is tested or served). */
  final: DirectedEmbeddings;
}

function fitEmbeddingModel(
  setup: Partial<DirectedTrainOptions>,
  fit: DirectedGraph,
  train: DirectedGraph,
  validation: NextPlayQueries,
  seed: number,
  options: NextPlayOptions,
): EmbeddingFit {
  const graphOf = (g: DirectedGraph) => (setup.tied ? symmetrised(g) : g);
  const base = { ...options.train, ...setup, seed };
  // Validation is next-play ranking only (no direction pairs), so the criterion is its MRR.
  const search = searchOnValidation(
    graphOf(fit),
    base,
    {
      l2Values: options.l2Values ?? defaultL2Values,
      biasStarts: options.biasStarts,
      maxEpochs: options.maxEpochs ?? 100,
      checkEvery: options.checkEvery ?? 10,
      patience: options.patience ?? 2,
    },
    (e) => ({
      mrr: evaluateNextPlay(embeddingScorer(e), fit, validation).overall.mrr,
      directionAuc: Number.NaN,
    }),
    { keepEmbeddings: true },
  );
  const { epochs, l2, biasInit, criterion } = search.chosen;
  const final = trainDirectedEmbeddings(graphOf(train), { ...base, epochs, l2, biasInit });
  return { epochs, l2, biasInit, criterion, fitBest: search.embeddings!, final };
}

/** A trained counts-first model: the counts of every transition and its prior, alpha chosen on validation. */
export interface CountsFirstTraining {
  graph: DirectedGraph;
  /** The BLADE prior (null for the popularity prior). */
  embeddings: DirectedEmbeddings | null;
  scorer: DirectedScorer;
  alpha: number;
  epochs: number | null;
  l2: number | null;
  /** The prior's bias start, chosen on validation (null for the popularity prior). */
  biasInit: BiasStart | null;
  /** Validation MRR at the chosen alpha. */
  validationMrr: number;
}

/**
 * A counts-first "what follows" model from time-ordered transitions (what serving and the benches train):
 * each listener's latest `validationShare` of the transitions is the validation; the prior's epochs (and L2)
 * are chosen on it, then alpha with the fit-side counts and prior; both are then refitted on every transition.
 */
export function trainCountsFirstModel(
  itemCount: number,
  transitions: PlayTransitions,
  options: Omit<NextPlayOptions, "testShare" | "maxTestQueries" | "models"> & {
    prior?: "blade" | "popularity";
  } = {},
): CountsFirstTraining {
  const seed = options.seed ?? 1;
  const all = Int32Array.from({ length: transitions.sources.length }, (_, k) => k);
  const { early, late } = splitByTime(transitions, options.validationShare ?? 0.2, all);
  const fit = buildDirectedGraph(itemCount, pick(transitions, early));
  const graph = buildDirectedGraph(itemCount, pick(transitions, all));
  const validation = sampleQueries(transitions, late, options.maxValidationQueries ?? 1000, new Random(seed));
  options.onProgress?.("choosing on validation", 0, 1);
  if (options.prior === "popularity") {
    const smoothing = chooseSmoothing(fit, logPopularityScorer(fit), validation);
    return {
      graph,
      embeddings: null,
      scorer: countsFirstScorer(graph, logPopularityScorer(graph), { alpha: smoothing.alpha }),
      alpha: smoothing.alpha,
      epochs: null,
      l2: null,
      biasInit: null,
      validationMrr: smoothing.mrr,
    };
  }
  const f = fitEmbeddingModel(embeddingSetup("blade")!, fit, graph, validation, seed, options);
  const smoothing = chooseSmoothing(fit, embeddingScorer(f.fitBest), validation);
  return {
    graph,
    embeddings: f.final,
    scorer: countsFirstScorer(graph, embeddingScorer(f.final), { alpha: smoothing.alpha }),
    alpha: smoothing.alpha,
    epochs: f.epochs,
    l2: f.l2,
    biasInit: f.biasInit,
    validationMrr: smoothing.mrr,
  };
}

/**
 * Per listener (transitions come grouped by listener, in time order within one, as playsNextTransitions
 * gives them), the latest `share` of `among` (default: all transitions) is `late`, the rest `early`.
 */
export function splitByTime(
  t: PlayTransitions,
  share: number,
  among?: Int32Array,
): { early: Int32Array; late: Int32Array } {
  const idx = among ?? Int32Array.from({ length: t.sources.length }, (_, k) => k);
  const order = Array.from(idx).sort(
    (a, b) => t.userIndex[a] - t.userIndex[b] || t.endTimeMs[a] - t.endTimeMs[b] || a - b,
  );
  const early: number[] = [];
  const late: number[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end < order.length && t.userIndex[order[end]] === t.userIndex[order[start]]) end++;
    const cut = end - Math.round(share * (end - start));
    for (let k = start; k < end; k++) (k < cut ? early : late).push(order[k]);
    start = end;
  }
  return { early: Int32Array.from(early), late: Int32Array.from(late) };
}

function pick(t: PlayTransitions, idx: Int32Array): EdgeArrays {
  return {
    sources: Int32Array.from(idx, (k) => t.sources[k]),
    targets: Int32Array.from(idx, (k) => t.targets[k]),
    weights: Float32Array.from(idx, (k) => t.weights[k]),
  };
}

function sampleQueries(t: PlayTransitions, idx: Int32Array, max: number, random: Random): NextPlayQueries {
  const chosen = Int32Array.from(idx);
  if (chosen.length > max) {
    for (let i = 0; i < max; i++) {
      const j = i + random.int(chosen.length - i);
      const tmp = chosen[i];
      chosen[i] = chosen[j];
      chosen[j] = tmp;
    }
  }
  const kept = chosen.subarray(0, Math.min(max, chosen.length));
  return {
    sources: Int32Array.from(kept, (k) => t.sources[k]),
    targets: Int32Array.from(kept, (k) => t.targets[k]),
  };
}

function withEdges(g: DirectedGraph): Uint8Array {
  const has = new Uint8Array(g.nodeCount);
  for (let u = 0; u < g.nodeCount; u++) {
    if (g.outOffsets[u + 1] > g.outOffsets[u] || g.inOffsets[u + 1] > g.inOffsets[u]) has[u] = 1;
  }
  return has;
}

function inWeights(g: DirectedGraph): Float64Array {
  const out = new Float64Array(g.nodeCount);
  for (let v = 0; v < g.nodeCount; v++) {
    for (let k = g.inOffsets[v]; k < g.inOffsets[v + 1]; k++) out[v] += g.inWeights[k];
  }
  return out;
}

function edgeWeight(g: DirectedGraph, u: number, v: number): number {
  let lo = g.outOffsets[u];
  let hi = g.outOffsets[u + 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (g.outTargets[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo < g.outOffsets[u + 1] && g.outTargets[lo] === v ? g.outWeights[lo] : 0;
}

function isEdge(g: DirectedGraph, u: number, v: number): boolean {
  return edgeWeight(g, u, v) > 0;
}

class Accumulator {
  private queries = 0;
  private hits10 = 0;
  private hits50 = 0;
  private reciprocal = 0;

  add(rank: number): void {
    this.queries++;
    if (rank <= 10) this.hits10++;
    if (rank <= 50) this.hits50++;
    this.reciprocal += 1 / rank;
  }

  result(): NextPlayMetrics {
    const per = (x: number) => (this.queries > 0 ? x / this.queries : Number.NaN);
    return {
      queries: this.queries,
      hitRate10: per(this.hits10),
      hitRate50: per(this.hits50),
      mrr: per(this.reciprocal),
    };
  }
}
