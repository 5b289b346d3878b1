/*
 * The serving report (GET /v1/serving) as plain types with no run-time imports, so that the dashboard
 * (src/web) types its call with the very shape the server answers with.
 */

/** One version this replica put into service, as the report gives it (times ISO, durations ms). */
export interface SwapView {
  version: string;
  previous: string | null;
  /** "trained-here": a train in this process; "registry": the registry's current version (at start or announced). */
  cause: "trained-here" | "registry";
  requestedAt: string;
  startedAt: string;
  servingAt: string;
  /** Queued behind an earlier swap, from request to start. */
  waitMs: number;
  /** The reading thread's read of the version's files and catalogue. */
  readMs: number;
  /** From request to the first answer from the new version. */
  totalMs: number;
}

/** What an operator of several replicas wants of the one they opened: where it reads and what it serves. */
export interface ServingReport {
  store: {
    kind: "duckdb" | "postgres";
    /** A PostgreSQL URL without user or password, or the DuckDB file's name (":memory:" in memory). */
    location: string;
  };
  /** null: no bus; this process serves alone. */
  bus: {
    location: string;
    stream: string;
    state: "connected" | "reconnecting" | "closed";
    published: number;
    publishFailures: number;
    /** Messages applied here (own plays folded in, the others' turns, preferences and feedback). */
    applied: number;
    lastAppliedAt: string | null;
    /** 99th percentile of the delay from the bus storing another replica's message to applying it here. */
    applyDelayP99Ms: number | null;
    /** How many delays that percentile is over (the latest up to 1,000). */
    applyDelaysMeasured: number;
  } | null;
  model: {
    version: string;
    /** When the trainer made it. */
    createdAt: string;
    /** When this process began serving it (null when the swap that loaded it is no longer kept). */
    loadedAt: string | null;
  } | null;
  /** The registry's current version: differs from model.version while this replica is behind. */
  registryCurrent: string | null;
  swapInProgress: boolean;
  /** The latest swaps of this process, newest first. */
  swaps: SwapView[];
  /** The registry's versions, newest first (at most registryListed). */
  registry: Array<{ version: string; createdAt: string; isCurrent: boolean; serving: boolean }>;
  registryVersions: number;
  foldIn: {
    /** Whether accepted plays are folded into their users at once (serve --fold-in). */
    enabled: boolean;
    /** Users the serving version holds folded in, and the most it keeps. */
    users: number;
    maxUsers: number;
  };
}
