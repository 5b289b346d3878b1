import { rmSync } from "node:fs";
import type { SplitSettings } from "../config.js";
import {
  type AffinityModel,
  type AffinitySource,
  scoreAffinity,
  scoreUserItem,
  type TrainConfig,
  type UserState,
} from "../core/affinity/affinity-model.js";
import { playContribution } from "../core/affinity/cells.js";
import { foldInUser } from "../core/affinity/fold-in.js";
import { ContextPriors, contextObservations } from "../core/context/index.js";
import { type AblationRow, runAblation } from "../core/evaluation/ablation.js";
import {
  defaultEvaluationConfig,
  type EvaluationConfig,
  type EvaluationProgress,
  type EvaluationReport,
  evaluateSplit,
} from "../core/evaluation/evaluate.js";
import {
  evaluateLikeDecision,
  type LikeDecisionOptions,
  type LikeDecisionReport,
} from "../core/evaluation/like-decision.js";
import {
  type Split,
  splitAtGlobalQuantile,
  splitAtPerUserQuantile,
  splitByDate,
  splitRandomPairs,
} from "../core/evaluation/split.js";
import { compareWithTruth, type TruthReport } from "../core/evaluation/truth.js";
import { explainAffinity } from "../core/serving/recommend.js";
import { trueAffinity } from "../core/simulate/model.js";
import type { SimulationTruth } from "../core/simulate/types.js";
import { turnFromEvent } from "../core/voice/turn.js";
import { newModelVersion } from "../pipeline/model-files.js";
import { TrainingCancelledError, trainAndSaveOffThread } from "../pipeline/threads/train-threads.js";
import { playTableFromColumns } from "../pipeline/train.js";
import type { PlayEvent } from "../schema/events.js";
import type { EventStore } from "../store/event-store.js";
import type { ServiceContext } from "./context.js";
import { round6, type ServingModel, userFor } from "./serving-model.js";

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
  /** The top-N model recommend serves, in words ("ease (λ 200)"), or null when none was trained. */
  recommender: string | null;
  path: string;
  plays: number;
  users: number;
  items: number;
  seconds: number;
}

export interface TrainRunOptions {
  onProgress?: EvaluationProgress;
  /** Cancels the run: the training thread stops and the previous model stays current. */
  signal?: AbortSignal;
  /**
   * Runs store work that must not interleave with other writers (the server passes its store lock): the
   * read of the training window and the registration of the new version. Default: run it directly.
   */
  exclusive?: <T>(body: () => Promise<T>) => Promise<T>;
  /**
   * Build the new version for serving now (default), so this engine answers from it at once; false leaves
   * it for the first answer to load (a one-off `tastebud train` never serves).
   */
  serve?: boolean;
}

export interface FoldInAnswer {
  user: string;
  model: string;
  source: "folded-in";
  plays: number;
  unknownItems: number;
  items: number;
  ms: number;
}

/**
 * Play-duration affinity, the heart: train a model version from the stored plays, evaluate it on a split,
 * and answer how much a user will like an item, why, and (fold-in) what new plays change before retraining.
 */
export class AffinityService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Trains on every stored play, saves a new model version atomically and makes it current. The store is
   * read once, at the start (the training window); the training itself and the save run on a worker thread
   * (trainAndSaveOffThread), so this thread stays free to answer requests and the store to take writes,
   * which the next training sees. Aborting `signal` stops the thread and leaves the previous model current.
   */
  async train(config: TrainConfig, options: TrainRunOptions = {}): Promise<TrainResult> {
    const { store, modelsDir } = this.ctx;
    const { onProgress, signal } = options;
    const exclusive = options.exclusive ?? (<T>(body: () => Promise<T>) => body());
    const started = Date.now();
    onProgress?.("read store", 0, 1);
    const readAt = new Date().toISOString();
    // The training window: the plays are a snapshot the store takes without blocking writes (see
    // EventStore.scanPlays); the catalogue and the request log, small, are read under `exclusive`.
    const columns = await store.scanPlays();
    if (columns.userIndex.length === 0) throw new Error("the store holds no plays yet: ingest some first");
    const { catalogue, turns } = await exclusive(async () => ({
      catalogue: await store.getItems(),
      turns: (await store.scanRequests()).map(turnFromEvent),
    }));
    if (signal?.aborted) throw new TrainingCancelledError();
    const kinds = new Map(catalogue.map((i) => [i.id, i.kind]));
    onProgress?.("context priors", 0, 1);
    const contextPriors = ContextPriors.learn(contextObservations(turns, (id) => kinds.get(id)));
    const times = columns.endTimeMs;
    const summary = { plays: times.length, users: columns.users.length, items: columns.items.length };
    const dataWindow = {
      ...summary,
      from: times.length ? new Date(times[0]).toISOString() : null,
      to: times.length ? new Date(times[times.length - 1]).toISOString() : null,
      readAt,
    };
    const version = newModelVersion();
    // The play table's buffers move to the training thread; nothing below reads them.
    const { model, path, recommender } = await trainAndSaveOffThread(
      {
        plays: playTableFromColumns(columns),
        users: columns.users,
        items: columns.items,
        config,
        approximateAbove: this.ctx.models.approximateAbove,
        // Logged turns and the catalogue, for resolve's evidence-versus-prior fit (see ResolveBlend).
        resolveFit: turns.length ? { turns, catalogue } : undefined,
        save: {
          modelsDir,
          version,
          meta: { config, dataWindow, metrics: {} },
          extras: contextPriors.observations > 0 ? { contextPriors: contextPriors.toJSON() } : {},
        },
      },
      { onProgress, signal },
    );
    try {
      if (signal?.aborted) throw new TrainingCancelledError();
      onProgress?.("register model", 0, 1);
      await exclusive(() =>
        store.registerModel({ version, path, createdAt: new Date(), config, metrics: {}, isCurrent: true }),
      );
    } catch (err) {
      // Saved but never current: nothing may ever load it.
      rmSync(path, { recursive: true, force: true });
      throw err;
    }
    if (options.serve === false) this.ctx.models.forget();
    else {
      onProgress?.("load for serving", 0, 1);
      await this.ctx.models.install(path, model);
    }
    return { version, recommender, path, ...summary, seconds: (Date.now() - started) / 1000 };
  }

  /**
   * Trains again and again, for a trainer beside serving replicas: whenever `afterPlays` plays were stored
   * since the last training, or every `everyMs` when any were (and at once when the store has plays but no
   * model). Each model is registered current, which replicas following the store swap in. Stops when
   * `signal` aborts (a training under way finishes first) or after `maxTrainings`; returns how many ran.
   */
  async watch(
    config: TrainConfig,
    options: {
      afterPlays?: number;
      everyMs?: number;
      /** How often the store's play count is read (default 2 s). */
      pollMs?: number;
      maxTrainings?: number;
      signal?: AbortSignal;
      onTrained?: (result: TrainResult) => void;
      /** A failed training (the next one is tried at the next trigger); default: throw. */
      onError?: (error: unknown) => void;
    },
  ): Promise<number> {
    const { afterPlays, everyMs, signal } = options;
    const pollMs = options.pollMs ?? 2000;
    let trainings = 0;
    let lastCount = (await this.ctx.store.currentModel()) ? await this.ctx.store.countPlays() : 0;
    let lastMs = Date.now();
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      });
    while (!signal?.aborted && trainings < (options.maxTrainings ?? Number.POSITIVE_INFINITY)) {
      const count = await this.ctx.store.countPlays();
      const fresh = count - lastCount;
      const due =
        fresh > 0 &&
        (lastCount === 0 ||
          (afterPlays !== undefined && fresh >= afterPlays) ||
          (everyMs !== undefined && Date.now() - lastMs >= everyMs));
      if (due) {
        try {
          options.onTrained?.(await this.train(config, { serve: false }));
          trainings++;
        } catch (error) {
          if (!options.onError) throw error;
          options.onError(error);
        }
        lastCount = count;
        lastMs = Date.now();
      } else await sleep(pollMs);
    }
    return trainings;
  }

  /**
   * Trains on the training side of a split and scores the held-out side (see evaluateSplit). Given a
   * simulator's truth, also compares the learned ranking with the true affinities.
   */
  async evaluate(
    split: SplitSettings,
    config: TrainConfig,
    options: {
      withWrmf?: boolean;
      /** The served top-N model's selection settings, or false to leave it (and EASE / item-kNN) out. */
      topN?: EvaluationConfig["topN"];
      onProgress?: EvaluationProgress;
      truth?: SimulationTruth;
    } = {},
  ): Promise<EvaluationReport & { truth?: TruthReport }> {
    const { plays, users, items, cut } = await splitStoredPlays(this.ctx.store, split, config.bpr.seed);
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
        topN: options.topN ?? defaultEvaluationConfig.topN,
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

  /** The weighting ablation: the factorization alone under each weighting, over several seeds. */
  async ablation(
    split: SplitSettings,
    config: TrainConfig,
    seeds: number,
    onProgress?: (done: number, total: number, label: string) => void,
  ): Promise<AblationRow[]> {
    const { plays, users, items, cut } = await splitStoredPlays(this.ctx.store, split, config.bpr.seed);
    return runAblation(plays, users, items, cut, config, seeds, onProgress);
  }

  /**
   * "Will this user like this item" as a thresholded decision (issue 18): per seed, the model and a
   * bootstrap ensemble trained on the training side of the split, single threshold vs MIST vs EW-DPMT on
   * the held-out examples' calibration half, measured on their test half (see evaluateLikeDecision).
   */
  async evaluateLikeDecision(
    split: SplitSettings,
    config: TrainConfig,
    seeds: number[],
    options: Partial<Omit<LikeDecisionOptions, "seed" | "train">> = {},
    onProgress?: EvaluationProgress,
  ): Promise<LikeDecisionReport[]> {
    const { plays, users, items, cut } = await splitStoredPlays(this.ctx.store, split, config.bpr.seed);
    return seeds.map((seed, k) =>
      evaluateLikeDecision(
        plays,
        users,
        items,
        cut,
        { ...options, seed, train: config },
        (phase, done, total) =>
          onProgress?.(`seed ${seed} (${k + 1}/${seeds.length}): ${phase}`, done, total),
      ),
    );
  }

  /**
   * The probability that `user` plays each item past the threshold, with its parts. Unknown users get the
   * item's popularity prior and unknown items the global rate, each said in `source`.
   */
  async score(user: string, items: string[]): Promise<AffinityAnswer> {
    const current = await this.ctx.models.require();
    const state = userFor(current, user);
    return {
      user,
      model: current.manifest.version,
      items: items.map((item) => {
        const i = current.itemIndex.get(item) ?? -1;
        const s =
          state && i >= 0 ? scoreUserItem(current.model, state, i) : scoreAffinity(current.model, -1, i);
        return {
          item,
          affinity: round6(s.affinity),
          history: round6(s.history),
          mf: s.mf === null ? null : round6(s.mf),
          source: s.source,
        };
      }),
    };
  }

  /** Why this user gets this item's affinity: own history, the factorization, and the plays that pulled it up. */
  async explain(user: string, item: string) {
    const current = await this.ctx.models.require();
    const i = current.itemIndex.get(item) ?? -1;
    // userFor: a user's folded-in plays (an overlay since the model was trained) count here as in score.
    const e = explainAffinity(current.model, userFor(current, user), i);
    return {
      user,
      item,
      model: current.manifest.version,
      source: e.source,
      affinity: round6(e.affinity),
      history: { plays: e.history.plays, mean: round6(e.history.mean) },
      mf: e.mf === null ? null : round6(e.mf),
      becauseOf: e.becauseOf.map((b) => ({
        item: current.model.items[b.index],
        similarity: round6(b.similarity),
        history: round6(b.history),
        pull: round6(b.pull),
      })),
    };
  }

  /**
   * Folds a user's new plays into the served model without retraining: their history is extended and
   * their vector solved in closed form with the item factors fixed (see foldInUser). The model version
   * stays as it was; the result is an overlay on it, answered with source "folded-in", and dropped when
   * the next model (trained on the stored plays) is loaded. Plays of items the model does not know are
   * counted but cannot move the vector.
   */
  async foldIn(user: string, plays: readonly PlayEvent[]): Promise<FoldInAnswer> {
    const started = performance.now();
    const current = await this.ctx.models.require();
    const { overlay, unknownItems } = foldPlays(current, userFor(current, user), plays);
    current.overlays.set(user, overlay);
    return {
      user,
      model: current.manifest.version,
      source: "folded-in",
      plays: plays.length,
      unknownItems,
      items: overlay.items.length,
      ms: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }
}

/**
 * A user's state with these plays added to `base` (their overlay or trained row; null for a user the model
 * does not know), the vector solved again with the item factors fixed. Plays of items the model does not
 * know are counted in `unknownItems` and cannot move the vector.
 */
export function foldPlays(
  current: ServingModel,
  base: UserState | null,
  plays: readonly PlayEvent[],
): { overlay: UserState; unknownItems: number } {
  const cells = new Map<number, { sum: number; count: number }>();
  if (base) {
    for (let c = 0; c < base.items.length; c++)
      cells.set(base.items[c], { sum: base.sum[c], count: base.count[c] });
  }
  let unknownItems = 0;
  for (const play of plays) {
    const i = current.itemIndex.get(play.item);
    if (i === undefined) {
      unknownItems++;
      continue;
    }
    const cell = cells.get(i) ?? { sum: 0, count: 0 };
    cell.sum += playContribution(
      current.model.rule,
      play.playedMs,
      play.itemLengthMs ?? 0,
      play.weight ?? Number.NaN,
    );
    cell.count++;
    cells.set(i, cell);
  }
  const items = Int32Array.from([...cells.keys()].sort((a, b) => a - b));
  const history = {
    items,
    sum: Float32Array.from(items, (i) => cells.get(i)!.sum),
    count: Int32Array.from(items, (i) => cells.get(i)!.count),
  };
  return {
    overlay: { ...history, vector: foldInUser(current.model, history), source: "folded-in" },
    unknownItems,
  };
}

/** The stored plays as a table, cut into training and held-out sides as the split settings say. */
export async function splitStoredPlays(store: EventStore, split: SplitSettings, seed: number) {
  const columns = await store.scanPlays();
  if (columns.userIndex.length === 0) throw new Error("the store holds no plays yet: ingest some first");
  const plays = playTableFromColumns(columns);
  let cut: Split;
  if (split.splitDate !== undefined) cut = splitByDate(plays, Date.parse(split.splitDate));
  else if (split.splitPerUser !== undefined) cut = splitAtPerUserQuantile(plays, split.splitPerUser);
  else if (split.splitRandom !== undefined) cut = splitRandomPairs(plays, split.splitRandom, seed);
  else cut = splitAtGlobalQuantile(plays, split.split ?? 0.8);
  return { plays, users: columns.users, items: columns.items, cut };
}
