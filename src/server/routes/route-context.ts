import type { FastifyReply, FastifyRequest } from "fastify";
import type { Engine } from "../../engine.js";
import type { Mutex } from "../../store/mutex.js";
import type { EventLoopDelay } from "../event-loop-delay.js";
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
  /** The serving thread's event-loop delay, reported by /metrics per scrape. */
  eventLoop: EventLoopDelay;
  storedPlays: StoredPlays;
}

/**
 * Plays in the store: counted once when ready, then kept up to date by this server's writes, and read again
 * now and then (/healthz). A count read while plays were being written may or may not hold them, and their
 * answers add them anyway: such a count is not taken (POST /v1/events writes outside the store lock, so counts
 * and writes overlap; one taken counted a play twice in the train-under-load bench).
 */
export class StoredPlays {
  private value: number | null = null;
  private writing = 0;
  private finished = 0;

  constructor(private readonly countFromStore: () => Promise<number>) {}

  /** The count, read from the store the first time. */
  async current(): Promise<number> {
    return this.value ?? (await this.recount());
  }

  recount(): Promise<number> {
    return this.take(this.countFromStore);
  }

  /** Reads the store's count with `ask`, and keeps it unless a write of plays overlapped the read. */
  async take(ask: () => Promise<number>): Promise<number> {
    const quiet = this.writing === 0;
    const before = this.finished;
    const n = await ask();
    if (this.value === null || (quiet && this.writing === 0 && this.finished === before)) this.value = n;
    return this.value;
  }

  /** Runs a write of plays, adding what it stored once it has. */
  async write<T extends { inserted: number }>(body: () => Promise<T>): Promise<T> {
    this.writing++;
    try {
      const stored = await body();
      if (this.value !== null) this.value += stored.inserted;
      return stored;
    } finally {
      this.writing--;
      this.finished++;
    }
  }
}
