import type { FastifyReply, FastifyRequest } from "fastify";
import type { Engine } from "../../engine.js";
import type { Mutex } from "../../store/mutex.js";
import type { TrainJobs } from "../jobs.js";
import type { Metrics } from "../metrics.js";

/**
 * What buildApp hands every route plugin: the engine, and the parts of the server that routes share (the
 * store lock, auth, batch limits, the training jobs, the stored-plays count).
 */
export interface RouteContext {
  engine: Engine;
  /** Writes and long jobs take turns on the store (DuckDB has one writer). */
  storeLock: Mutex;
  /** onRequest hook of every route that writes: 401 without the server's key (a no-op when it has none). */
  requireKey: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** OpenAPI security of the write routes. */
  writeSecurity: Array<Record<string, string[]>>;
  /** Body limit of the ingest routes (batches of events); every other route keeps the small default. */
  ingestBodyLimit: number;
  /** Most rows in one batch body. */
  maxBatch: number;
  /** Fold each accepted batch of plays into its users' vectors at once. */
  foldIn: boolean;
  /** How old the store's last answer to /healthz may be before a probe asks it again. */
  healthProbeMs: number;
  jobs: TrainJobs;
  metrics: Metrics;
  storedPlays: StoredPlays;
}

/** Plays in the store: counted once when ready, then kept up to date by this server's writes. */
export class StoredPlays {
  private value: number | null = null;

  constructor(private readonly countFromStore: () => Promise<number>) {}

  /** The count, read from the store the first time. */
  async current(): Promise<number> {
    return this.value ?? (await this.recount());
  }

  async recount(): Promise<number> {
    this.value = await this.countFromStore();
    return this.value;
  }

  added(n: number): void {
    if (this.value !== null) this.value += n;
  }

  set(n: number): void {
    this.value = n;
  }
}
