import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { type TrainSettings, toTrainConfig } from "../config.js";
import type { Engine, TrainResult } from "../engine.js";
import { publicMessage } from "./errors.js";
import type { Mutex } from "./lock.js";
import type { JobView } from "./routes/training-schemas.js";

type JobStatus = JobView["status"];

interface Job {
  id: string;
  status: JobStatus;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  settings: TrainSettings;
  progress: { phase: string; done: number; total: number };
  result?: Omit<TrainResult, "path">;
  error?: string;
  promise: Promise<void>;
}

export interface TrainJobsOptions {
  engine: Engine;
  /** Held for the whole run: the store's scan and registry writes must not interleave with appends. */
  storeLock: Mutex;
  log: FastifyBaseLogger;
  /** Least time between two progress log lines (default 5 s). */
  progressLogIntervalMs?: number;
  /** Called inside the store lock after a successful run and the model swap. */
  onSucceeded?: (result: TrainResult) => Promise<void> | void;
  onFinished?: (status: "succeeded" | "failed") => void;
  /** Finished jobs remembered for GET /v1/jobs/:id (default 50). */
  keep?: number;
}

/** Training in the background, one job at a time. */
export class TrainJobs {
  private readonly jobs = new Map<string, Job>();
  private current: Job | null = null;

  constructor(private readonly options: TrainJobsOptions) {}

  /** A job queued or running, if any. */
  get active(): { id: string; status: JobStatus } | null {
    return this.current ? { id: this.current.id, status: this.current.status } : null;
  }

  /** Starts a job; null when one is already queued or running. */
  start(settings: TrainSettings): { id: string; status: JobStatus } | null {
    if (this.current) return null;
    const job: Job = {
      id: randomUUID(),
      status: "queued",
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
      settings,
      progress: { phase: "queued", done: 0, total: 1 },
      promise: Promise.resolve(),
    };
    this.current = job;
    this.jobs.set(job.id, job);
    this.forgetOld();
    job.promise = this.run(job);
    return { id: job.id, status: job.status };
  }

  get(id: string): JobView | null {
    const job = this.jobs.get(id);
    if (!job) return null;
    return {
      id: job.id,
      status: job.status,
      createdAt: job.createdAt.toISOString(),
      startedAt: job.startedAt?.toISOString() ?? null,
      finishedAt: job.finishedAt?.toISOString() ?? null,
      settings: job.settings,
      progress: { ...job.progress },
      ...(job.result ? { result: { ...job.result } } : {}),
      ...(job.error !== undefined ? { error: job.error } : {}),
    };
  }

  /** Resolves when no job is queued or running. */
  async idle(): Promise<void> {
    while (this.current) await this.current.promise;
  }

  private async run(job: Job): Promise<void> {
    const { engine, storeLock, log } = this.options;
    const every = this.options.progressLogIntervalMs ?? 5000;
    let lastLog = 0;
    try {
      await storeLock.run(async () => {
        job.status = "running";
        job.startedAt = new Date();
        lastLog = Date.now();
        log.info({ job: job.id, settings: job.settings }, "training started");
        // Checked here for a clear message (scanning an empty store fails obscurely).
        if ((await engine.store.countPlays()) === 0)
          throw new Error("the store holds no plays yet: POST /v1/events (or `tastebud ingest`) first");
        const result = await engine.affinity.train(toTrainConfig(job.settings), (phase, done, total) => {
          job.progress = { phase, done, total };
          const now = Date.now();
          if (now - lastLog >= every) {
            lastLog = now;
            log.info({ job: job.id, phase, done, total }, "training progress");
          }
        });
        // engine.train has dropped its cached model; load the new one now (one assignment inside the
        // engine), so the next requests do not each load it, and a load begun before the train cannot
        // leave the old version in place.
        const serving = await engine.models.reload();
        if (serving?.manifest.version !== result.version)
          throw new Error(`model ${result.version} was trained but could not be made current`);
        const { path: _path, ...publicResult } = result;
        job.result = publicResult;
        await this.options.onSucceeded?.(result);
      });
      job.status = "succeeded";
      job.progress = { ...job.progress, phase: "done" };
      log.info({ job: job.id, ...job.result }, "training succeeded; new model serving");
    } catch (err) {
      job.status = "failed";
      job.error = publicMessage(err);
      log.error({ job: job.id, err }, "training failed");
    } finally {
      job.finishedAt = new Date();
      this.current = null;
      this.options.onFinished?.(job.status === "succeeded" ? "succeeded" : "failed");
    }
  }

  private forgetOld(): void {
    const keep = this.options.keep ?? 50;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= keep) break;
      if (job !== this.current) this.jobs.delete(id);
    }
  }
}
