import type { CatalogueItem, PlayEvent, RequestEvent } from "../schema/events.js";
import type { FeedbackEvent, ImpressionEvent } from "../schema/impressions.js";
import type { CatalogueSource } from "./catalogue-source.js";

/**
 * The small interface every event store adapter implements. The embedded DuckDB store is the default; a
 * server-backed adapter can come later without touching the pipeline, engine or adapters above it.
 * A new kind of event (requests, impressions, conversions, item-to-item edges) is a new table, a new
 * migration and a new pair of append/scan methods here, not a rewrite.
 */
export interface EventStore {
  readonly location: string;
  /**
   * Appends one batch in a single transaction; events already stored (same key) are skipped. With
   * `listInserted`, the answer also says which rows were stored (for fold-in, which must see each play once).
   * A store may commit batches that arrive together in one transaction (DuckDB does: group-commit.ts); each
   * answer is then what the batch would have got alone after the earlier ones, and comes after the commit.
   */
  appendPlays(batch: readonly KeyedPlayEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Inserts or updates catalogue items (later facts about an item overwrite earlier ones). */
  upsertItems(items: readonly CatalogueItem[]): Promise<number>;
  /**
   * Plays in a time window, as columns with users and items mapped to dense indices: a snapshot of the
   * plays committed when it began, safe to run while appends go on (training reads its window this way).
   */
  scanPlays(window?: TimeWindow): Promise<PlayColumns>;
  countPlays(): Promise<number>;
  /** Plays that started from a spoken or typed request, oldest first. */
  scanPlayRequests(window?: TimeWindow): Promise<PlayRequestRow[]>;
  /** Appends request events in one transaction; a requestId already stored is skipped (see appendPlays). */
  appendRequests(batch: readonly SourcedRequestEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Request events in a time window (of one user, when given), oldest first (ties by requestId). */
  scanRequests(window?: TimeWindow & { user?: string }): Promise<RequestEvent[]>;
  countRequests(): Promise<number>;
  /** Stores a taught preference fact (any JSON the preferences core defines) for a user. */
  addPreference(record: PreferenceRecord): Promise<void>;
  /** Preference facts that were not removed (of one user, when given), oldest first. */
  listPreferences(user?: string): Promise<PreferenceRecord[]>;
  /** Marks a fact removed (kept for audit); false when the user has no such live fact. */
  removePreference(user: string, factId: string): Promise<boolean>;
  /**
   * Stores a new version of an editor's pool (any JSON the playlists core defines) and returns it with its
   * version: one more than any earlier version of that name, removed ones included. Earlier versions stay.
   */
  addPool(record: Omit<PoolRecord, "version">): Promise<PoolRecord>;
  /** The latest version of every pool not removed (or of one pool by name), by name. */
  listPools(name?: string): Promise<PoolRecord[]>;
  /** Marks every version of a pool removed (kept for audit); false when there is no such live pool. */
  removePool(name: string): Promise<boolean>;
  /** Total privacy budget (ε) each of these users has spent on stored text; users never charged are absent. */
  privacySpent(users: readonly string[]): Promise<Map<string, number>>;
  /** The ledger at a glance: users charged, ε spent in all, its median and maximum, the biggest spenders. */
  privacyLedger(top: number): Promise<PrivacyLedgerSummary>;
  /** Adds spent ε per user to the ledger, in one transaction. */
  addPrivacySpent(increments: ReadonlyMap<string, number>): Promise<void>;
  getItems(ids?: readonly string[]): Promise<CatalogueItem[]>;
  /**
   * Where a worker thread of this process can read the catalogue with a connection of its own, so a
   * serving replica swapping in a model does not read and parse it on the thread answering requests.
   * Absent on a store one process owns (its catalogue is read through getItems).
   */
  readonly catalogueSource?: CatalogueSource;
  /** Appends impressions in one transaction; an impressionId already stored is skipped. */
  appendImpressions(batch: readonly ImpressionEvent[], source: string): Promise<AppendResult>;
  /** Appends feedback in one transaction; the same (impressionId, kind, time) again is skipped. */
  appendFeedback(batch: readonly FeedbackEvent[], source: string): Promise<AppendResult>;
  /** Impressions with their feedback, oldest first (ties by page and slot); of some ids or one page when given. */
  scanImpressions(
    filter?: TimeWindow & { ids?: readonly string[]; pageId?: string },
  ): Promise<ImpressionWithFeedback[]>;
  /**
   * The impression log at a glance: impressions, pages and rewarded impressions (a stream of at least
   * `rewardMs`) in all, per slot (with the mean logged propensity) and per UTC day.
   */
  impressionSummary(rewardMs: number): Promise<ImpressionSummary>;
  /** Stores a policy's state as its next version. */
  savePolicy(record: StoredPolicy): Promise<void>;
  /** Every stored policy's latest state. */
  listPolicies(): Promise<StoredPolicy[]>;
  /**
   * Keeps what a service learned while serving (JSON) under a name, replacing the previous state: what
   * a restarted server reloads instead of forgetting it.
   */
  saveState(name: string, state: unknown, updatedAtMs?: number): Promise<void>;
  /** The state last saved under `name`, or null. */
  loadState(name: string): Promise<{ state: unknown; updatedAtMs: number } | null>;
  recordIngestRun(run: IngestRunRecord): Promise<void>;
  registerModel(entry: ModelRegistryEntry): Promise<void>;
  currentModel(): Promise<ModelRegistryEntry | null>;
  listModels(): Promise<ModelRegistryEntry[]>;
  /**
   * Stores that several machines share keep each registered version's files too (registerModel stores
   * them): this writes a version's files into `dir` (atomically: a temporary folder renamed into place)
   * and says whether the store had them. Absent on a store one process owns (its folder is the artifact).
   */
  materializeModel?(version: string, dir: string): Promise<boolean>;
  /**
   * Calls `onCurrent` with the version each time another process makes a model current (and once after a
   * lost connection is back, in case one was missed). Absent on a store one process owns.
   */
  watchModels?(onCurrent: (version: string | null) => void): Promise<{ close(): Promise<void> }>;
  /** What the store holds, for an overview: counts, time range, events per day, rejects, top users. */
  summary(options?: { topUsers?: number }): Promise<StoreSummary>;
  /** A user's latest plays, newest first. */
  recentPlays(user: string, limit: number): Promise<RecentPlay[]>;
  close(): Promise<void>;
}

export interface StoreSummary {
  plays: number;
  requests: number;
  /** Distinct users with a play or a request. */
  users: number;
  /** Distinct items played. */
  playedItems: number;
  /** Items in the catalogue. */
  catalogueItems: number;
  /** End time of the first and last play, epoch ms; null when there are none. */
  firstPlayMs: number | null;
  lastPlayMs: number | null;
  /** Per UTC day (YYYY-MM-DD, ascending) with any event: plays ending and requests made that day. */
  perDay: Array<{ day: string; plays: number; requests: number }>;
  /** Totals over the recorded ingest runs (rows rejected by validation, and re-sent duplicates). */
  ingest: { runs: number; accepted: number; rejected: number; duplicates: number };
  /** Users with the most plays, most first (ties by user id). */
  topUsers: Array<{ user: string; plays: number }>;
}

export interface RecentPlay {
  item: string;
  endTimeMs: number;
  playedMs: number;
  itemLengthMs: number | null;
  endReason: string | null;
  deviceType: string | null;
  requestText: string | null;
}

export interface PrivacyLedgerSummary {
  users: number;
  total: number;
  /** Median and maximum spent ε over the users charged; 0 when none is. */
  median: number;
  max: number;
  /** The users who spent most, most first (ties by user id). */
  top: Array<{ user: string; spent: number }>;
}

export interface ImpressionSummary {
  impressions: number;
  pages: number;
  rewarded: number;
  /** Per slot, ascending. */
  bySlot: Array<{ slot: number; impressions: number; rewarded: number; meanPropensity: number }>;
  /** Per UTC day (YYYY-MM-DD), ascending. */
  byDay: Array<{ day: string; impressions: number; rewarded: number }>;
}

export interface ImpressionWithFeedback {
  impression: ImpressionEvent;
  feedback: FeedbackEvent[];
}

export interface StoredPolicy {
  name: string;
  version: number;
  /** A frozen policy serves but does not learn. */
  frozen: boolean;
  updatedAtMs: number;
  /** The policy's state as the bandits core defines it (JSON). */
  state: unknown;
}

export interface KeyedPlayEvent {
  /** 128-bit dedupe key (see eventKey). */
  key: bigint;
  event: PlayEvent;
  /** Where the row came from (file path or "http"), kept for provenance. */
  source: string;
  /** eventTimeMs(event.endTime), when the caller has it already (the store then need not parse it again). */
  endMs?: number;
}

export interface SourcedRequestEvent {
  event: RequestEvent;
  /** Where the row came from (file path or "http"). */
  source: string;
}

export interface PreferenceRecord {
  id: string;
  user: string;
  createdAtMs: number;
  /** The fact as the preferences core defines it, stored as JSON. */
  fact: unknown;
}

export interface PoolRecord {
  name: string;
  /** 1 for the first definition under this name, then one more per change. */
  version: number;
  createdAtMs: number;
  definition: unknown;
}

export interface PlayRequestRow {
  eventId: string | null;
  user: string;
  item: string;
  endTimeMs: number;
  requestText: string;
  deviceType: string | null;
  hasScreen: boolean | null;
}

export interface AppendResult {
  inserted: number;
  duplicates: number;
  /**
   * With `listInserted`: positions in the batch of the rows this call stored, ascending. The other rows
   * repeat an event already stored or an earlier row of the same batch.
   */
  insertedRows?: number[];
}

export interface AppendOptions {
  /** Say which rows were stored (AppendResult.insertedRows); off for bulk ingest, which only counts. */
  listInserted?: boolean;
  /**
   * Record this batch as an ingest run (its accepted and duplicate counts from the append) in the same
   * transaction: one commit per HTTP batch rather than two, and no stored batch without its record.
   */
  run?: Omit<IngestRunRecord, "finishedAt" | "accepted" | "duplicates">;
}

export interface TimeWindow {
  /** Inclusive lower bound, epoch ms. */
  fromMs?: number;
  /** Exclusive upper bound, epoch ms. */
  toMs?: number;
}

/**
 * Plays as parallel typed arrays (no per-event objects): what the dataset builder and evaluation need.
 * `userIndex[k]` indexes `users`, `itemIndex[k]` indexes `items`. Rows are ordered by end time.
 */
export interface PlayColumns {
  users: string[];
  items: string[];
  userIndex: Int32Array;
  itemIndex: Int32Array;
  endTimeMs: Float64Array;
  playedMs: Float64Array;
  /** 0 when unknown. */
  itemLengthMs: Float64Array;
  /** NaN when the event carries no explicit weight. */
  weight: Float64Array;
}

export interface IngestRunRecord {
  startedAt: Date;
  finishedAt: Date;
  sources: string[];
  preset: string;
  accepted: number;
  rejected: number;
  duplicates: number;
}

export interface ModelRegistryEntry {
  version: string;
  path: string;
  createdAt: Date;
  config: unknown;
  metrics: unknown;
  isCurrent?: boolean;
}

/**
 * A user-facing failure of the store (locked, wrong schema version, ...), shown as one line. "full": the
 * store's disk has no room (a server answers 507); "io": any other failure of the store itself (503).
 */
export class StoreError extends Error {
  constructor(
    readonly code: "locked" | "schema" | "io" | "full",
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}
