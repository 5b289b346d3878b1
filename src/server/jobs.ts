import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { type TrainSettings, toTrainConfig } from "../config.js";
import type { Engine, TrainResult } from "../engine.js";
import { TrainingCancelledError } from "../pipeline/threads/train-threads.js";
import type { Mutex } from "../store/mutex.js";
import { publicMessage } from "./errors.js";
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
  /** Aborted by cancel() and by shutdown. */
  abort: AbortController;
}

/** What cancel() found: the job's view after it stopped, or why there was nothing to cancel. */
export type CancelOutcome =
  | { outcome: "stopped"; job: JobView }
  | { outcome: "finished"; job: JobView }
  | { outcome: "unknown" };

export interface TrainJobsOptions {
  engine: Engine;
  /**
   * Taken only to read the training window and to register the new version (the store's scan and registry
   * writes must not interleave with appends); the training runs on its own thread in between, while the
   * store takes writes.
   */
  storeLock: Mutex;
  log: FastifyBaseLogger;
  /** Least time between two progress log lines (default 5 s). */
  progressLogIntervalMs?: number;
  /** Called after a successful run and the model swap. */
  onSucceeded?: (result: TrainResult) => Promise<void> | void;
  onFinished?: (status: "succeeded" | "failed" | "cancelled") => void;
  /** Finished jobs remembered for GET /v1/jobs/:id (default 50). */
  keep?: number;
}

/** Training in the background (on a worker thread, see AffinityService.train), one job at a time. */
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
      abort: new AbortController(),
    };
    this.current = job;
    this.jobs.set(job.id, job);
    this.forgetOld();
    job.promise = this.run(job);
    return { id: job.id, status: job.status };
  }

  get(id: string): JobView | null {
    const job = this.jobs.get(id);
    return job ? this.view(job) : null;
  }

  private view(job: Job): JobView {
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

  /**
   * Stops a queued or running job and resolves once it has stopped: its thread is terminated, nothing is
   * registered, and the model that was current stays current. A job that got past registering its model
   * finishes as succeeded (the outcome says what it became).
   */
  async cancel(id: string): Promise<CancelOutcome> {
    const job = this.jobs.get(id);
    if (!job) return { outcome: "unknown" };
    if (job !== this.current) return { outcome: "finished", job: this.view(job) };
    this.options.log.info({ job: job.id }, "cancelling the training job");
    job.abort.abort();
    await job.promise;
    return { outcome: "stopped", job: this.view(job) };
  }

  /** Resolves when no job is queued or running. */
  async idle(): Promise<void> {
    while (this.current) await this.current.promise;
  }

  /** Shutdown: cancels the running job (the previous model stays current) and waits until it has stopped. */
  async stop(): Promise<void> {
    const job = this.current;
    if (job) {
      this.options.log.info({ job: job.id }, "shutting down: cancelling the training job");
      job.abort.abort();
    }
    await this.idle();
  }

  private async run(job: Job): Promise<void> {
    const { engine, storeLock, log } = this.options;
    const every = this.options.progressLogIntervalMs ?? 5000;
    let lastLog = 0;
    try {
      job.status = "running";
      job.startedAt = new Date();
      lastLog = Date.now();
      log.info({ job: job.id, settings: job.settings }, "training started");
      // Checked here for a clear message (scanning an empty store fails obscurely).
      if ((await storeLock.run(() => engine.store.countPlays())) === 0)
        throw new Error("the store holds no plays yet: POST /v1/events (or `tastebud ingest`) first");
      const result = await engine.affinity.train(toTrainConfig(job.settings), {
        signal: job.abort.signal,
        exclusive: (body) => storeLock.run(body),
        onProgress: (phase, done, total) => {
          job.progress = { phase, done, total };
          const now = Date.now();
          if (now - lastLog >= every) {
            lastLog = now;
            log.info({ job: job.id, phase, done, total }, "training progress");
          }
        },
      });
      // engine.affinity.train has swapped the new model in (built completely while the old one served).
      const serving = await engine.models.current();
      if (serving?.manifest.version !== result.version)
        throw new Error(`model ${result.version} was trained but could not be made current`);
      const { path: _path, ...publicResult } = result;
      job.result = publicResult;
      await this.options.onSucceeded?.(result);
      job.status = "succeeded";
      job.progress = { ...job.progress, phase: "done" };
      log.info({ job: job.id, ...job.result }, "training succeeded; new model serving");
    } catch (err) {
      if (err instanceof TrainingCancelledError) {
        job.status = "cancelled";
        job.error = "cancelled before the model was registered; the previous model stays current";
        log.info({ job: job.id }, "training cancelled");
      } else {
        job.status = "failed";
        job.error = publicMessage(err);
        log.error({ job: job.id, err }, "training failed");
      }
    } finally {
      job.finishedAt = new Date();
      this.current = null;
      this.options.onFinished?.(
        job.status === "succeeded" ? "succeeded" : job.status === "cancelled" ? "cancelled" : "failed",
      );
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
