import { existsSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { LRUCache } from "lru-cache";
import { type AffinityModel, type UserState, userState } from "../core/affinity/affinity-model.js";
import { ContextPriors, type ContextPriorsJson } from "../core/context/index.js";
import { CatalogueIndex } from "../core/matching/index.js";
import type { PreferenceVocabulary } from "../core/preferences/index.js";
import type { TopNModel } from "../core/recommend/index.js";
import { buildCatalogueView, type CatalogueView, type ServingItem } from "../core/serving/catalogue-view.js";
import { defaultResolveBlend, type ResolveBlend } from "../core/serving/resolve-blend.js";
import { createTopN, type TopN } from "../core/topn/index.js";
import type { ModelManifest } from "../pipeline/model-files.js";
import { approximateTopNOffThread } from "../pipeline/threads/topn-threads.js";
import { VersionReader } from "../pipeline/threads/version-reader.js";
import { indexInTurns } from "../pipeline/threads/version-transfer.js";
import type { EventStore, ModelRegistryEntry } from "../store/event-store.js";

/**
 * Folded-in users kept per model by default. An overlay of a user with h distinct items and f factors is
 * h·12 + f·4 bytes of arrays plus some 500 bytes of array objects and cache entry: 50,000 users of 50
 * items and 64 factors come to some 70 MB, about what a server should spend on them beside its model.
 */
export const defaultMaxFoldedInUsers = 50_000;

/**
 * The share of one core a replica's read of a new version may take while the old one answers
 * (CpuPacer). A quarter turns a local read of about 0.2 s of work into about a second, which is still
 * far inside what a swap may take (a fetch from the store took 2-7 s).
 */
export const SWAP_READ_CPU_SHARE = 0.25;

/** Swaps a replica keeps for its serving page: enough to see the last trainer runs' pattern, a few kB. */
export const RECENT_SWAPS_KEPT = 20;

/**
 * One version this process put into service, and what it took: the time from the request (a train here
 * finishing, the registry announcing a new current version, the first request at start) to the first
 * answer from the new version, and the reading thread's share of it.
 */
export interface ModelSwap {
  version: string;
  /** The version it replaced (null for the first one this process served). */
  previous: string | null;
  /** "trained-here": this process trained it; "registry": read as the registry's current version. */
  cause: "trained-here" | "registry";
  /** When the swap was asked for (epoch ms). */
  requestedAtMs: number;
  /** When its work began: later than requested when it queued behind another swap. */
  startedAtMs: number;
  /** When the new version began answering. */
  servingAtMs: number;
  /** The reading thread's read of the version's files and catalogue (VersionReader), ms. */
  readMs: number;
}

/** What a swap's steps record of themselves on the way (the read's time lives inside load). */
interface SwapTiming {
  startedAtMs: number;
  readMs: number;
}

/** No model has been trained on this store yet. */
export class NoModelError extends Error {
  constructor() {
    super("no trained model yet: run `tastebud train` first");
    this.name = "NoModelError";
  }
}

/** A trained model as serving holds it: the factors, the catalogue beside them, and what answers need fast. */
export interface ServingModel {
  model: AffinityModel;
  manifest: ModelManifest;
  view: CatalogueView;
  matcher: CatalogueIndex;
  /** The view's matchableDigest when the reading thread made it (null for a view built here). */
  matchableDigest: string | null;
  /** Top-N searcher: an exact scan, or an approximate index above the configured catalogue size. */
  topN: TopN;
  /** The top-N model recommend serves; null for versions without one (recommend then ranks by affinity). */
  recommender: TopNModel | null;
  /**
   * Users folded in since this model was trained (an overlay; the model itself is never changed), the
   * most recently used ones up to a cap: every new user id that sends a play gets one, so unbounded it
   * grows with the traffic. An evicted user is answered as the model knows them (their trained row, or as
   * an unknown user); their plays are in the store, and count again at the next training.
   */
  overlays: LRUCache<string, UserState>;
  /** Resolve's evidence-versus-prior weights, fitted on logged turns at training (default when none). */
  resolveBlend: ResolveBlend;
  /** Learned from logged turns at training time; null when the store had none with a context. */
  contextPriors: ContextPriors | null;
  /** Built at the first taught preference. */
  vocabulary?: PreferenceVocabulary;
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
}

/**
 * The store's current model, loaded once and shared by every service. A new model replaces the old one by
 * a single assignment once it is completely built (catalogue, matcher, top-N index), and the old one keeps
 * answering meanwhile, so a swap never makes requests wait; a request that holds the old one finishes on it.
 */
export class ServingModels {
  private loaded: ServingModel | null = null;
  /** The model being built to replace `loaded` (one at a time; later swaps queue behind it). */
  private swapping: Promise<ServingModel | null> | null = null;
  /** Called with each newly loaded model just before it starts answering (see onInstall). */
  private readonly installHooks: Array<(model: ServingModel) => void> = [];
  /** One thread reads every version this process swaps in (see VersionReader). */
  private readonly reader = new VersionReader();
  /** The latest RECENT_SWAPS_KEPT swaps, oldest first. */
  private readonly swaps: ModelSwap[] = [];

  constructor(
    private readonly store: EventStore,
    /** Catalogues above this size are served by an approximate index (and get no top-N model). */
    readonly approximateAbove: number,
    /** Most folded-in users kept per model (the least recently used go first). */
    readonly maxFoldedInUsers = defaultMaxFoldedInUsers,
    /** Where a version registered on another machine is written when the store holds its files. */
    private readonly modelsDir?: string,
  ) {}

  /** Loads the store's current model with its catalogue (cached until the next train or reload). */
  async current(): Promise<ServingModel | null> {
    if (this.loaded) return this.loaded;
    if (this.swapping) return this.swapping;
    return this.swap("registry", async (timing) => {
      const entry = await this.store.currentModel();
      return entry ? this.load(await this.localPath(entry), timing) : null;
    });
  }

  /** The current model, or NoModelError for the caller to answer "train first". */
  async require(): Promise<ServingModel> {
    const current = await this.current();
    if (!current) throw new NoModelError();
    return current;
  }

  /** Re-reads the registry and swaps in its current model (used after a train elsewhere). */
  async reload(): Promise<ServingModel | null> {
    return this.swap("registry", async (timing) => {
      const entry = await this.store.currentModel();
      if (!entry) return null;
      return this.loaded?.manifest.version === entry.version
        ? this.loaded
        : this.load(await this.localPath(entry), timing);
    });
  }

  /**
   * The folder of a registered version on this machine: its registered path when that exists here,
   * otherwise `<modelsDir>/<version>`, written from the store's copy of its files (a shared store keeps
   * them, see EventStore.materializeModel) the first time.
   */
  private async localPath(entry: ModelRegistryEntry): Promise<string> {
    if (existsSync(entry.path) || !this.store.materializeModel || !this.modelsDir) return entry.path;
    const local = join(this.modelsDir, entry.version);
    if (!existsSync(local)) await this.store.materializeModel(entry.version, local);
    return local;
  }

  /** Swaps in a version just trained and registered, from the model in memory (its folder gives the rest). */
  async install(path: string, model: AffinityModel): Promise<ServingModel> {
    const installed = await this.swap("trained-here", (timing) => this.load(path, timing, model));
    if (!installed) throw new Error(`model at ${path} could not be loaded`);
    return installed;
  }

  /**
   * Runs `hook` on every newly loaded model before it replaces the current one (synchronously, so the
   * first request it answers already sees what the hook set up: the replicated fold-ins).
   */
  onInstall(hook: (model: ServingModel) => void): void {
    this.installHooks.push(hook);
  }

  /** The latest swaps this process made (at most RECENT_SWAPS_KEPT), oldest first. */
  recentSwaps(): readonly ModelSwap[] {
    return this.swaps;
  }

  /** Whether a new version is being read and built now (the current one answers meanwhile). */
  get swapInProgress(): boolean {
    return this.swapping !== null;
  }

  /** Ends the thread that reads versions (a later swap would start another). */
  async close(): Promise<void> {
    await this.reader.close();
  }

  /** Drops the cached model, so the next answer loads what the registry names current. */
  forget(): void {
    this.loaded = null;
  }

  private swap(
    cause: ModelSwap["cause"],
    next: (timing: SwapTiming) => Promise<ServingModel | null>,
  ): Promise<ServingModel | null> {
    const requestedAtMs = Date.now();
    const timing: SwapTiming = { startedAtMs: requestedAtMs, readMs: 0 };
    const previous = this.swapping ?? Promise.resolve(null);
    const swapping = previous
      .catch(() => null)
      .then(() => {
        timing.startedAtMs = Date.now();
        return next(timing);
      })
      .then((model) => {
        if (model && model !== this.loaded) {
          for (const hook of this.installHooks) {
            try {
              hook(model);
            } catch {
              // A hook's failure (a replicated fold-in it could not redo) must never keep a model out.
            }
          }
          const replaced = this.loaded;
          this.loaded = model;
          this.swaps.push({
            version: model.manifest.version,
            previous: replaced?.manifest.version ?? null,
            cause,
            requestedAtMs,
            startedAtMs: timing.startedAtMs,
            servingAtMs: Date.now(),
            readMs: timing.readMs,
          });
          if (this.swaps.length > RECENT_SWAPS_KEPT) this.swaps.shift();
        }
        return model;
      })
      .finally(() => {
        if (this.swapping === swapping) this.swapping = null;
      });
    this.swapping = swapping;
    return swapping;
  }

  private async load(path: string, timing: SwapTiming, trained?: AffinityModel): Promise<ServingModel> {
    // Versions registered by earlier releases may be relative to the store's folder.
    const found = isAbsolute(path) || existsSync(path) ? path : join(dirname(this.store.location), path);
    // The files (tens of MB for an item-item top-N model) are read on a worker, so the version answering
    // meanwhile is never held up by this one's disk reads; so is the catalogue where the store lets a
    // thread read it (parsing its rows and aligning them with the model took some 0.2 s of this thread
    // for 3,000 items under load).
    const source = this.store.catalogueSource;
    const readStartedMs = performance.now();
    const files = await this.reader.read({
      dir: found,
      withModel: !trained,
      // With a version answering, the read is kept to a share of a core; with none, nothing waits on
      // its requests, only for the model, so it goes as fast as it can.
      ...(this.loaded ? { cpuShare: SWAP_READ_CPU_SHARE } : {}),
      extras: ["contextPriors", "resolveBlend"],
      ...(source ? { catalogue: { source, ...(trained ? { modelItems: trained.items } : {}) } } : {}),
    });
    timing.readMs = performance.now() - readStartedMs;
    const model = trained ?? files.model;
    if (!model) throw new Error(`model at ${found} could not be read`);
    const priorsJson = files.extras.contextPriors as ContextPriorsJson | null;
    const view = files.view ?? buildCatalogueView(model, await this.store.getItems());
    const matcher = this.matcherFor(view, files.viewDigest);
    const topN = await this.topNFor(model, found);
    // A model read by the reader comes with its maps, built a bounded number of ids a turn; one just
    // trained here gets them the same way.
    const userIndex = files.modelIndex?.users ?? (await indexInTurns(model.users));
    const itemIndex = files.modelIndex?.items ?? (await indexInTurns(model.items));
    return {
      model,
      manifest: files.manifest,
      view,
      matcher,
      matchableDigest: files.viewDigest,
      topN,
      recommender: files.recommender,
      resolveBlend:
        (files.extras.resolveBlend as { blend: ResolveBlend } | null)?.blend ?? defaultResolveBlend,
      // Bounded by a size of one per user rather than by `max`: with `max` the cache allocates its
      // 50,000 slots at once, 30-90 ms of the serving thread in one turn at every swap (load 30).
      overlays: new LRUCache({ maxSize: this.maxFoldedInUsers, sizeCalculation: () => 1 }),
      contextPriors: priorsJson ? ContextPriors.fromJSON(priorsJson) : null,
      userIndex,
      itemIndex,
    };
  }

  /**
   * The request matcher of a catalogue view: the current version's when the new view lists the same
   * items (the usual case: a retraining on the same catalogue): building one is the one step of a swap
   * that grows with the catalogue and still runs on this thread (about a second for 100k items). Views
   * read on the reading thread come with a digest of what the matcher reads, so the check costs nothing
   * here; others are compared item by item.
   */
  private matcherFor(view: CatalogueView, digest: string | null): CatalogueIndex {
    const previous = this.loaded;
    if (previous) {
      const same =
        digest !== null && previous.matchableDigest !== null
          ? digest === previous.matchableDigest
          : sameMatchableItems(previous.view.all, view.all);
      if (same) return previous.matcher;
    }
    return new CatalogueIndex(view.all);
  }

  /**
   * Exact scans up to `approximateAbove` items; above, the approximate index, built on a worker thread
   * and kept in the version's folder (approximateTopNOffThread). Where that folder cannot take the file,
   * the index is built here, as before: slower to swap in, but the model serves.
   */
  private async topNFor(model: AffinityModel, dir: string): Promise<TopN> {
    if (!(model.factors.nItems > this.approximateAbove))
      return createTopN(model.factors, { approximateAbove: this.approximateAbove });
    try {
      return await approximateTopNOffThread(model.factors, dir);
    } catch {
      return createTopN(model.factors, { approximateAbove: this.approximateAbove });
    }
  }
}

/** Whether a matcher built on `a` answers as one built on `b` would (it reads ids, titles, creators, kinds). */
function sameMatchableItems(a: readonly ServingItem[], b: readonly ServingItem[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x.id !== y.id || x.title !== y.title || x.kind !== y.kind) return false;
    if (x.creators.length !== y.creators.length || x.creators.some((c, k) => c !== y.creators[k]))
      return false;
  }
  return true;
}

/** The user as scoring sees them: a folded-in overlay, the model's own row, or null when unknown. */
export function userFor(current: ServingModel, user: string): UserState | null {
  const overlay = current.overlays.get(user);
  if (overlay) return overlay;
  const u = current.userIndex.get(user);
  return u === undefined ? null : userState(current.model, u);
}

export function itemOf(current: ServingModel, id: string) {
  const at = current.view.byId.get(id);
  return at === undefined ? null : current.view.all[at];
}

/** What every answer says of an item: its id, and its title, creators and kind from the catalogue. */
export function itemIdentity(current: ServingModel, index: number) {
  const entry = current.view.byModelIndex[index];
  const item = current.model.items[index];
  return { item, title: entry?.title ?? item, creators: entry?.creators ?? [], kind: entry?.kind ?? "other" };
}

/** An item of an answer: its id, title, creators and kind, and the answer's own fields. */
export function describeItem(current: ServingModel, index: number, extra: Record<string, unknown>) {
  return { ...itemIdentity(current, index), ...extra };
}

/** Six decimals: answers stay readable and stable across platforms' last-bit differences. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
