import type { Worker } from "node:worker_threads";
import type { AffinityModel } from "../../core/affinity/affinity-model.js";
import type { TopNModel } from "../../core/recommend/index.js";
import type { CatalogueView } from "../../core/serving/catalogue-view.js";
import type { CatalogueSource } from "../../store/catalogue-source.js";
import type { ModelManifest } from "../model-files.js";
import { type PackedVersionFiles, unpackVersionFiles } from "./version-transfer.js";
import { startWorker } from "./workers.js";

export interface VersionReadRequest {
  dir: string;
  /** Read the affinity model's arrays too (false when the caller holds the model it just trained). */
  withModel: boolean;
  /** Side models (`<name>.json` of the manifest's extras) to read when the version has them. */
  extras: readonly string[];
  /**
   * Read the catalogue there too and align it with the model's items (the model's own when withModel,
   * else `modelItems`): the view comes back built.
   */
  catalogue?: { source: CatalogueSource; modelItems?: readonly string[] };
  /**
   * The share of one core the read may take (CpuPacer; default 1, as fast as it can). A replica swapping
   * while another version answers asks for less, so its requests lose less of a core at any one moment.
   */
  cpuShare?: number;
}

/** A model version's files as serving needs them, read and parsed by a worker thread. */
export interface VersionFiles {
  manifest: ModelManifest;
  model: AffinityModel | null;
  recommender: TopNModel | null;
  /** Each requested extra the version has, parsed (absent ones are null). */
  extras: Record<string, unknown>;
  /** The catalogue view, when the request asked for it. */
  view: CatalogueView | null;
  /** Position of each of the model's users and items (null when the model was not read). */
  modelIndex: { users: Map<string, number>; items: Map<string, number> } | null;
  /** matchableDigest of the view's items (null without a view): equal digests, one request matcher. */
  viewDigest: string | null;
}

export type VersionReaderMessage = { id: number; files: PackedVersionFiles } | { id: number; error: Error };

/**
 * Reads model versions' folders on one worker thread kept between reads: their arrays (tens of MB for an
 * item-item top-N model of a few thousand items) are read and checked there and moved to this thread
 * without a copy, and the catalogue, where the store lets a thread read it, is read and aligned with the
 * model there too, so a serving replica swapping in a new version does neither on the thread answering
 * requests. What must be rebuilt here (the ids, the catalogue's items, their maps) is rebuilt a bounded
 * number a turn (version-transfer.ts), so requests are answered between the turns. The thread runs at
 * background priority, a read may be kept to a share of a core (cpuShare), and the thread is started
 * at the first read, not at each: from source, a thread's start
 * (compiling its modules) took seconds of a core the serving thread then waited for, and the quiet
 * bench's p99 during a local swap stayed 3.5-5.4x the steady one.
 *
 * A read that fails rejects alone and the thread stays; a thread that dies fails the reads under way and
 * the next read starts another. Idle, the thread does not keep the process alive; close() ends it.
 */
export class VersionReader {
  private worker: Worker | null = null;
  private readonly pending = new Map<
    number,
    { resolve: (f: VersionFiles) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  private closed = false;

  /** The reading thread's id, null when none runs (none started yet, or it ended). */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  read(request: VersionReadRequest): Promise<VersionFiles> {
    if (this.closed) return Promise.reject(new Error("the model-reading thread was closed"));
    const worker = this.running();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, request });
    });
  }

  /** Ends the thread; reads under way fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    this.ended(worker, new Error("the model-reading thread was closed"));
    await worker.terminate();
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker("version-reader-worker", null, [], { background: true });
    this.worker = worker;
    worker.on("message", (m: VersionReaderMessage) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (!p) return;
      if ("error" in m) p.reject(m.error);
      else unpackVersionFiles(m.files).then(p.resolve, p.reject);
    });
    worker.on("error", (err) => this.ended(worker, err));
    worker.on("exit", (code) =>
      this.ended(worker, new Error(`the model-reading thread exited (code ${code}) before it finished`)),
    );
    return worker;
  }

  /** Forgets a thread that ended (once), failing the reads it had. */
  private ended(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const reads = [...this.pending.values()];
    this.pending.clear();
    for (const p of reads) p.reject(err);
  }
}
