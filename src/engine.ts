import { resolve } from "node:path";
import type { EventBus } from "./bus/event-bus.js";
import { openEventBus } from "./bus/open-bus.js";
import { Random } from "./core/random.js";
import { removeAbandonedTemporaries } from "./pipeline/model-files.js";
import { rewritesDir } from "./pipeline/rewrite-files.js";
import { AffinityService } from "./services/affinity.js";
import type { ServiceContext } from "./services/context.js";
import { DirectedService } from "./services/directed.js";
import { EventsService } from "./services/events.js";
import { FavouritesService } from "./services/favourites.js";
import { HomeService } from "./services/home.js";
import { evaluationsDir, InsightsService } from "./services/insights.js";
import { PlaylistsService } from "./services/playlists.js";
import { PreferencesService } from "./services/preferences.js";
import { type PrivacyModeOptions, PrivacyService } from "./services/privacy.js";
import { RecommendService } from "./services/recommend.js";
import { ReplicationService } from "./services/replication.js";
import { RewritesService } from "./services/rewrites.js";
import { ServingModels } from "./services/serving-model.js";
import { VoiceService } from "./services/voice.js";
import type { EventStore } from "./store/event-store.js";
import { besideStore, openEventStore } from "./store/open-store.js";

export type { AffinityAnswer, FoldInAnswer, TrainResult } from "./services/affinity.js";
export type { ItemListAnswer, RecommendRequest } from "./services/recommend.js";
export { NoModelError, type ServingModel } from "./services/serving-model.js";
export type { ResolveAnswer, ResolveOptions } from "./services/voice.js";

export interface EngineOptions {
  /**
   * Path of the embedded store file (created when missing), ":memory:", or a `postgres://user@host/db` URL
   * of a PostgreSQL database that several processes share (tables created when missing).
   */
  store: string;
  /** Folder of model versions; default `<store>.models` beside a store file, `./tastebud.models` otherwise. */
  models?: string;
  /** Serve top-N from an approximate index (usearch HNSW) when the catalogue has more items (default 50,000). */
  approximateAbove?: number;
  /** Most users folded in between trainings kept in memory, least recently used dropped first (default 50,000). */
  maxFoldedInUsers?: number;
  /** Seed of the rewrite hold-out draws, for reproducible serving (default: the clock). */
  seed?: number;
  /** Privacy mode: perturb request text before it is stored, and keep each user's budget. */
  privacy?: PrivacyModeOptions;
  /**
   * Swap in each model another process makes current, as the store announces it (a shared PostgreSQL
   * store; a store one process owns has no other trainer). What a serving replica sets.
   */
  followModels?: boolean;
  /**
   * The bus replicas share (`nats://host:port[/STREAM]`, or an EventBus): what this engine accepts is
   * published, and what the others publish is applied once `replication.start()` runs. None: one process.
   */
  bus?: string | EventBus;
}

/**
 * The library's face: a store, its current model, and one service per capability over them. CLI, HTTP and
 * web are thin adapters over this. A new capability is a service in src/services/ and one line here.
 */
export class Engine {
  /** Getting plays and request events in from files. */
  readonly events: EventsService;
  /** Play-duration affinity: train, evaluate, score, explain, fold-in. */
  readonly affinity: AffinityService;
  /** What users teach in words, and when to ask. */
  readonly preferences: PreferencesService;
  /** Top-n for a user, and items like an item. */
  readonly recommend: RecommendService;
  /** The rewrite table, online rewriting and its monitor. */
  readonly rewrites: RewritesService;
  /** Resolving voice requests, and where the voice pipeline fails. */
  readonly voice: VoiceService;
  /** Which new items become favourites, learned from labels that arrive late (eval --delayed). */
  readonly favourites: FavouritesService;
  /** What the engine knows, for the dashboard: overview, histories, item map, evaluation records. */
  readonly insights: InsightsService;
  /** Taste space (similar creators and listeners, profiles) and playlists: discover, mix, radio. */
  readonly playlists: PlaylistsService;
  /** Home shelves from a bandit policy that learns from impressions and feedback. */
  readonly home: HomeService;
  /** Directed related items: what follows an item (plays-next or any edge list), source/target embeddings. */
  readonly directed: DirectedService;
  /** Publishing what this replica accepted and applying what the others did (a no-op without a bus). */
  readonly replication: ReplicationService;

  /** The store's model announcements this engine follows (followModels), closed with it. */
  private watcher: { close(): Promise<void> } | null = null;

  private constructor(
    private readonly ctx: ServiceContext,
    /** Privacy mode's perturbation and budget ledger; null when request text is stored as given. */
    readonly privacy: PrivacyService | null = null,
    bus: EventBus | null = null,
  ) {
    this.affinity = new AffinityService(ctx);
    this.preferences = new PreferencesService(ctx);
    this.recommend = new RecommendService(ctx, this.preferences);
    this.rewrites = new RewritesService(ctx);
    this.voice = new VoiceService(ctx, this.rewrites, this.preferences);
    this.favourites = new FavouritesService(ctx);
    this.insights = new InsightsService(ctx, this.voice);
    this.playlists = new PlaylistsService(ctx, this.preferences);
    this.home = new HomeService(ctx);
    this.directed = new DirectedService(ctx);
    this.replication = new ReplicationService(bus, ctx.models, {
      preferences: this.preferences,
      rewrites: this.rewrites,
      home: this.home,
    });
    this.events = new EventsService(ctx, privacy, this.replication);
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const store = await openEventStore(options.store);
    // Absolute, so the registry's paths do not depend on where a later process starts.
    const modelsDir = resolve(options.models ?? besideStore(options.store, ".models"));
    let privacy: PrivacyService | null = null;
    let bus: EventBus | null = null;
    try {
      // What crashed saves left behind (never a save another process is still writing).
      for (const dir of [modelsDir, rewritesDir(modelsDir), evaluationsDir(modelsDir)])
        removeAbandonedTemporaries(dir);
      privacy = options.privacy ? await PrivacyService.open(store, options.privacy) : null;
      if (options.bus) bus = typeof options.bus === "string" ? await openEventBus(options.bus) : options.bus;
    } catch (err) {
      await store.close();
      throw err;
    }
    const engine = new Engine(
      {
        store,
        modelsDir,
        models: new ServingModels(
          store,
          options.approximateAbove ?? 50_000,
          options.maxFoldedInUsers,
          modelsDir,
        ),
        draws: new Random(options.seed ?? Date.now() >>> 0),
      },
      privacy,
      bus,
    );
    if (options.followModels && store.watchModels) {
      // A swap builds the new model while the old one answers (ServingModels), so following never stalls
      // serving; a failed load leaves the previous model current, and the next announcement tries again.
      engine.watcher = await store.watchModels(() => {
        engine.models.reload().catch(() => {});
      });
    }
    return engine;
  }

  /** The event store this engine opened (and closes). */
  get store(): EventStore {
    return this.ctx.store;
  }

  /** Folder of model versions. */
  get modelsDir(): string {
    return this.ctx.modelsDir;
  }

  /** The current model as serving holds it: current(), reload() after a train elsewhere, require(). */
  get models(): ServingModels {
    return this.ctx.models;
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    await this.replication.close();
    await this.home.flush();
    await this.rewrites.flush();
    await this.ctx.models.close();
    await this.ctx.store.close();
  }
}
