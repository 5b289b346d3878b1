import { Random } from "../random.js";
import { type DirectedEmbeddings, type DirectedTrainOptions, trainDirectedEmbeddings } from "./blade.js";
import { buildDirectedGraph, type DirectedGraph, type EdgeArrays, edgesOf } from "./graph.js";
import { type DirectedReport, evaluateDirected, type HeldOutEdges } from "./metrics.js";
import { cosineScorer, type DirectedScorer, degreeScorer, embeddingScorer } from "./scorers.js";

/** The models the directed evaluation compares, in table order. */
export const directedModels = [
  "blade",
  "blade-uniform-sampling",
  "source-target-factors",
  "degree-only",
  "item-knn-cosine",
  "symmetric-factors",
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
  /** Longest training tried; the epoch count is chosen on validation among multiples of `checkEvery`. */
  maxEpochs?: number;
  checkEvery?: number;
  /** Held-out edges ranked at most (sampled, seeded), to bound the cost on large graphs. */
  maxTestEdges?: number;
  maxValidationEdges?: number;
  lowDegree?: number;
  train?: Omit<DirectedTrainOptions, "epochs" | "seed" | "onEpoch" | "layers" | "tied" | "sampling">;
  models?: readonly DirectedModelName[];
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface DirectedModelResult {
  model: DirectedModelName;
  /** Epochs and L2 penalty chosen on validation (embedding models only). */
  epochs: number | null;
  l2: number | null;
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
  results: DirectedModelResult[];
}

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
  const random = new Random(seed);
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
  const models = options.models ?? directedModels;
  const results: DirectedModelResult[] = [];
  const progress = options.onProgress ?? (() => {});
  for (const [i, model] of models.entries()) {
    progress(`directed: ${model}`, i, models.length);
    const started = performance.now();
    let chosen: { epochs: number; l2: number; criterion: number } | null = null;
    let scorer: DirectedScorer;
    const setup = embeddingSetup(model);
    if (setup) {
      const graphOf = (g: DirectedGraph) => (setup.tied ? symmetrised(g) : g);
      for (const l2 of options.l2Values ?? defaultL2Values) {
        const base = { ...options.train, ...setup, l2, seed };
        const tried = chooseEpochs(graphOf(fit), train, validation, base, options);
        if (!chosen || tried.criterion > chosen.criterion) chosen = { ...tried, l2 };
      }
      const final = { ...options.train, ...setup, seed, epochs: chosen!.epochs, l2: chosen!.l2 };
      scorer = embeddingScorer(trainDirectedEmbeddings(graphOf(train), final));
    } else scorer = model === "degree-only" ? degreeScorer(train) : cosineScorer(train);
    const trainSeconds = (performance.now() - started) / 1000;
    const report = evaluateDirected(scorer, train, full, ranked, options.lowDegree);
    results.push({
      model,
      epochs: chosen?.epochs ?? null,
      l2: chosen?.l2 ?? null,
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
    results,
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

const defaultL2Values = [1e-6, 1e-4];

/**
 * Trains on the fit edges; returns the epoch count (a multiple of checkEvery) with the best validation
 * criterion, MRR + direction AUC (both targets of the task; for a symmetric model the AUC is 0.5 throughout,
 * so it chooses on MRR alone), and that criterion.
 */
function chooseEpochs(
  fit: DirectedGraph,
  train: DirectedGraph,
  validation: HeldOutEdges,
  base: DirectedTrainOptions,
  options: DirectedExperimentOptions,
): { epochs: number; criterion: number } {
  const maxEpochs = options.maxEpochs ?? 300;
  const every = options.checkEvery ?? 20;
  let best = { epochs: every, criterion: Number.NEGATIVE_INFINITY };
  let sinceBest = 0;
  trainDirectedEmbeddings(fit, {
    ...base,
    epochs: maxEpochs,
    onEpoch(epoch, _loss, embeddings) {
      if (epoch % every !== 0) return true;
      // The fit graph excludes the validation edges; `train` is only used for the hit exclusion mask.
      const m = evaluateDirected(embeddingScorer(embeddings()), fit, train, validation).overall;
      const criterion = m.mrr + (Number.isFinite(m.directionAuc) ? m.directionAuc : 0.5);
      if (criterion > best.criterion) {
        best = { epochs: epoch, criterion };
        sinceBest = 0;
      } else if (++sinceBest >= 3) return false; // two checks without gain: past the best
      return true;
    },
  });
  return best;
}

/** The undirected version of g (both directions of every edge), for the symmetric baseline. */
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
  const pick = (idx: Int32Array): EdgeArrays => ({
    sources: Int32Array.from(idx, (k) => edges.sources[k]),
    targets: Int32Array.from(idx, (k) => edges.targets[k]),
    weights: Float32Array.from(idx, (k) => edges.weights[k]),
  });
  return { held: pick(order.subarray(0, heldCount)), kept: pick(order.subarray(heldCount)) };
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
  /** Validation MRR + direction AUC at the chosen settings. */
  validationCriterion: number;
}

/**
 * The served model: BLADE on every edge, with the epoch count and negative-sampling power chosen first on a
 * validation cut of the edges (the same procedure the evaluation uses).
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
  const l2Values = options.l2Values ?? defaultL2Values;
  const progress = options.onProgress ?? (() => {});
  let chosen = { epochs: 0, criterion: Number.NEGATIVE_INFINITY, l2: 0 };
  for (const [i, l2] of l2Values.entries()) {
    progress("choosing on validation", i, l2Values.length);
    const tried = chooseEpochs(fit, graph, validation, { ...options.train, l2, seed }, options);
    if (tried.criterion > chosen.criterion) chosen = { ...tried, l2 };
  }
  const embeddings = trainDirectedEmbeddings(graph, {
    ...options.train,
    seed,
    epochs: chosen.epochs,
    l2: chosen.l2,
    onEpoch(epoch) {
      progress("training", epoch, chosen.epochs);
      return true;
    },
  });
  return { embeddings, graph, epochs: chosen.epochs, l2: chosen.l2, validationCriterion: chosen.criterion };
}
