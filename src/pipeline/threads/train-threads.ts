import type { AffinityModel, TimedPlayTable, TrainConfig } from "../../core/affinity/affinity-model.js";
import type { ServingItem } from "../../core/serving/catalogue-view.js";
import type { VoiceTurn } from "../../core/voice/turn.js";
import type { ModelManifest, TopNToSave } from "../model-files.js";
import { startWorker } from "./workers.js";

/** What a train-worker is started with. */
export interface TrainWorkerData {
  plays: TimedPlayTable;
  users: string[];
  items: string[];
  config: TrainConfig;
  /** Catalogues above this size get no top-N model (recommend keeps the approximate index). */
  approximateAbove?: number;
  /** Logged turns and the catalogue, to fit resolve's evidence-versus-prior blend on (none: no fit). */
  resolveFit?: { turns: VoiceTurn[]; catalogue: ServingItem[] };
  save: {
    modelsDir: string;
    version: string;
    meta: Pick<ModelManifest, "config" | "dataWindow" | "metrics">;
    extras: Record<string, unknown>;
  };
}

/** What a recommender-worker is started with (the plays are copied to it, not moved). */
export interface RecommenderWorkerData {
  plays: TimedPlayTable;
  config: TrainConfig;
  approximateAbove?: number;
}

/**
 * Chooses and trains the served top-N model (trainServedTopN) on a worker thread of its own, so it runs
 * beside whatever the calling thread does meanwhile (the affinity model's factorization). Rejects if the
 * thread fails.
 */
export function trainServedTopNOffThread(
  data: RecommenderWorkerData,
  onProgress?: (phase: string, done: number, total: number) => void,
): Promise<TopNToSave | null> {
  return new Promise((resolve, reject) => {
    const worker = startWorker("recommender-worker", data);
    let settled = false;
    worker.on(
      "message",
      (
        message:
          | { type: "progress"; phase: string; done: number; total: number }
          | { type: "done"; topN: TopNToSave | null },
      ) => {
        if (message.type === "progress") onProgress?.(message.phase, message.done, message.total);
        else {
          settled = true;
          resolve(message.topN);
        }
      },
    );
    worker.on("error", (err) => {
      settled = true;
      reject(err);
    });
    worker.on("exit", (code) => {
      if (!settled) reject(new Error(`the top-N thread exited (code ${code}) before it finished`));
    });
  });
}

/** What a train-worker sends back: progress while it trains, then the saved version's folder and numbers. */
export type TrainWorkerMessage =
  | { type: "progress"; phase: string; done: number; total: number }
  | {
      type: "done";
      path: string;
      model: Omit<AffinityModel, "users" | "items">;
      /** The top-N model saved with it, in words; null when none was trained. */
      recommender: string | null;
    };

/** Thrown when a training run is cancelled through its AbortSignal. */
export class TrainingCancelledError extends Error {
  constructor() {
    super("training was cancelled");
    this.name = "TrainingCancelledError";
  }
}

export interface OffThreadTrainOptions {
  onProgress?: (phase: string, done: number, total: number) => void;
  /** Aborting it stops the thread at once (nothing registered; at most a `.tmp-*` folder is left). */
  signal?: AbortSignal;
}

/**
 * Trains and saves a model version on a worker thread (train-worker.ts) and resolves with the trained
 * model and its folder. The play table's buffers are moved to the worker, not copied: the caller must not
 * read them afterwards. Cancelling terminates the thread (and the Hogwild workers it started), so the save,
 * which renames its temporary folder into place last, is either complete or absent.
 */
export function trainAndSaveOffThread(
  data: TrainWorkerData,
  options: OffThreadTrainOptions = {},
): Promise<{ model: AffinityModel; path: string; recommender: string | null }> {
  const { signal, onProgress } = options;
  if (signal?.aborted) return Promise.reject(new TrainingCancelledError());
  return new Promise((resolve, reject) => {
    const worker = startWorker("train-worker", data, transferablesOf(data.plays));
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = () => {
      finish(() => reject(new TrainingCancelledError()));
      void worker.terminate();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: TrainWorkerMessage) => {
      if (message.type === "progress") {
        if (!settled) onProgress?.(message.phase, message.done, message.total);
        return;
      }
      const model: AffinityModel = { ...message.model, users: data.users, items: data.items };
      finish(() => resolve({ model, path: message.path, recommender: message.recommender }));
    });
    worker.on("error", (err) => finish(() => reject(err)));
    worker.on("exit", (code) =>
      finish(() => reject(new Error(`the training thread exited (code ${code}) before it finished`))),
    );
  });
}

/** The distinct ArrayBuffers under a model's typed arrays (SharedArrayBuffers are shared, not moved). */
export function transferablesOf(value: object): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const visit = (v: unknown) => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) found.add(v.buffer);
    } else if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const child of Object.values(v)) visit(child);
    }
  };
  visit(value);
  return [...found];
}
