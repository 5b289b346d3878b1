import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import {
  buildNextCandidates,
  buildNextIndex,
  type DirectedExperimentReport,
  type DirectedModelName,
  type DirectedTrainOptions,
  type EdgeArrays,
  type NextIndex,
  NodeIndex,
  nextFactorModel,
  nextNodes,
  type PlaysNextOptions,
  type PlayTransitions,
  playsNextTransitions,
  runDirectedExperiment,
  trainCountsFirstModel,
  trainDirectedModel,
  withCandidates,
} from "../core/directed/index.js";
import { createTopN, type TopN } from "../core/topn/index.js";
import {
  type DirectedManifest,
  directedModelsDir,
  latestDirectedVersion,
  loadDirectedModel,
  loadNextCandidates,
  saveNextCandidates,
  stageDirectedModel,
} from "../pipeline/directed-model-files.js";
import {
  approximateTopNOffThread,
  type OffThreadTopNConfig,
  savedApproximateTopN,
} from "../pipeline/threads/topn-threads.js";
import type { ServiceContext } from "./context.js";
import { round6 } from "./serving-model.js";

/** Where a directed graph comes from. */
export type GraphSource =
  | { kind: "plays"; playsNext?: PlaysNextOptions }
  | {
      kind: "file";
      path: string;
      /** The file lists target before source (Cora's `cited citing`). */
      reversed?: boolean;
    };

/** A row or field of an edge file that cannot be read; the message names both. */
export class EdgeFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EdgeFileError";
  }
}

/** No directed model has been trained on this store yet. */
export class NoDirectedModelError extends Error {
  constructor() {
    super("no directed model yet: run `tastebud train --graph` first");
    this.name = "NoDirectedModelError";
  }
}

export interface LoadedGraph {
  nodeIds: string[];
  edges: EdgeArrays;
  /** For the plays-next graph: each edge's listener and time, so validation can be cut by time. */
  transitions?: PlayTransitions;
  /** "plays" or the file's path. */
  source: string;
}

/**
 * What the evaluation holds out: single edges, or whole listening sessions (a plays-next graph only; its
 * default, since holding out single edges of chains biases every directed score against the true direction).
 */
export type GraphHoldOut = "edges" | "sessions";

export interface DirectedEvaluation {
  graph: { source: string; nodes: number; edges: number; holdOut: GraphHoldOut };
  seeds: DirectedExperimentReport[];
}

export interface DirectedTrainResult {
  version: string;
  path: string;
  nodes: number;
  edges: number;
  epochs: number;
  l2: number;
  /** Where the biases started: chosen on validation unless forced. */
  biasInit: "zero" | "log-degree";
  /**
   * Plays-next graphs are served counts first (observed follow-ups, the embeddings filling in) with this prior
   * strength, chosen on each listener's latest transitions; null for edge files (embeddings alone).
   */
  alpha: number | null;
  /** Validation MRR + direction AUC (edge files) or validation MRR of the counts-first answers (plays). */
  validationCriterion: number;
  seconds: number;
}

export interface NextAnswer {
  item: string;
  model: string;
  items: Array<{
    item: string;
    title: string;
    creators: string[];
    score: number;
    reasons: Array<{ factor: string; detail: string }>;
  }>;
}

/** A directed model exists but its index is still being built (off the serving thread); try again shortly. */
export class DirectedModelLoadingError extends Error {
  constructor(readonly version: string) {
    super(`the directed model ${version} is loading (its index is being built); try again shortly`);
    this.name = "DirectedModelLoadingError";
  }
}

type Progress = (phase: string, done: number, total: number) => void;

/** Bias settings a caller forces; without biasInit the trainer tries both starts and keeps validation's choice. */
export type DirectedBiasOptions = Pick<DirectedTrainOptions, "biasInit" | "sourceBias">;

/**
 * How the embeddings are trained and searched: mini-batches (absent: `defaultMiniBatch`; null: full-batch),
 * learning rate, vector size, and the L2 penalties, check interval and patience of the search on validation
 * (absent: the defaults; in mini-batches a check every 5 passes and 4 checks of patience).
 */
export interface DirectedTuning {
  miniBatch?: DirectedTrainOptions["miniBatch"] | null;
  learningRate?: number;
  dim?: number;
  l2Values?: number[];
  checkEvery?: number;
  patience?: number;
}

/**
 * Mini-batches by default: on the Spotify plays-next graph's seed-1 validation cut (training edges only)
 * they reached MRR 0.019 where full-batch training reached 0.004 at the same L2, bias start and 30-epoch cap,
 * and on Cora they ranked above full-batch training (README, "What comes next").
 */
export const defaultMiniBatch = { batchSize: 256 } as const;

/** The training options and search settings a tuning stands for. */
function tuningOptions(biases: DirectedBiasOptions | undefined, tuning: DirectedTuning = {}) {
  const { learningRate, dim, l2Values } = tuning;
  const miniBatch = tuning.miniBatch === undefined ? defaultMiniBatch : tuning.miniBatch;
  const checkEvery = tuning.checkEvery ?? (miniBatch ? 5 : undefined);
  const patience = tuning.patience ?? (miniBatch ? 4 : undefined);
  return {
    train: {
      ...biases,
      ...(miniBatch ? { miniBatch } : {}),
      ...(learningRate !== undefined ? { learningRate } : {}),
      ...(dim !== undefined ? { dim } : {}),
    },
    ...(l2Values ? { l2Values } : {}),
    ...(checkEvery !== undefined ? { checkEvery } : {}),
    ...(patience !== undefined ? { patience } : {}),
  };
}

/**
 * Targets kept per node for `next` (answers up to this many come from the row; longer ones, or sources whose
 * own edges crowd it, search), and the counts-first prior's pool (its softmax's top candidates).
 */
const nextRowLength = 32;
const nextPool = 100;

/**
 * Directed related items: builds "what follows" graphs (plays-next from the store, or any edge file),
 * evaluates the BLADE-style model against symmetric and directed baselines, trains and saves the served model,
 * and answers "what follows this item" with reasons. The only place this capability meets I/O.
 */
export class DirectedService {
  private served: { version: string; files: ReturnType<typeof loadDirectedModel>; index: NextIndex } | null =
    null;
  private checkedAtMs = 0;
  private nodeLookup = new Map<string, number>();
  /** The version whose index a worker thread is building (a folder saved without one), if any. */
  private loading: { version: string; done: Promise<void> } | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    /**
     * Above this many nodes `next` searches an HNSW index instead of scanning: an exact scan of 64-dim vectors
     * costs about 1 ms per 20,000 nodes, the latency target for one answer.
     */
    private readonly approximateAbove = 20_000,
    /** Settings of that index and of its recall measurement (the defaults of approximateTopNOffThread). */
    private readonly indexConfig: OffThreadTopNConfig = {},
  ) {}

  /** The graph's nodes and edges from the store's plays or from an edge file. */
  async loadGraph(source: GraphSource): Promise<LoadedGraph> {
    if (source.kind === "file") return readEdgeFile(source.path, source.reversed ?? false);
    const plays = await this.ctx.store.scanPlays();
    const transitions = playsNextTransitions(plays, source.playsNext);
    const { sources, targets, weights } = transitions;
    return { nodeIds: plays.items, edges: { sources, targets, weights }, transitions, source: "plays" };
  }

  /** Held-out evaluation of every model, once per seed (each seed a different split and initialisation). */
  async evaluate(
    source: GraphSource,
    options: {
      seeds?: number;
      firstSeed?: number;
      onProgress?: Progress;
      maxEpochs?: number;
      biases?: DirectedBiasOptions;
      tuning?: DirectedTuning;
      holdOut?: GraphHoldOut;
      /** The models evaluated (default every one). */
      models?: readonly DirectedModelName[];
    } = {},
  ): Promise<DirectedEvaluation> {
    const graph = await this.loadGraph(source);
    const holdOut = options.holdOut ?? (graph.transitions ? "sessions" : "edges");
    if (holdOut === "sessions" && !graph.transitions)
      throw new EdgeFileError(
        `${graph.source}: an edge file has no sessions to hold out; hold out edges instead`,
      );
    const seeds: DirectedExperimentReport[] = [];
    const count = options.seeds ?? 1;
    for (let i = 0; i < count; i++) {
      const seed = (options.firstSeed ?? 1) + i;
      seeds.push(
        runDirectedExperiment(graph.nodeIds.length, graph.edges, {
          seed,
          maxEpochs: options.maxEpochs,
          ...(options.models ? { models: options.models } : {}),
          ...tuningOptions(options.biases, options.tuning),
          ...(holdOut === "sessions" ? { sessionOf: graph.transitions!.sessionIndex } : {}),
          onProgress: (phase, done, total) =>
            options.onProgress?.(`seed ${seed}: ${phase}`, i * total + done, count * total),
        }),
      );
    }
    const first = seeds[0];
    return { graph: { source: graph.source, nodes: first.nodes, edges: first.edges, holdOut }, seeds };
  }

  /** Trains the served model on every edge and saves it as the newest version (atomically). */
  async train(
    source: GraphSource,
    options: {
      seed?: number;
      dim?: number;
      maxEpochs?: number;
      biases?: DirectedBiasOptions;
      tuning?: DirectedTuning;
      onProgress?: Progress;
    } = {},
  ): Promise<DirectedTrainResult> {
    const started = performance.now();
    const graph = await this.loadGraph(source);
    if (graph.edges.sources.length === 0)
      throw new EdgeFileError(`${graph.source}: no edges to learn from (no play followed another)`);
    const common = {
      seed: options.seed,
      maxEpochs: options.maxEpochs,
      ...tuningOptions(options.biases, { ...(options.dim ? { dim: options.dim } : {}), ...options.tuning }),
      onProgress: options.onProgress,
    };
    // Plays: what follows is answered from the observed transitions first (they beat every embedding on
    // the next-play, playlist and follow-up benches), the embeddings as the prior for cold or sparse items;
    // validation is each listener's latest transitions. An edge file has no time to cut by and no counts
    // to trust over a held-out edge, so it keeps the embeddings alone (as evaluated on Cora).
    const trained = graph.transitions
      ? (() => {
          const t = trainCountsFirstModel(graph.nodeIds.length, graph.transitions, common);
          return {
            embeddings: t.embeddings!,
            graph: t.graph,
            epochs: t.epochs ?? 0,
            l2: t.l2 ?? 0,
            biasInit: t.biasInit ?? "zero",
            alpha: t.alpha as number | null,
            validationCriterion: t.validationMrr,
          };
        })()
      : { ...trainDirectedModel(graph.nodeIds.length, graph.edges, common), alpha: null };
    const version = new Date().toISOString().replace(/[:.]/g, "-");
    const manifest: DirectedManifest = {
      format: "tastebud-directed-model",
      formatVersion: 1,
      version,
      createdAt: new Date().toISOString(),
      graphSource: graph.source,
      nodes: graph.nodeIds.length,
      edges: trained.graph.edgeCount,
      dim: trained.embeddings.dim,
      training: {
        epochs: trained.epochs,
        l2: trained.l2,
        biasInit: trained.biasInit,
        validationCriterion: trained.validationCriterion,
        seed: options.seed ?? 1,
        ...(trained.alpha !== null ? { countsFirst: { alpha: trained.alpha, candidates: nextPool } } : {}),
        nextCandidates: { k: nextRowLength, pool: nextPool },
      },
    };
    const staged = stageDirectedModel(this.ctx.modelsDir, {
      manifest,
      nodeIds: graph.nodeIds,
      embeddings: trained.embeddings,
      graph: trained.graph,
    });
    // The served index is built here, on a worker thread, and kept in the version folder before it becomes
    // current: serving then maps the file instead of building (987 s on the serving thread at 400k nodes).
    // Each node's best targets are kept too (searched here, by the trainer), so an answer merges a short
    // row instead of searching.
    try {
      const model = nextFactorModel(trained.embeddings);
      const topN: TopN =
        manifest.nodes > this.approximateAbove
          ? await approximateTopNOffThread(model, staged.dir, this.indexConfig)
          : createTopN(model, { approximateAbove: Number.POSITIVE_INFINITY });
      options.onProgress?.("keeping each node's next candidates", 0, 1);
      saveNextCandidates(
        staged.dir,
        buildNextCandidates(trained.embeddings, topN, { k: nextRowLength, pool: nextPool }),
      );
    } catch (err) {
      rmSync(staged.dir, { recursive: true, force: true });
      throw err;
    }
    const path = staged.publish();
    this.checkedAtMs = 0; // the next answer picks the new version up
    return {
      version,
      path,
      nodes: manifest.nodes,
      edges: manifest.edges,
      epochs: trained.epochs,
      l2: trained.l2,
      biasInit: trained.biasInit,
      alpha: trained.alpha,
      validationCriterion: round6(trained.validationCriterion),
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** What follows `item`, best first, with reasons. Throws NoDirectedModelError / returns null for unknown items. */
  async next(item: string, n = 10): Promise<NextAnswer | null> {
    const served = this.current();
    const u = this.nodeLookup.get(item);
    if (u === undefined) return null;
    const found = nextNodes(served.index, u, n);
    const ids = served.files.nodeIds;
    const catalogue = new Map(
      (await this.ctx.store.getItems(found.map((f) => ids[f.node]))).map((c) => [c.id, c]),
    );
    const plays = served.files.manifest.graphSource === "plays";
    const titleOf = (id: string) => catalogue.get(id)?.title ?? id;
    return {
      item,
      model: served.version,
      items: found.map((f) => {
        const id = ids[f.node];
        const r = f.reason;
        const detail =
          r.kind === "edge"
            ? plays
              ? `listeners went on from ${titleOf(item)} to this (strength ${round6(r.weight)})`
              : `${item} -> ${id} is an edge of the graph (weight ${round6(r.weight)})`
            : r.kind === "two-step"
              ? `follows ${titleOf(ids[r.via])}, which follows ${titleOf(item)}`
              : "learned from the graph around both (source and target vectors)";
        return {
          item: id,
          title: titleOf(id),
          creators: [...(catalogue.get(id)?.creators ?? [])],
          score: round6(f.score),
          reasons: [{ factor: r.kind, detail }],
        };
      }),
    };
  }

  /** Facts about the served model, or null when none was trained (or the first one is still loading). */
  status(): DirectedManifest | null {
    try {
      return this.current().files.manifest;
    } catch (err) {
      if (err instanceof NoDirectedModelError || err instanceof DirectedModelLoadingError) return null;
      throw err;
    }
  }

  /** Resolves when no index is being built (for callers that want the newest version served). */
  async settled(): Promise<void> {
    while (this.loading) await this.loading.done;
  }

  /**
   * The served model, reloaded when a newer version appears (a train in this or another process). The folder
   * is looked at most once a second, so answering stays a lookup and a top-N search. Nothing large is built
   * here: small graphs are scanned exactly, large ones map the index saved with the version; a version
   * folder without one (saved before indexes were kept) gets it built on a worker thread while the previous
   * version answers, or, when there is none, answers are DirectedModelLoadingError (503).
   */
  private current(): NonNullable<DirectedService["served"]> {
    const now = Date.now();
    if (!this.served || now - this.checkedAtMs > 1000) {
      this.checkedAtMs = now;
      const root = directedModelsDir(this.ctx.modelsDir);
      let latest: string | null = null;
      try {
        if (statSync(root, { throwIfNoEntry: false })) latest = latestDirectedVersion(this.ctx.modelsDir);
      } catch {
        latest = null;
      }
      if (latest && latest !== this.served?.version && latest !== this.loading?.version) this.load(latest);
    }
    if (!this.served) {
      if (this.loading) throw new DirectedModelLoadingError(this.loading.version);
      throw new NoDirectedModelError();
    }
    return this.served;
  }

  private load(version: string): void {
    const files = loadDirectedModel(this.ctx.modelsDir, version);
    const { embeddings, graph } = files;
    const countsFirst = countsFirstOf(files.manifest);
    if (!(files.manifest.nodes > this.approximateAbove)) {
      this.install(version, files, buildNextIndex(embeddings, graph, this.approximateAbove, countsFirst));
      return;
    }
    const model = nextFactorModel(embeddings);
    const dir = join(directedModelsDir(this.ctx.modelsDir), version);
    const saved = savedApproximateTopN(model, dir, this.indexConfig);
    if (saved) {
      this.install(version, files, { embeddings, graph, topN: saved, countsFirst });
      return;
    }
    const loading = {
      version,
      done: approximateTopNOffThread(model, dir, this.indexConfig)
        .then(
          (topN): NextIndex => ({ embeddings, graph, topN, countsFirst }),
          // The folder cannot take the index (read-only, full): exact scans answer (about 1 ms per 20,000
          // nodes each) rather than a build that would stall this thread.
          () => buildNextIndex(embeddings, graph, Number.POSITIVE_INFINITY, countsFirst),
        )
        .then((index) => {
          // A newer version may have been picked up meanwhile; only the one still awaited is installed.
          if (this.loading !== loading) return;
          this.install(version, files, index);
        }),
    };
    this.loading = loading;
  }

  private install(version: string, files: ReturnType<typeof loadDirectedModel>, index: NextIndex): void {
    this.loading = null; // an older version still building is not installed over this one
    this.nodeLookup = new Map(files.nodeIds.map((id, i) => [id, i]));
    const candidates = loadNextCandidates(this.ctx.modelsDir, files);
    this.served = { version, files, index: candidates ? withCandidates(index, candidates) : index };
  }
}

/** The counts-first settings a version was saved with (none before they existed, or for edge files). */
function countsFirstOf(manifest: DirectedManifest): NextIndex["countsFirst"] {
  const c = manifest.training.countsFirst as { alpha?: unknown; candidates?: unknown } | undefined;
  return c && typeof c.alpha === "number" && typeof c.candidates === "number"
    ? { alpha: c.alpha, candidates: c.candidates }
    : undefined;
}

/**
 * Reads an edge list: one edge a row, `source, target[, weight]`, separated by commas, tabs or spaces; a first row
 * naming `source` and `target` is a header. A missing weight is 1. A malformed row is an error naming its line
 * and field rather than a silently smaller graph.
 */
export function readEdgeFile(path: string, reversed: boolean): LoadedGraph {
  const text = readFileSync(path, "utf8");
  const rows = parse(text, {
    delimiter: [",", "\t"],
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    info: true,
  }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  const nodes = new NodeIndex();
  const sources: number[] = [];
  const targets: number[] = [];
  const weights: number[] = [];
  for (const [k, row] of rows.entries()) {
    const { info } = row;
    // A row without a comma or tab may still be space-separated (Cora's first line is).
    const record = row.record.length === 1 ? row.record[0].split(/\s+/) : row.record;
    if (k === 0 && record[0]?.toLowerCase() === "source" && record[1]?.toLowerCase() === "target") continue;
    const where = `${path} line ${info.lines}`;
    if (record.length < 2 || !record[0] || !record[1])
      throw new EdgeFileError(`${where}, field ${record[0] ? "target" : "source"}: missing`);
    let weight = 1;
    if (record.length >= 3 && record[2] !== "") {
      weight = Number(record[2]);
      if (!Number.isFinite(weight) || weight < 0)
        throw new EdgeFileError(`${where}, field weight: expected a non-negative number, got "${record[2]}"`);
    }
    const [a, b] = reversed ? [record[1], record[0]] : [record[0], record[1]];
    sources.push(nodes.indexOf(a));
    targets.push(nodes.indexOf(b));
    weights.push(weight);
  }
  return {
    nodeIds: nodes.ids,
    edges: {
      sources: Int32Array.from(sources),
      targets: Int32Array.from(targets),
      weights: Float32Array.from(weights),
    },
    source: path,
  };
}
