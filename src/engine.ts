import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { SplitSettings } from "./config.js";
import {
  type AffinityModel,
  type AffinitySource,
  scoreAffinity,
  scoreUserItem,
  type TrainConfig,
  trainAffinityModel,
  trainAffinityModelWith,
  type UserState,
  userState,
} from "./core/affinity/affinity-model.js";
import { playContribution } from "./core/affinity/cells.js";
import { foldInUser } from "./core/affinity/fold-in.js";
import {
  ContextPriors,
  type ContextPriorsJson,
  contextObservations,
  describeLifts,
} from "./core/context/index.js";
import { type AblationRow, runAblation } from "./core/evaluation/ablation.js";
import {
  defaultEvaluationConfig,
  type EvaluationProgress,
  type EvaluationReport,
  evaluateSplit,
} from "./core/evaluation/evaluate.js";
import {
  evaluateResolution,
  type ResolutionCase,
  type ResolutionReport,
} from "./core/evaluation/resolution.js";
import {
  type Split,
  splitAtGlobalQuantile,
  splitAtPerUserQuantile,
  splitByDate,
  splitRandomPairs,
  subsetPlays,
} from "./core/evaluation/split.js";
import { compareWithTruth, type TruthReport } from "./core/evaluation/truth.js";
import {
  type FailureBreakdown,
  FailurePointClassifier,
  failureBreakdown,
  turnCatalogue,
} from "./core/failures/index.js";
import { CatalogueIndex } from "./core/matching/index.js";
import {
  adjustResolvedCandidates,
  catalogueVocabulary,
  detectTeachableMoments,
  intersectMasks,
  type ListedPreference,
  listPreferences,
  mergePreference,
  type NowPlaying,
  type PreferenceContext,
  type PreferenceEffectSummary,
  type PreferenceFact,
  type PreferenceVocabulary,
  parsePreference,
  preferenceFactSchema,
  preferenceMasks,
  rerankWithPreferences,
  type TeachableMoment,
  toPreferenceFact,
} from "./core/preferences/index.js";
import { Random } from "./core/random.js";
import type {
  RewriteRule,
  RewriteStats,
  RewriteTable,
  RewriteTableOptions,
} from "./core/rewriting/markov.js";
import { mineRewrites } from "./core/rewriting/mine.js";
import type { OnlineRewriter } from "./core/rewriting/online/online-rewriter.js";
import { trainOnlineRewriter } from "./core/rewriting/online/train.js";
import { signalReasons } from "./core/rewriting/rephrase.js";
import { RewriteMonitor, type RewriteStatus } from "./core/rewriting/self-aware.js";
import {
  buildCatalogueView,
  type CatalogueView,
  filterMask,
  type ItemFilter,
} from "./core/serving/catalogue-view.js";
import { explainAffinity, recommendItems, type ServeSource } from "./core/serving/recommend.js";
import {
  type CandidateAdjuster,
  type ResolvedCandidate,
  type ResolveStrategy,
  rankCandidates,
  textCandidates,
} from "./core/serving/resolve.js";
import { simulateVoice } from "./core/simulate/index.js";
import { trueAffinity } from "./core/simulate/model.js";
import type { SimulationTruth } from "./core/simulate/types.js";
import { createTopN, similarItems, type TopN } from "./core/topn/index.js";
import { turnFromEvent } from "./core/voice/turn.js";
import {
  type IngestRunOptions,
  type IngestSummary,
  ingestIntoStore,
  ingestRequestsIntoStore,
} from "./pipeline/ingest.js";
import {
  loadModel,
  loadModelExtra,
  type ModelManifest,
  newModelVersion,
  saveModel,
} from "./pipeline/model-files.js";
import { loadCurrentRewriteTable, saveRewriteTable } from "./pipeline/rewrite-files.js";
import { playTableFromColumns, trainFactorsOnThreads } from "./pipeline/train.js";
import type { PlayContext, PlayEvent, RequestEvent } from "./schema/events.js";
import { DuckDbEventStore } from "./store/duckdb/duckdb-store.js";
import type { EventStore } from "./store/event-store.js";

export interface EngineOptions {
  /** Path of the embedded store file (created when missing), or ":memory:". */
  store: string;
  /** Folder of model versions; default `<store>.models` beside the store. */
  models?: string;
  /** Serve top-N from an approximate index (usearch HNSW) when the catalogue has more items (default 50,000). */
  approximateAbove?: number;
  /** Seed of the rewrite hold-out draws, for reproducible serving (default: the clock). */
  seed?: number;
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
  /** The serving model: replaced by one assignment, so a request that holds it finishes on it. */
  private loaded: ServingModel | null = null;
  private readonly preferenceCache = new Map<string, PreferenceFact[]>();
  /** The current rewrite table: undefined until first needed, null when none was built. */
  private rewrites: { version: string; table: RewriteTable; monitor: RewriteMonitor } | null | undefined;
  /** Draws the small hold-out share of requests served unrewritten (see RewriteMonitor). */
  private readonly holdoutDraws: Random;
  /** The online rewriter (global and personal layers), when enabled; it learns from observed turns. */
  private online: OnlineRewriter | null = null;

  private constructor(
    readonly store: EventStore,
    readonly modelsDir: string,
    private readonly approximateAbove: number,
    seed: number,
  ) {
    this.holdoutDraws = new Random(seed);
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const store = await DuckDbEventStore.open(options.store);
    // Absolute, so the registry's paths do not depend on where a later process starts.
    const modelsDir = resolve(
      options.models ??
        (options.store === ":memory:" ? join(process.cwd(), "tastebud.models") : `${options.store}.models`),
    );
    return new Engine(store, modelsDir, options.approximateAbove ?? 50_000, options.seed ?? Date.now() >>> 0);
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  ingest(paths: string[], options: IngestRunOptions): Promise<IngestSummary> {
    return ingestIntoStore(this.store, paths, options);
  }

  /** Reads request events (voice or text turns) from JSONL/JSON files into the store. */
  ingestRequests(
    paths: string[],
    options: Pick<IngestRunOptions, "rejectsPath" | "batchSize" | "onProgress">,
  ): Promise<IngestSummary> {
    return ingestRequestsIntoStore(this.store, paths, options);
  }

  /**
   * The offline rewrite batch (methods.md 2a): mines the stored request log for reformulations that turned
   * defective requests into successful ones and writes the table atomically as the current one. From then
   * on resolve rewrites a request that matches a source exactly, and says so.
   */
  async buildRewrites(
    options: { table?: Partial<RewriteTableOptions> & { sessionGapMs?: number }; top?: number } = {},
  ): Promise<{
    version: string;
    path: string;
    turns: number;
    defective: number;
    rules: number;
    stats: RewriteStats;
    top: RewriteRule[];
  }> {
    const turns = (await this.store.scanRequests()).map(turnFromEvent);
    if (turns.length === 0)
      throw new Error("the store holds no request events yet: ingest some with --requests");
    const { table, verdicts } = mineRewrites(turns, { table: options.table });
    const saved = saveRewriteTable(this.modelsDir, table);
    this.rewrites = { version: saved.version, table, monitor: RewriteMonitor.fromTable(table) };
    const top = [...table.rules].sort((a, b) => b.support - a.support || b.gain - a.gain);
    return {
      ...saved,
      turns: turns.length,
      defective: verdicts.filter((v) => v.defective).length,
      rules: table.size,
      stats: table.stats,
      top: top.slice(0, options.top ?? 20),
    };
  }

  /**
   * Turns on online rewriting (methods.md 2e): a global layer of frequent successful requests and
   * reformulations and a personal layer per user, learned from the stored request log, asked when the
   * rewrite table has no exact match. It keeps learning from the turns passed to observeTurn. Training
   * takes seconds on tens of thousands of turns, so servers enable it once at start.
   */
  async enableOnlineRewriting(): Promise<{ turns: number; rewriteGroups: number; keepGroups: number }> {
    const turns = (await this.store.scanRequests()).map(turnFromEvent);
    if (turns.length === 0)
      throw new Error("the store holds no request events yet: ingest some with --requests");
    const items = (await this.store.getItems()).map((i) => ({
      id: i.id,
      title: i.title,
      creators: i.creators,
      kind: i.kind,
      tags: i.tags,
    }));
    const trained = trainOnlineRewriter(turns, {
      catalogue: new CatalogueIndex(items),
      items,
      rewriter: { layers: { markov: false, global: true, personal: true } },
    });
    this.online = trained.rewriter;
    return { turns: turns.length, rewriteGroups: trained.rewriteGroups, keepGroups: trained.keepGroups };
  }

  /**
   * Learns from a turn as it happens: the online rewriter's personal layer, and the monitor of a table
   * rewrite (a turn with `rewrittenFrom` counts for the rewrite, one of its source for the hold-out; success
   * is no barge-in, error or short play).
   */
  observeTurn(event: RequestEvent): void {
    const turn = turnFromEvent(event);
    this.online?.observe(turn);
    const monitor = this.rewrites?.monitor;
    if (monitor) {
      const source = event.rewrittenFrom ?? event.text;
      if (monitor.status(source))
        monitor.record(
          source,
          event.rewrittenFrom !== undefined,
          signalReasons(turn, undefined).length === 0,
        );
    }
  }

  /** The current rewrite table (the newest built), or null. */
  async currentRewrites(): Promise<{ version: string; table: RewriteTable; monitor: RewriteMonitor } | null> {
    if (this.rewrites === undefined) {
      const loaded = loadCurrentRewriteTable(this.modelsDir);
      this.rewrites = loaded ? { ...loaded, monitor: RewriteMonitor.fromTable(loaded.table) } : null;
    }
    return this.rewrites;
  }

  /** How each live rewrite is doing against its hold-out (self-awareness, methods.md 2b). */
  async rewriteStatuses(): Promise<RewriteStatus[]> {
    return (await this.currentRewrites())?.monitor.statuses() ?? [];
  }

  /** Trains on every stored play, saves a new model version atomically and makes it current. */
  async train(config: TrainConfig, onProgress?: EvaluationProgress): Promise<TrainResult> {
    const started = Date.now();
    onProgress?.("read store", 0, 1);
    const columns = await this.store.scanPlays();
    if (columns.userIndex.length === 0) throw new Error("the store holds no plays yet: ingest some first");
    const plays = playTableFromColumns(columns);
    const model = await trainAffinityModelWith(
      trainFactorsOnThreads,
      plays,
      columns.users,
      columns.items,
      config,
      (phase, done, total) => onProgress?.(`train ${phase}`, done, total),
    );
    onProgress?.("context priors", 0, 1);
    const kinds = new Map((await this.store.getItems()).map((i) => [i.id, i.kind]));
    const turns = (await this.store.scanRequests()).map(turnFromEvent);
    const contextPriors = ContextPriors.learn(contextObservations(turns, (id) => kinds.get(id)));
    const version = newModelVersion();
    const times = columns.endTimeMs;
    const extras = contextPriors.observations > 0 ? { contextPriors: contextPriors.toJSON() } : {};
    const path = saveModel(
      this.modelsDir,
      version,
      model,
      {
        config,
        dataWindow: {
          plays: times.length,
          users: columns.users.length,
          items: columns.items.length,
          from: times.length ? new Date(times[0]).toISOString() : null,
          to: times.length ? new Date(times[times.length - 1]).toISOString() : null,
        },
        metrics: {},
      },
      extras,
    );
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

  /**
   * Resolution accuracy on held-out requests: train on the training side of the split, then resolve each
   * later request and check the top candidate against what was meant (the simulator's truth when given,
   * else the item the user went on to play).
   */
  async evaluateResolution(
    split: SplitSettings,
    config: TrainConfig,
    options: { truth?: SimulationTruth; onProgress?: EvaluationProgress } = {},
  ): Promise<ResolutionReport> {
    const { plays, users, items, cut } = await this.splitData(split, config.bpr.seed);
    const train = subsetPlays(plays, cut.isTrain, 1);
    const model = trainAffinityModel(train, users, items, config, (phase, done, total) =>
      options.onProgress?.(`train ${phase}`, done, total),
    );
    // A request is held out when it comes at or after its user's first held-out play.
    const firstHeldOut = new Map<string, number>();
    for (let r = 0; r < cut.isTrain.length; r++) {
      if (cut.isTrain[r]) continue;
      const user = users[plays.userIndex[r]];
      const t = plays.endTimeMs[r];
      if (t < (firstHeldOut.get(user) ?? Number.POSITIVE_INFINITY)) firstHeldOut.set(user, t);
    }
    const intended = new Map((options.truth?.requests ?? []).map((q) => [q.eventId, q.intendedItem]));
    const cases: ResolutionCase[] = [];
    for (const row of await this.store.scanPlayRequests()) {
      if (row.endTimeMs < (firstHeldOut.get(row.user) ?? Number.POSITIVE_INFINITY)) continue;
      cases.push({
        user: row.user,
        text: row.requestText,
        intended: (row.eventId && intended.get(row.eventId)) || row.item,
      });
    }
    const view = buildCatalogueView(model, await this.store.getItems());
    return evaluateResolution(model, view, new CatalogueIndex(view.all), cases, config.bpr.seed);
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

  /** The user as scoring sees them: a folded-in overlay, the model's own row, or null when unknown. */
  private userFor(current: ServingModel, user: string): UserState | null {
    const overlay = current.overlays.get(user);
    if (overlay) return overlay;
    const u = current.userIndex.get(user);
    return u === undefined ? null : userState(current.model, u);
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
    const current = await this.requireModel();
    const base = this.userFor(current, user);
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
    const overlay: UserState = {
      ...history,
      vector: foldInUser(current.model, history),
      source: "folded-in",
    };
    current.overlays.set(user, overlay);
    return {
      user,
      model: current.manifest.version,
      source: "folded-in",
      plays: plays.length,
      unknownItems,
      items: items.length,
      ms: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }

  /** Loads the store's current model with its catalogue (cached until the next train or reload). */
  async currentModel(): Promise<ServingModel | null> {
    if (this.loaded) return this.loaded;
    const entry = await this.store.currentModel();
    if (!entry) return null;
    this.loaded = await this.loadServing(entry.path);
    return this.loaded;
  }

  /** Re-reads the registry and swaps in its current model atomically (used after a train elsewhere). */
  async reloadModel(): Promise<ServingModel | null> {
    const entry = await this.store.currentModel();
    if (!entry) return null;
    if (this.loaded?.manifest.version !== entry.version) this.loaded = await this.loadServing(entry.path);
    return this.loaded;
  }

  private async loadServing(path: string): Promise<ServingModel> {
    // Versions registered by earlier releases may be relative to the store's folder.
    const found = isAbsolute(path) || existsSync(path) ? path : join(dirname(this.store.location), path);
    const { model, manifest } = loadModel(found);
    const priorsJson = loadModelExtra(found, manifest, "contextPriors") as ContextPriorsJson | null;
    const catalogue = await this.store.getItems();
    const view = buildCatalogueView(model, catalogue);
    return {
      model,
      manifest,
      view,
      matcher: new CatalogueIndex(view.all),
      topN: createTopN(model.factors, { approximateAbove: this.approximateAbove }),
      overlays: new Map(),
      contextPriors: priorsJson ? ContextPriors.fromJSON(priorsJson) : null,
      userIndex: new Map(model.users.map((u, k) => [u, k])),
      itemIndex: new Map(model.items.map((i, k) => [i, k])),
    };
  }

  private async requireModel(): Promise<ServingModel> {
    const current = await this.currentModel();
    if (!current) throw new NoModelError();
    return current;
  }

  /**
   * Ranks the candidate entities for a free-text request ("play hello by adele"), or for the given
   * candidate ids, by text match and then this user's affinity; each with a confidence and its reasons.
   */
  async resolve(user: string, request: string, options: ResolveOptions = {}): Promise<ResolveAnswer> {
    const current = await this.requireModel();
    const state = this.userFor(current, user);
    const now = options.timeMs ?? Date.now();
    let rewritten: { from: string; to: string; by: string } | null = null;
    if (options.rewrite !== false) {
      const rewrites = await this.currentRewrites();
      const rule = rewrites?.table.lookup(request);
      // A table rule is served unless its monitor withdrew it, or this request falls in the hold-out share.
      const decision = rule && rewrites ? rewrites.monitor.decide(request, this.holdoutDraws) : null;
      if (rule && decision === "rewrite") rewritten = { from: request, to: rule.rewrite, by: "markov" };
      else if (!rule && this.online) {
        const r = this.online.rewrite({ user, text: request, timeMs: now });
        if (r.rewritten && r.layer) rewritten = { from: request, to: r.text, by: r.layer };
      }
    }
    const text = rewritten ? rewritten.to : request;
    const candidates = textCandidates(current.matcher, text, options.candidates, options.limit ?? 10);
    const adjusters: CandidateAdjuster[] = [];
    if (options.context && current.contextPriors && options.useContext !== false) {
      adjusters.push(contextAdjuster(current.contextPriors, user, options.context, now));
    }
    const contextRanked = rankCandidates(
      current.model,
      current.view,
      state,
      candidates,
      options.strategy ?? "personal",
      Math.random,
      adjusters,
    );
    const facts = options.usePreferences === false ? [] : await this.preferenceFacts(user);
    const { candidates: ranked, blocked } = facts.length
      ? adjustResolvedCandidates(contextRanked, (id) => itemOf(current, id), facts, now, {
          request: text,
          context: preferenceContext(options.context),
        })
      : { candidates: contextRanked, blocked: [] };
    return {
      user,
      request,
      model: current.manifest.version,
      source: state?.source ?? "popularity",
      rewritten,
      candidates: ranked,
      blocked,
    };
  }

  /** Top-n items for a user; an unknown user gets the most played items (source popularity). */
  async recommend(user: string, options: RecommendRequest = {}): Promise<ItemListAnswer> {
    const current = await this.requireModel();
    const exclude = new Set<number>();
    if (Array.isArray(options.exclude)) {
      for (const id of options.exclude) {
        const i = current.itemIndex.get(id);
        if (i !== undefined) exclude.add(i);
      }
    }
    const n = options.n ?? 10;
    const now = options.timeMs ?? Date.now();
    const facts = options.usePreferences === false ? [] : await this.preferenceFacts(user);
    const context = options.useContext === false ? undefined : options.context;
    const masks = facts.length
      ? preferenceMasks(current.view.byModelIndex, facts, now, { context: preferenceContext(context) })
      : null;
    const allow = intersectMasks(filterMask(current.view, options.filter), masks?.allow ?? null);
    const priors = context ? current.contextPriors : null;
    // Preferences and context re-rank, so fetch more than n for them to choose from.
    const fetch = masks || priors ? Math.max(3 * n, n + 20) : n;
    const state = this.userFor(current, user);
    const query = {
      topN: current.topN,
      excludePlayed: (options.exclude ?? "played") === "played",
      exclude,
    };
    const result = recommendItems(current.model, state, { ...query, n: fetch, allow });
    let scored = result.items;
    if (masks?.boosted) {
      // "More jazz": the liked items beyond the plain top-n get their chance too.
      const boosted = recommendItems(current.model, state, {
        ...query,
        n: fetch,
        allow: intersectMasks(allow, masks.boosted),
      });
      const seen = new Set(scored.map((r) => r.index));
      scored = [...scored, ...boosted.items.filter((r) => !seen.has(r.index))];
    }
    const reranked = rerankWithPreferences(
      scored.map((r) => {
        const item = current.view.byModelIndex[r.index];
        const lift =
          priors && item ? priors.score(user, { kind: item.kind, item: item.id }, context, now) : null;
        return { ...r, score: r.score + (lift?.value ?? 0), context: lift };
      }),
      (r) => current.view.byModelIndex[r.index],
      facts,
      now,
      { context: preferenceContext(context) },
    );
    return {
      user,
      model: current.manifest.version,
      source: result.source,
      items: reranked.items.slice(0, n).map(({ entry: r, score, reasons }) =>
        describe(current, r.index, {
          affinity: round(r.affinity),
          score: round(score),
          ...(reasons.length ? { preferences: reasons } : {}),
          ...(r.context?.lifts.length
            ? { context: { value: round(r.context.value), detail: describeLifts(r.context.lifts) } }
            : {}),
        }),
      ),
      ...(masks ? { preferences: masks.effects } : {}),
    };
  }

  /** Items like this one (cosine of the factorization's item vectors); an unknown item gets popular ones. */
  async similar(item: string, options: { n?: number; filter?: ItemFilter } = {}): Promise<ItemListAnswer> {
    const current = await this.requireModel();
    const i = current.itemIndex.get(item);
    const n = options.n ?? 10;
    const allow = filterMask(current.view, options.filter);
    if (i === undefined) {
      const popular = recommendItems(current.model, null, { n, excludePlayed: false, allow });
      return {
        item,
        model: current.manifest.version,
        source: "unknown-item",
        items: popular.items.map((r) =>
          describe(current, r.index, { similarity: null, score: round(r.score) }),
        ),
      };
    }
    const similar = similarItems(current.model.factors, i, n, { allow: allow ?? undefined });
    return {
      item,
      model: current.manifest.version,
      source: "personal",
      items: Array.from(similar.items, (j, r) =>
        describe(current, j, { similarity: round(similar.scores[r]), score: round(similar.scores[r]) }),
      ),
    };
  }

  /** A user's live preference facts, cached: this process is the store's only writer. */
  private async preferenceFacts(user: string): Promise<PreferenceFact[]> {
    let facts = this.preferenceCache.get(user);
    if (!facts) {
      facts = (await this.store.listPreferences(user)).map((r) => preferenceFactSchema.parse(r.fact));
      this.preferenceCache.set(user, facts);
    }
    return facts;
  }

  /** The vocabulary preference statements are read against: the served catalogue, or the stored one. */
  private async preferenceVocabulary(): Promise<PreferenceVocabulary> {
    const current = await this.currentModel();
    if (current) {
      current.vocabulary ??= catalogueVocabulary(current.view.all, { index: current.matcher });
      return current.vocabulary;
    }
    return catalogueVocabulary(await this.store.getItems());
  }

  /**
   * Reads a taste statement ("I don't like country", "more Adele", "never play Christmas songs") into
   * preference facts, stores them (a newer statement about the same thing replaces the older one) and
   * applies them from the very next resolve and recommend.
   */
  async teachPreference(
    user: string,
    text: string,
    options: { nowMs?: number; nowPlaying?: NowPlaying; timeZoneOffsetMinutes?: number } = {},
  ): Promise<{ facts: ListedPreference[]; replaced: string[] } | { error: string }> {
    const now = options.nowMs ?? Date.now();
    const parsed = parsePreference(text, now, await this.preferenceVocabulary(), options);
    if ("error" in parsed) return parsed;
    let facts = await this.preferenceFacts(user);
    const added: PreferenceFact[] = [];
    const replaced: string[] = [];
    for (const draft of parsed.facts) {
      const fact = toPreferenceFact(user, draft);
      const merged = mergePreference(facts, fact);
      for (const old of merged.replaced) {
        await this.store.removePreference(user, old.id);
        replaced.push(old.id);
      }
      await this.store.addPreference({ id: fact.id, user, createdAtMs: fact.createdAtMs, fact });
      facts = merged.facts;
      added.push(fact);
    }
    this.preferenceCache.set(user, facts);
    const listed = listPreferences(added, now);
    return { facts: listed, replaced };
  }

  /** A user's taught preferences, newest first, each with whether it still applies. */
  async listPreferences(user: string, options: { includeExpired?: boolean; nowMs?: number } = {}) {
    return listPreferences(await this.preferenceFacts(user), options.nowMs ?? Date.now(), options);
  }

  /** Forgets one taught preference; false when the user has no such fact. */
  async removePreference(user: string, id: string): Promise<boolean> {
    const removed = await this.store.removePreference(user, id);
    this.preferenceCache.delete(user);
    return removed;
  }

  /**
   * Moments in a user's recent turns where asking "should I remember that?" makes sense: the same request
   * repeated, or explicit dissatisfaction ("no, not that one").
   */
  async teachableMoments(
    user: string,
    options: { nowMs?: number; windowMs?: number } = {},
  ): Promise<TeachableMoment[]> {
    const now = options.nowMs ?? Date.now();
    const windowMs = options.windowMs ?? 30 * 60_000;
    const turns = (await this.store.scanRequests({ fromMs: now - windowMs, toMs: now + 1, user })).map(
      turnFromEvent,
    );
    const current = await this.currentModel();
    return detectTeachableMoments(turns, now, {
      describeItem: current
        ? (id: string) => {
            const item = itemOf(current, id);
            return item ? { title: item.title, creators: item.creators } : null;
          }
        : undefined,
    });
  }

  /**
   * Which stage of the voice pipeline fails most, per intent and device, over the stored request log
   * (failure point isolation, methods.md 3). Labels come from a classifier trained on turns whose failure
   * points are known: given, or trained here on a simulated assistant (logs carry no such labels).
   */
  async failureReport(
    options: {
      classifier?: FailurePointClassifier;
      window?: { fromMs?: number; toMs?: number };
      seed?: number;
    } = {},
  ): Promise<FailureBreakdown & { classifier: "given" | "simulated"; labelled: Record<string, number> }> {
    const turns = (await this.store.scanRequests(options.window)).map(turnFromEvent);
    if (turns.length === 0)
      throw new Error("the store holds no request events yet: ingest some with --requests");
    const catalogue = turnCatalogue(await this.store.getItems());
    let classifier = options.classifier;
    if (!classifier) {
      const world = simulateVoice({ seed: options.seed ?? 1, users: 400, days: 14 });
      const simTurns = world.requests.map(turnFromEvent);
      classifier = FailurePointClassifier.train(
        simTurns,
        world.truth.map((t) => t.label),
        turnCatalogue(world.catalogue.map((c) => ({ id: c.id, title: c.title, kind: c.kind }))),
      );
    }
    const labels = classifier.predict(turns, catalogue);
    const labelled: Record<string, number> = {};
    for (const l of labels) labelled[l] = (labelled[l] ?? 0) + 1;
    return {
      ...failureBreakdown(turns, labels),
      classifier: options.classifier ? "given" : "simulated",
      labelled,
    };
  }

  /** Why this user gets this item's affinity: own history, the factorization, and the plays that pulled it up. */
  async explain(user: string, item: string) {
    const current = await this.requireModel();
    const u = current.userIndex.get(user) ?? -1;
    const i = current.itemIndex.get(item) ?? -1;
    const e = explainAffinity(current.model, u, i);
    return {
      user,
      item,
      model: current.manifest.version,
      source: e.source,
      affinity: round(e.affinity),
      history: { plays: e.history.plays, mean: round(e.history.mean) },
      mf: e.mf === null ? null : round(e.mf),
      becauseOf: e.becauseOf.map((b) => ({
        item: current.model.items[b.index],
        similarity: round(b.similarity),
        history: round(b.history),
        pull: round(b.pull),
      })),
    };
  }

  /**
   * The probability that `user` plays each item past the threshold, with its parts. Unknown users get the
   * item's popularity prior and unknown items the global rate, each said in `source`.
   */
  async affinity(user: string, items: string[]): Promise<AffinityAnswer> {
    const current = await this.requireModel();
    const state = this.userFor(current, user);
    return {
      user,
      model: current.manifest.version,
      items: items.map((item) => {
        const i = current.itemIndex.get(item) ?? -1;
        const s =
          state && i >= 0 ? scoreUserItem(current.model, state, i) : scoreAffinity(current.model, -1, i);
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

/** No model has been trained on this store yet. */
export class NoModelError extends Error {
  constructor() {
    super("no trained model yet: run `tastebud train` first");
    this.name = "NoModelError";
  }
}

export interface ServingModel {
  model: AffinityModel;
  manifest: ModelManifest;
  view: CatalogueView;
  matcher: CatalogueIndex;
  /** Top-N searcher: an exact scan, or an approximate index above the configured catalogue size. */
  topN: TopN;
  /** Users folded in since this model was trained (an overlay; the model itself is never changed). */
  overlays: Map<string, UserState>;
  /** Learned from logged turns at training time; null when the store had none with a context. */
  contextPriors: ContextPriors | null;
  /** Built at the first taught preference. */
  vocabulary?: PreferenceVocabulary;
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
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

export interface ResolveOptions {
  /** Rank these item ids instead of searching the catalogue. */
  candidates?: string[];
  limit?: number;
  /** "personal" (default); "popularity" and "random" are the baselines the evaluation compares with. */
  strategy?: ResolveStrategy;
  /** Where the request was made; learned context priors weigh the candidates' kinds and items. */
  context?: PlayContext;
  /** When the request was made (default now), for time of day and day of week. */
  timeMs?: number;
  /** false ranks without context priors (the evaluation's baseline). */
  useContext?: boolean;
  /** false ignores the user's taught preferences. */
  usePreferences?: boolean;
  /** false resolves the text as given, without the rewrite table or the online rewriter. */
  rewrite?: boolean;
}

export interface ResolveAnswer {
  user: string;
  request: string;
  model: string;
  source: ServeSource;
  /** How the request was rewritten before resolution (by: markov, global or personal); null = not rewritten. */
  rewritten: null | { from: string; to: string; by: string };
  candidates: ResolvedCandidate[];
  /** Candidates a taught "never" rules out even when named; an application may ask "play it anyway?". */
  blocked: ResolvedCandidate[];
}

export interface RecommendRequest {
  n?: number;
  /** "played" (default) leaves out what the user played; a list leaves out those ids; "none" keeps all. */
  exclude?: "played" | "none" | string[];
  filter?: ItemFilter;
  context?: PlayContext;
  /** When (default now): for context priors and preference scopes and expiry. */
  timeMs?: number;
  useContext?: boolean;
  usePreferences?: boolean;
}

export interface ItemListAnswer {
  user?: string;
  item?: string;
  model: string;
  source: ServeSource;
  items: Array<
    { item: string; title: string; creators: readonly string[]; kind: string } & Record<string, unknown>
  >;
  /** What each taught preference did to this answer. */
  preferences?: PreferenceEffectSummary[];
}

function itemOf(current: ServingModel, id: string) {
  const at = current.view.byId.get(id);
  return at === undefined ? null : current.view.all[at];
}

function preferenceContext(context: PlayContext | undefined): PreferenceContext | undefined {
  if (!context) return undefined;
  return { deviceType: context.deviceType, activity: context.activity };
}

function contextAdjuster(
  priors: ContextPriors,
  user: string,
  context: PlayContext,
  timeMs: number,
): CandidateAdjuster {
  return (c) => {
    const { value, lifts } = priors.score(user, { kind: c.kind, item: c.item }, context, timeMs);
    if (lifts.length === 0) return null;
    return { value, reasons: [{ factor: "context", value: round(value), detail: describeLifts(lifts) }] };
  };
}

function describe(current: ServingModel, index: number, extra: Record<string, unknown>) {
  const entry = current.view.byModelIndex[index];
  return {
    item: current.model.items[index],
    title: entry?.title ?? current.model.items[index],
    creators: entry?.creators ?? [],
    kind: entry?.kind ?? "other",
    ...extra,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
