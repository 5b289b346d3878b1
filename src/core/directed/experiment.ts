import { Random } from "../random.js";
import { type DirectedEmbeddings, type DirectedTrainOptions, trainDirectedEmbeddings } from "./blade.js";
import { buildDirectedGraph, type DirectedGraph, type EdgeArrays, edgesOf, hasEdge } from "./graph.js";
import { type DirectedReport, evaluateDirected, type HeldOutEdges } from "./metrics.js";
import {
  blendedScorer,
  cosineScorer,
  type DirectedScorer,
  degreeScorer,
  directedNeighbourhoodScorer,
  embeddingScorer,
  type NeighbourhoodWeights,
} from "./scorers.js";
import {
  type BiasStart,
  criterionOf,
  defaultL2Values,
  type SearchResult,
  searchOnValidation,
  type TriedSettings,
  type ValidationScore,
} from "./search.js";

/** The models the directed evaluation compares, in table order. */
export const directedModels = [
  "blade",
  "blade-uniform-sampling",
  "source-target-factors",
  "degree-only",
  "item-knn-cosine",
  "symmetric-factors",
  "blade-plus-knn",
  "directed-knn",
  "directed-knn-undirected",
] as const;
export type DirectedModelName = (typeof directedModels)[number];

export interface DirectedExperimentOptions {
  /** Share of edges held out for the test (default 0.1). */
  testShare?: number;
  /** Share of the training edges held out to choose the epoch count (default 0.1). */
  validationShare?: number;
  seed?: number;
  /** L2 penalties tried (chosen on validation with the epochs; default [1e-6, 1e-4]). */
  l2Values?: readonly number[];
  /**
   * Bias starts tried on validation (default both, "zero" and "log-degree", for models with biases);
   * `train.biasInit` forces one.
   */
  biasStarts?: readonly BiasStart[];
  /** Longest training tried; the epoch count is chosen on validation among multiples of `checkEvery`. */
  maxEpochs?: number;
  checkEvery?: number;
  /** A run stops after this many checks in a row with neither validation MRR nor MRR + AUC gaining (default 3). */
  patience?: number;
  /**
   * The session of each entry of the edge list (a plays-next graph's transitions, `sessionIndex`): when
   * given, the test and then the validation hold out whole sessions (the shares count sessions), and the
   * held-out edges are the pairs those sessions played that the kept sessions never did. Holding out single
   * edges of a graph built from chains biases direction: the held-out A -> B loses its own count while the
   * same session's X -> A and B -> Y stay, so A looks like a target and B like a source, and every directed
   * score leans towards B -> A (on the shared Spotify plays the in-degree score's direction AUC is 0.41 with
   * edges held out, 0.44 with each session's order shuffled, 0.50 with sessions held out).
   */
  sessionOf?: Int32Array;
  /** Held-out edges ranked at most (sampled, seeded), to bound the cost on large graphs. */
  maxTestEdges?: number;
  maxValidationEdges?: number;
  lowDegree?: number;
  train?: Omit<DirectedTrainOptions, "epochs" | "seed" | "onEpoch" | "layers" | "tied" | "sampling">;
  models?: readonly DirectedModelName[];
  onProgress?: (phase: string, done: number, total: number) => void;
  /** Called after every validation check of the search (for logs): epoch, candidate, score. */
  onCheck?: (check: { epoch: number; l2: number; biasInit: BiasStart } & ValidationScore) => void;
}

export interface DirectedModelResult {
  model: DirectedModelName;
  /** Epochs, L2 penalty and bias start chosen on validation (embedding models only). */
  epochs: number | null;
  l2: number | null;
  biasInit: BiasStart | null;
  /** Every candidate tried on validation, with its best check (embedding models only). */
  validation: TriedSettings[] | null;
  /** blade-plus-knn: the item-kNN weight chosen on validation, and the validation MRR of every weight tried. */
  blend: { weight: number; tried: Array<{ weight: number; mrr: number }> } | null;
  /** directed-knn: the weights of its directed terms chosen on validation, and every pair tried. */
  neighbourhood: {
    weights: NeighbourhoodWeights;
    tried: Array<NeighbourhoodWeights & ValidationScore>;
  } | null;
  trainSeconds: number;
  report: DirectedReport;
}

export interface DirectedExperimentReport {
  nodes: number;
  edges: number;
  trainEdges: number;
  testEdges: number;
  /** Held-out edges actually ranked (at most maxTestEdges). */
  rankedEdges: number;
  seed: number;
  /** What the ranked held-out edges look like from the training edges (why a symmetric model can win). */
  structure: HeldOutStructure;
  results: DirectedModelResult[];
}

/** Weights of the item-kNN cosine added to BLADE's scores that blade-plus-knn tries on validation. */
export const blendWeights = [0, 0.3, 1, 3, 10, 30, 100] as const;

/**
 * Holds out a share of the edges, trains every model on the rest (epoch counts chosen on a validation cut
 * of the training edges, never on the test), and reports HitRate@10/@50, MRR and direction AUC overall and
 * for low- and high-degree query nodes.
 */
export function runDirectedExperiment(
  nodeCount: number,
  edges: EdgeArrays,
  options: DirectedExperimentOptions = {},
): DirectedExperimentReport {
  const seed = options.seed ?? 1;
  const { full, train, testEdges, ranked, fit, validation } = splitForEvaluation(nodeCount, edges, options);
  const models = options.models ?? directedModels;
  const results: DirectedModelResult[] = [];
  const progress = options.onProgress ?? (() => {});
  // BLADE's search and fit, shared by "blade" and "blade-plus-knn" (the blend reuses its vectors).
  let blade: { search: SearchResult; final: DirectedEmbeddings; seconds: number } | null = null;
  const bladeOf = (i: number) => {
    if (blade) return blade;
    const started = performance.now();
    const setup = embeddingSetup("blade")!;
    const base = { ...options.train, ...setup, seed };
    const search = chooseSettings(
      fit,
      train,
      validation,
      base,
      {
        ...options,
        onProgress: (_phase, done, total) =>
          progress(`directed: blade, validation candidate ${done + 1} of ${total}`, i, models.length),
      },
      models.includes("blade-plus-knn"),
    );
    const final = trainDirectedEmbeddings(train, finalOf(base, search));
    blade = { search, final, seconds: (performance.now() - started) / 1000 };
    return blade;
  };
  for (const [i, model] of models.entries()) {
    progress(`directed: ${model}`, i, models.length);
    const started = performance.now();
    let search: SearchResult | null = null;
    let blend: DirectedModelResult["blend"] = null;
    let neighbourhood: DirectedModelResult["neighbourhood"] = null;
    let scorer: DirectedScorer;
    const setup = embeddingSetup(model);
    if (model === "blade") {
      const b = bladeOf(i);
      search = b.search;
      scorer = embeddingScorer(b.final);
    } else if (model === "blade-plus-knn") {
      const b = bladeOf(i);
      search = b.search;
      blend = chooseBlendWeight(embeddingScorer(b.search.embeddings!), fit, train, validation);
      scorer = blendedScorer(embeddingScorer(b.final), cosineScorer(train), blend.weight);
    } else if (model === "directed-knn" || model === "directed-knn-undirected") {
      // The ablation scores on the graph with each edge both ways: what directed-knn gains from direction.
      const view = model === "directed-knn" ? (g: DirectedGraph) => g : symmetrised;
      neighbourhood = chooseNeighbourhoodWeights(fit, train, validation, neighbourhoodGrid, view);
      scorer = directedNeighbourhoodScorer(view(train), neighbourhood.weights);
    } else if (setup) {
      const base = { ...options.train, ...setup, seed };
      search = chooseSettings(fit, train, validation, base, {
        ...options,
        onProgress: (_phase, done, total) =>
          progress(`directed: ${model}, validation candidate ${done + 1} of ${total}`, i, models.length),
      });
      scorer = embeddingScorer(
        trainDirectedEmbeddings(setup.tied ? symmetrised(train) : train, finalOf(base, search)),
      );
    } else scorer = model === "degree-only" ? degreeScorer(train) : cosineScorer(train);
    const trainSeconds = (performance.now() - started) / 1000;
    const report = evaluateDirected(scorer, train, full, ranked, options.lowDegree);
    results.push({
      model,
      epochs: search?.chosen.epochs ?? null,
      l2: search?.chosen.l2 ?? null,
      biasInit: search?.chosen.biasInit ?? null,
      validation: search?.tried ?? null,
      blend,
      neighbourhood,
      trainSeconds,
      report,
    });
  }
  progress("directed", models.length, models.length);
  return {
    nodes: nodeCount,
    edges: full.edgeCount,
    trainEdges: train.edgeCount,
    testEdges: testEdges.sources.length,
    rankedEdges: ranked.sources.length,
    seed,
    structure: heldOutStructure(train, ranked, options.lowDegree),
    results,
  };
}

/**
 * The item-kNN weight (blendWeights) with the best validation MRR when added to a directed model's scores:
 * the model trained on the fit side, the cosine of the fit graph, the validation cut of the training edges
 * (`known`: every training edge, as in chooseSettings). The direction AUC is the model's own at every weight
 * (the cosine cancels in a direction pair), so MRR decides; ties keep the smaller weight.
 */
export function chooseBlendWeight(
  directedOnFit: DirectedScorer,
  fit: DirectedGraph,
  known: DirectedGraph,
  validation: HeldOutEdges,
  weights: readonly number[] = blendWeights,
): { weight: number; tried: Array<{ weight: number; mrr: number }> } {
  const symmetric = cosineScorer(fit);
  const tried = weights.map((weight) => ({
    weight,
    mrr: evaluateDirected(blendedScorer(directedOnFit, symmetric, weight), fit, known, validation).overall
      .mrr,
  }));
  let best = tried[0];
  for (const t of tried) if (t.mrr > best.mrr) best = t;
  return { weight: best.weight, tried };
}

/** The weights of directed-knn's "what follows nodes like u" and reverse terms tried on validation. */
export const neighbourhoodGrid = {
  followers: [0, 0.03, 0.1, 0.3, 1],
  reverse: [0, 0.3, 1, 3],
} as const;

/**
 * directed-knn's weights with the best validation criterion (criterionOf: MRR + direction AUC, the AUC
 * counted at 0.5 at least), scored from the fit graph on the validation cut (`known`: every training edge).
 * Ties keep the earlier pair: smaller followers weight first, then smaller reverse weight.
 */
export function chooseNeighbourhoodWeights(
  fit: DirectedGraph,
  known: DirectedGraph,
  validation: HeldOutEdges,
  grid: { followers: readonly number[]; reverse: readonly number[] } = neighbourhoodGrid,
  /** The graph the scorer reads, made from the fit graph (the ablation's symmetrised); the ranking's is `fit`. */
  view: (g: DirectedGraph) => DirectedGraph = (g) => g,
): { weights: NeighbourhoodWeights; tried: Array<NeighbourhoodWeights & ValidationScore> } {
  const tried: Array<NeighbourhoodWeights & ValidationScore> = [];
  let best: { weights: NeighbourhoodWeights; criterion: number } | null = null;
  for (const followers of grid.followers)
    for (const reverse of grid.reverse) {
      const weights = { followers, reverse };
      const m = evaluateDirected(
        directedNeighbourhoodScorer(view(fit), weights),
        fit,
        known,
        validation,
      ).overall;
      const score = { mrr: m.mrr, directionAuc: m.directionAuc };
      tried.push({ ...weights, ...score });
      const criterion = criterionOf(score);
      if (!best || criterion > best.criterion) best = { weights, criterion };
    }
  return { weights: best!.weights, tried };
}

/** Shares of the ranked held-out edges u -> v by how the training edges already connect u and v. */
export interface HeldOutStructure {
  edges: number;
  /** v -> u is a training edge: a symmetric model sees v as u's neighbour. */
  reverseInTraining: number;
  /** u and v share a neighbour in the training edges, either direction (what item-kNN cosine counts). */
  sharedNeighbour: number;
  /** v has no training edge at all: nothing but a bias or noise can rank it. */
  coldTarget: number;
  /** u has fewer than `lowDegree` training edges (in + out). */
  lowDegreeSource: number;
  /** v is among the 1% of nodes with the most training in-edges. */
  popularTarget: number;
}

export function heldOutStructure(train: DirectedGraph, held: HeldOutEdges, lowDegree = 5): HeldOutStructure {
  const n = train.nodeCount;
  const degree = (u: number) =>
    train.outOffsets[u + 1] - train.outOffsets[u] + train.inOffsets[u + 1] - train.inOffsets[u];
  const inDegrees = Array.from({ length: n }, (_, v) => train.inOffsets[v + 1] - train.inOffsets[v]).sort(
    (a, b) => b - a,
  );
  const popularAbove = inDegrees[Math.max(0, Math.ceil(0.01 * n) - 1)] ?? 0;
  const mark = new Int32Array(n).fill(-1);
  const neighbours = (u: number, visit: (w: number) => void) => {
    for (let k = train.outOffsets[u]; k < train.outOffsets[u + 1]; k++) visit(train.outTargets[k]);
    for (let k = train.inOffsets[u]; k < train.inOffsets[u + 1]; k++) visit(train.inSources[k]);
  };
  const counts = { reverse: 0, shared: 0, cold: 0, low: 0, popular: 0 };
  const m = held.sources.length;
  for (let k = 0; k < m; k++) {
    const u = held.sources[k];
    const v = held.targets[k];
    if (hasEdge(train, v, u)) counts.reverse++;
    neighbours(u, (w) => {
      mark[w] = k;
    });
    let shared = false;
    neighbours(v, (w) => {
      if (mark[w] === k && w !== u && w !== v) shared = true;
    });
    if (shared) counts.shared++;
    if (degree(v) === 0) counts.cold++;
    if (degree(u) < lowDegree) counts.low++;
    const inV = train.inOffsets[v + 1] - train.inOffsets[v];
    if (inV > 0 && inV >= popularAbove) counts.popular++;
  }
  const share = (x: number) => (m > 0 ? x / m : Number.NaN);
  return {
    edges: m,
    reverseInTraining: share(counts.reverse),
    sharedNeighbour: share(counts.shared),
    coldTarget: share(counts.cold),
    lowDegreeSource: share(counts.low),
    popularTarget: share(counts.popular),
  };
}

/** The cuts of one evaluation: the test (held out), and the training side's fit edges and validation cut. */
export interface EvaluationSplit {
  full: DirectedGraph;
  /** Every edge but the test edges: all the models learn from, and all the choosing sees. */
  train: DirectedGraph;
  testEdges: EdgeArrays;
  /** The test edges ranked (at most maxTestEdges of them). */
  ranked: HeldOutEdges;
  /** The training edges less the validation cut, and that cut (at most maxValidationEdges ranked). */
  fit: DirectedGraph;
  validation: HeldOutEdges;
}

/**
 * Cuts the test from every edge first, then the validation from what is left: the validation (and so every
 * choice of epochs, L2 and bias start) is drawn from the training edges only. Seeded.
 */
export function splitForEvaluation(
  nodeCount: number,
  edges: EdgeArrays,
  options: Pick<
    DirectedExperimentOptions,
    "seed" | "testShare" | "validationShare" | "maxTestEdges" | "maxValidationEdges" | "sessionOf"
  > = {},
): EvaluationSplit {
  if (options.sessionOf) return splitBySessions(nodeCount, edges, options.sessionOf, options);
  const random = new Random(options.seed ?? 1);
  const full = buildDirectedGraph(nodeCount, edges);
  const { kept: trainEdges, held: testEdges } = splitEdges(edgesOf(full), options.testShare ?? 0.1, random);
  const train = buildDirectedGraph(nodeCount, trainEdges);
  const { kept: fitEdges, held: validationEdges } = splitEdges(
    trainEdges,
    options.validationShare ?? 0.1,
    random,
  );
  const fit = buildDirectedGraph(nodeCount, fitEdges);
  const ranked = subsample(testEdges, options.maxTestEdges ?? 3000, random);
  const validation = subsample(validationEdges, options.maxValidationEdges ?? 1000, random);
  return { full, train, testEdges, ranked, fit, validation };
}

/**
 * splitForEvaluation holding out whole sessions: a share of the sessions for the test, then a share of the
 * rest for validation. The training graph is every kept session's transitions; the test edges are the pairs
 * of the held-out sessions that no kept session played (so, as with held-out edges, each ranked target is a
 * pair the models never saw), and the same one level down for the validation cut.
 */
function splitBySessions(
  nodeCount: number,
  edges: EdgeArrays,
  sessionOf: Int32Array,
  options: Pick<
    DirectedExperimentOptions,
    "seed" | "testShare" | "validationShare" | "maxTestEdges" | "maxValidationEdges"
  >,
): EvaluationSplit {
  const m = edges.sources.length;
  if (sessionOf.length !== m)
    throw new RangeError(
      `sessionOf has ${sessionOf.length} entries for ${m} edges: one session per edge entry`,
    );
  const random = new Random(options.seed ?? 1);
  let sessions = 0;
  for (let k = 0; k < m; k++) {
    if (!(sessionOf[k] >= 0))
      throw new RangeError(`sessionOf[${k}] is ${sessionOf[k]}: sessions number from 0`);
    sessions = Math.max(sessions, sessionOf[k] + 1);
  }
  // 0 kept for training and validation's fit, 1 test, 2 validation.
  const role = new Uint8Array(sessions);
  const order = shuffled(sessions, random);
  const testCount = Math.round((options.testShare ?? 0.1) * sessions);
  for (let i = 0; i < testCount; i++) role[order[i]] = 1;
  const validationCount = Math.round((options.validationShare ?? 0.1) * (sessions - testCount));
  for (let i = testCount; i < testCount + validationCount; i++) role[order[i]] = 2;
  const entries = (keep: (r: number) => boolean): EdgeArrays => {
    const idx: number[] = [];
    for (let k = 0; k < m; k++) if (keep(role[sessionOf[k]])) idx.push(k);
    return pickEdges(edges, idx);
  };
  const full = buildDirectedGraph(nodeCount, edges);
  const train = buildDirectedGraph(
    nodeCount,
    entries((r) => r !== 1),
  );
  const fit = buildDirectedGraph(
    nodeCount,
    entries((r) => r === 0),
  );
  const testEdges = pairsNotIn(
    buildDirectedGraph(
      nodeCount,
      entries((r) => r === 1),
    ),
    train,
  );
  const validationEdges = pairsNotIn(
    buildDirectedGraph(
      nodeCount,
      entries((r) => r === 2),
    ),
    fit,
  );
  const ranked = subsample(testEdges, options.maxTestEdges ?? 3000, random);
  const validation = subsample(validationEdges, options.maxValidationEdges ?? 1000, random);
  return { full, train, testEdges, ranked, fit, validation };
}

/** The edges of g that are not edges of known. */
function pairsNotIn(g: DirectedGraph, known: DirectedGraph): EdgeArrays {
  const all = edgesOf(g);
  const idx: number[] = [];
  for (let k = 0; k < all.sources.length; k++)
    if (!hasEdge(known, all.sources[k], all.targets[k])) idx.push(k);
  return pickEdges(all, idx);
}

/** The entries idx of an edge list, in that order. */
function pickEdges(edges: EdgeArrays, idx: ArrayLike<number>): EdgeArrays {
  return {
    sources: Int32Array.from(idx, (k) => edges.sources[k]),
    targets: Int32Array.from(idx, (k) => edges.targets[k]),
    weights: Float32Array.from(idx, (k) => edges.weights[k]),
  };
}

function embeddingSetup(model: DirectedModelName): Partial<DirectedTrainOptions> | null {
  switch (model) {
    case "blade":
      return { layers: 2, sampling: { mode: "biased" } };
    case "blade-uniform-sampling":
      return { layers: 2, sampling: { mode: "uniform" } };
    case "source-target-factors":
      return { layers: 0 };
    case "symmetric-factors":
      return { layers: 0, tied: true };
    default:
      return null;
  }
}

/**
 * The epoch count, L2 penalty and bias start with the best validation criterion (MRR + direction AUC; for a
 * symmetric model the AUC is 0.5 throughout, so MRR alone), each candidate trained on `fit` and checked on
 * the validation edges. Every argument is the training side: `fit` is the training edges less the
 * validation cut, `known` all training edges (so a validation edge whose reverse is a training edge is no
 * direction pair). A symmetric model trains on `fit` with every edge in both directions.
 */
export function chooseSettings(
  fit: DirectedGraph,
  known: DirectedGraph,
  validation: HeldOutEdges,
  base: DirectedTrainOptions,
  options: Pick<
    DirectedExperimentOptions,
    "l2Values" | "biasStarts" | "maxEpochs" | "checkEvery" | "patience" | "onProgress" | "onCheck"
  > = {},
  keepEmbeddings = false,
): SearchResult {
  const validate = (e: DirectedEmbeddings): ValidationScore => {
    const m = evaluateDirected(embeddingScorer(e), fit, known, validation).overall;
    return { mrr: m.mrr, directionAuc: m.directionAuc };
  };
  return searchOnValidation(
    base.tied ? symmetrised(fit) : fit,
    base,
    {
      l2Values: options.l2Values ?? defaultL2Values,
      biasStarts: options.biasStarts,
      maxEpochs: options.maxEpochs ?? 300,
      checkEvery: options.checkEvery ?? 20,
      patience: options.patience ?? 3,
    },
    validate,
    {
      keepEmbeddings,
      onCandidate: (done, total) => options.onProgress?.("choosing on validation", done, total),
      onCheck: options.onCheck,
    },
  );
}

/** The final training's options: the base with the chosen epochs, L2 and bias start. */
function finalOf(base: DirectedTrainOptions, search: SearchResult): DirectedTrainOptions {
  const { epochs, l2, biasInit } = search.chosen;
  return { ...base, epochs, l2, biasInit };
}

/** The undirected version of g (both directions of every edge), for the symmetric baseline and directed-knn's ablation. */
export function symmetrised(g: DirectedGraph): DirectedGraph {
  return buildDirectedGraph(g.nodeCount, bothDirections(edgesOf(g)));
}

/** An edge list with every edge also reversed (same weight): what a symmetric model learns from. */
export function bothDirections(e: { sources: Int32Array; targets: Int32Array; weights: Float32Array }): {
  sources: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
} {
  const m = e.sources.length;
  const sources = new Int32Array(2 * m);
  const targets = new Int32Array(2 * m);
  const weights = new Float32Array(2 * m);
  sources.set(e.sources);
  sources.set(e.targets, m);
  targets.set(e.targets);
  targets.set(e.sources, m);
  weights.set(e.weights);
  weights.set(e.weights, m);
  return { sources, targets, weights };
}

/** A random share of the edges held out (seeded), the rest kept. */
export function splitEdges(
  edges: EdgeArrays,
  share: number,
  random: Random,
): { kept: EdgeArrays; held: EdgeArrays } {
  const m = edges.sources.length;
  const order = shuffled(m, random);
  const heldCount = Math.round(share * m);
  return {
    held: pickEdges(edges, order.subarray(0, heldCount)),
    kept: pickEdges(edges, order.subarray(heldCount)),
  };
}

function subsample(edges: HeldOutEdges, max: number, random: Random): HeldOutEdges {
  const m = edges.sources.length;
  if (m <= max) return edges;
  const idx = shuffled(m, random).subarray(0, max);
  return {
    sources: Int32Array.from(idx, (k) => edges.sources[k]),
    targets: Int32Array.from(idx, (k) => edges.targets[k]),
  };
}

function shuffled(m: number, random: Random): Int32Array {
  const order = Int32Array.from({ length: m }, (_, k) => k);
  for (let i = m - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

export interface DirectedModelTraining {
  embeddings: DirectedEmbeddings;
  graph: DirectedGraph;
  epochs: number;
  l2: number;
  biasInit: BiasStart;
  /** Validation MRR + direction AUC at the chosen settings. */
  validationCriterion: number;
  /** Every candidate tried on validation. */
  tried: TriedSettings[];
}

/**
 * The served model: BLADE on every edge, with the epoch count, L2 penalty and bias start chosen first on a
 * validation cut of the edges (the same procedure the evaluation uses on its training side).
 */
export function trainDirectedModel(
  nodeCount: number,
  edges: EdgeArrays,
  options: Omit<DirectedExperimentOptions, "testShare" | "maxTestEdges" | "models"> = {},
): DirectedModelTraining {
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const graph = buildDirectedGraph(nodeCount, edges);
  const { kept, held } = splitEdges(edgesOf(graph), options.validationShare ?? 0.1, random);
  const fit = buildDirectedGraph(nodeCount, kept);
  const validation = subsample(held, options.maxValidationEdges ?? 1000, random);
  const base = { ...options.train, seed };
  const search = chooseSettings(fit, graph, validation, base, options);
  const final = finalOf(base, search);
  const progress = options.onProgress ?? (() => {});
  const embeddings = trainDirectedEmbeddings(graph, {
    ...final,
    onEpoch(epoch) {
      progress("training", epoch, final.epochs!);
      return true;
    },
  });
  const { epochs, l2, biasInit, criterion } = search.chosen;
  return { embeddings, graph, epochs, l2, biasInit, validationCriterion: criterion, tried: search.tried };
}
