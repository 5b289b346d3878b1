import { join } from "node:path";
import type { SplitSettings } from "./config.js";
import {
  type AffinityModel,
  type AffinitySource,
  scoreAffinity,
  type TrainConfig,
  trainAffinityModel,
} from "./core/affinity/affinity-model.js";
import { type AblationRow, runAblation } from "./core/evaluation/ablation.js";
import {
  defaultEvaluationConfig,
  type EvaluationProgress,
  type EvaluationReport,
  evaluateSplit,
} from "./core/evaluation/evaluate.js";
import {
  type Split,
  splitAtGlobalQuantile,
  splitAtPerUserQuantile,
  splitByDate,
  splitRandomPairs,
} from "./core/evaluation/split.js";
import { compareWithTruth, type TruthReport } from "./core/evaluation/truth.js";
import { trueAffinity } from "./core/simulate/model.js";
import type { SimulationTruth } from "./core/simulate/types.js";
import { type IngestRunOptions, type IngestSummary, ingestIntoStore } from "./pipeline/ingest.js";
import { loadModel, type ModelManifest, newModelVersion, saveModel } from "./pipeline/model-files.js";
import { playTableFromColumns } from "./pipeline/train.js";
import { DuckDbEventStore } from "./store/duckdb/duckdb-store.js";
import type { EventStore } from "./store/event-store.js";

export interface EngineOptions {
  /** Path of the embedded store file (created when missing), or ":memory:". */
  store: string;
  /** Folder of model versions; default `<store>.models` beside the store. */
  models?: string;
}

export interface AffinityAnswer {
  user: string;
  model: string | null;
  items: Array<{
    item: string;
    affinity: number;
    history: number;
    mf: number | null;
    source: AffinitySource;
  }>;
}

export interface TrainResult {
  version: string;
  path: string;
  plays: number;
  users: number;
  items: number;
  seconds: number;
}

/**
 * The library's face: a store and its current model. CLI, HTTP and web are thin adapters over this.
 */
export class Engine {
  private loaded: {
    model: AffinityModel;
    manifest: ModelManifest;
    userIndex: Map<string, number>;
    itemIndex: Map<string, number>;
  } | null = null;

  private constructor(
    readonly store: EventStore,
    readonly modelsDir: string,
  ) {}

  static async open(options: EngineOptions): Promise<Engine> {
    const store = await DuckDbEventStore.open(options.store);
    const modelsDir =
      options.models ??
      (options.store === ":memory:" ? join(process.cwd(), "tastebud.models") : `${options.store}.models`);
    return new Engine(store, modelsDir);
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  ingest(paths: string[], options: IngestRunOptions): Promise<IngestSummary> {
    return ingestIntoStore(this.store, paths, options);
  }

  /** Trains on every stored play, saves a new model version atomically and makes it current. */
  async train(config: TrainConfig, onProgress?: EvaluationProgress): Promise<TrainResult> {
    const started = Date.now();
    onProgress?.("read store", 0, 1);
    const columns = await this.store.scanPlays();
    if (columns.userIndex.length === 0) throw new Error("the store holds no plays yet: ingest some first");
    const plays = playTableFromColumns(columns);
    const model = trainAffinityModel(plays, columns.users, columns.items, config, (phase, done, total) =>
      onProgress?.(`train ${phase}`, done, total),
    );
    const version = newModelVersion();
    const times = columns.endTimeMs;
    const path = saveModel(this.modelsDir, version, model, {
      config,
      dataWindow: {
        plays: times.length,
        users: columns.users.length,
        items: columns.items.length,
        from: times.length ? new Date(times[0]).toISOString() : null,
        to: times.length ? new Date(times[times.length - 1]).toISOString() : null,
      },
      metrics: {},
    });
    await this.store.registerModel({
      version,
      path,
      createdAt: new Date(),
      config,
      metrics: {},
      isCurrent: true,
    });
    this.loaded = null;
    return {
      version,
      path,
      plays: times.length,
      users: columns.users.length,
      items: columns.items.length,
      seconds: (Date.now() - started) / 1000,
    };
  }

  /**
   * Trains on the training side of a split and scores the held-out side (see evaluateSplit). Given a
   * simulator's truth, also compares the learned ranking with the true affinities.
   */
  async evaluate(
    split: SplitSettings,
    config: TrainConfig,
    options: { withWrmf?: boolean; onProgress?: EvaluationProgress; truth?: SimulationTruth } = {},
  ): Promise<EvaluationReport & { truth?: TruthReport }> {
    const { plays, users, items, cut } = await this.splitData(split, config.bpr.seed);
    let trained: AffinityModel | null = null;
    const report = evaluateSplit(
      plays,
      users,
      items,
      cut,
      {
        ...defaultEvaluationConfig,
        train: config,
        withWrmf: options.withWrmf ?? true,
        onTrained: (m) => {
          trained = m;
        },
      },
      options.onProgress,
    );
    const truth = options.truth;
    if (!truth || !trained) return report;
    const model: AffinityModel = trained;
    const tu = new Map(truth.users.map((u, k) => [u, k]));
    const ti = new Map(truth.items.map((i, k) => [i, k]));
    const userMap = Int32Array.from(model.users, (u) => tu.get(u) ?? -1);
    const itemMap = Int32Array.from(model.items, (i) => ti.get(i) ?? -1);
    const world = { truth };
    return {
      ...report,
      truth: compareWithTruth(model, (u, i) =>
        userMap[u] < 0 || itemMap[i] < 0 ? null : trueAffinity(world, userMap[u], itemMap[i]),
      ),
    };
  }

  async ablation(
    split: SplitSettings,
    config: TrainConfig,
    seeds: number,
    onProgress?: (done: number, total: number, label: string) => void,
  ): Promise<AblationRow[]> {
    const { plays, users, items, cut } = await this.splitData(split, config.bpr.seed);
    return runAblation(plays, users, items, cut, config, seeds, onProgress);
  }

  private async splitData(split: SplitSettings, seed: number) {
    const columns = await this.store.scanPlays();
    if (columns.userIndex.length === 0) throw new Error("the store holds no plays yet: ingest some first");
    const plays = playTableFromColumns(columns);
    let cut: Split;
    if (split.splitDate !== undefined) cut = splitByDate(plays, Date.parse(split.splitDate));
    else if (split.splitPerUser !== undefined) cut = splitAtPerUserQuantile(plays, split.splitPerUser);
    else if (split.splitRandom !== undefined) cut = splitRandomPairs(plays, split.splitRandom, seed);
    else cut = splitAtGlobalQuantile(plays, split.split ?? 0.8);
    return { plays, users: columns.users, items: columns.items, cut };
  }

  /** Loads the store's current model (cached until the next train). */
  async currentModel() {
    if (this.loaded) return this.loaded;
    const entry = await this.store.currentModel();
    if (!entry) return null;
    const { model, manifest } = loadModel(entry.path);
    this.loaded = {
      model,
      manifest,
      userIndex: new Map(model.users.map((u, k) => [u, k])),
      itemIndex: new Map(model.items.map((i, k) => [i, k])),
    };
    return this.loaded;
  }

  /**
   * The probability that `user` plays each item past the threshold, with its parts. Unknown users get the
   * item's popularity prior and unknown items the global rate, each said in `source`.
   */
  async affinity(user: string, items: string[]): Promise<AffinityAnswer> {
    const current = await this.currentModel();
    if (!current) throw new Error("no trained model yet: run `tastebud train` first");
    const u = current.userIndex.get(user) ?? -1;
    return {
      user,
      model: current.manifest.version,
      items: items.map((item) => {
        const s = scoreAffinity(current.model, u, current.itemIndex.get(item) ?? -1);
        return {
          item,
          affinity: round(s.affinity),
          history: round(s.history),
          mf: s.mf === null ? null : round(s.mf),
          source: s.source,
        };
      }),
    };
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
