import { createWriteStream, type WriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { newReadContext } from "../ingest/context.js";
import { cleanRaw } from "../ingest/csv.js";
import { genericFormat } from "../ingest/generic.js";
import { GenericJsonLinesPlan } from "../ingest/generic-jsonl-sql.js";
import { GenericParquetPlan } from "../ingest/generic-parquet-sql.js";
import { checkIngestOptions, type IngestOptions, listSourceFiles, readSource } from "../ingest/index.js";
import { readRequestSource, requestSourceFiles } from "../ingest/requests.js";
import { SpotifyCsvPlan } from "../ingest/spotify-csv-sql.js";
import { type CatalogueItem, catalogueItemSchema, type RequestEvent } from "../schema/events.js";
import { type BulkPlan, canIngestInBulk } from "../store/bulk-ingest.js";
import { OccurrenceCounter } from "../store/event-key.js";
import type { EventStore, KeyedPlayEvent, SourcedRequestEvent } from "../store/event-store.js";

export interface IngestRunOptions extends IngestOptions {
  /**
   * Where rejected rows go, as JSON lines. Created only when a row is rejected; a later run appends, after
   * a line naming that run (see RejectsFile).
   */
  rejectsPath: string;
  /** Rows per transaction (default 20,000 row by row, 500,000 on the bulk path). */
  batchSize?: number;
  /**
   * Let the store read the files itself where it can (issue 14; default true): the same plays, rejects and
   * counts, at the database's speed. false reads every row in JavaScript (the benchmark's baseline).
   */
  bulk?: boolean;
  /** The database's memory limit while the store reads a file itself (BulkIngestOptions.memoryLimit). */
  memoryLimit?: string;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Called after each commit with the plays that batch stored (not those the store already held), before
   * the next batch is read: what a replica's bus publishes. Given, every file is read row by row, since
   * the store's bulk path keys and stores rows this side never sees.
   */
  onStored?: (plays: KeyedPlayEvent[]) => Promise<void>;
}

export interface IngestProgress {
  file: string;
  rowsRead: number;
  /** Bytes of the source files read so far (compressed bytes of a .gz), and their total size on disk. */
  bytesRead: number;
  bytesTotal: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /**
   * "storing" once the bulk path has read a file and commits its plays batch by batch: bytesRead then counts
   * the file's bytes in proportion to the batches committed (the reading alone is not the ingest's end).
   */
  phase?: "reading" | "storing";
}

export interface IngestSummary {
  accepted: number;
  rejected: number;
  duplicates: number;
  items: number;
  rejectsFile: string | null;
}

/**
 * How far an ingest is, by bytes: the files' sizes are known up front, so the total is real (counting
 * rows could only say how many were read so far). A file's bytes count as they are read; a file is
 * complete once a later one starts, whatever its reader reported.
 */
class ByteProgress {
  readonly total: number;
  private readonly read = new Map<string, number>();
  private current = -1;

  private constructor(private readonly files: ReadonlyArray<[string, number]>) {
    this.total = files.reduce((sum, [, size]) => sum + size, 0);
  }

  static async of(files: readonly string[]): Promise<ByteProgress> {
    const sizes = await Promise.all(files.map(async (f) => [f, (await stat(f)).size] as [string, number]));
    return new ByteProgress(sizes);
  }

  sizeOf(file: string): number {
    return this.files.find(([f]) => f === file)?.[1] ?? 0;
  }

  readonly count = (file: string, bytes: number): void => {
    this.read.set(file, (this.read.get(file) ?? 0) + bytes);
    const at = this.files.findIndex(([f]) => f === file);
    if (at > this.current) this.current = at;
  };

  done(): number {
    let sum = 0;
    for (let k = 0; k < this.files.length && k <= this.current; k++) {
      const [file, size] = this.files[k];
      sum += k < this.current ? size : Math.min(size, this.read.get(file) ?? 0);
    }
    return sum;
  }
}

/**
 * The rejects file, created at the first rejected row (a clean ingest leaves none behind). Runs append:
 * the rejects of earlier runs stay until someone has read them. Each run's rejects follow one line that
 * names the run, `{"run": <start time>, "sources": [...]}`; every other line is a reject (it has `reason`).
 */
class RejectsFile {
  private stream: WriteStream | null = null;
  constructor(
    private readonly path: string,
    private readonly run: { startedAt: Date; sources: readonly string[] },
  ) {}

  /** Writes the reject without its `kind`; returns the file's path. */
  write(record: { kind: "reject"; [field: string]: unknown }): string {
    if (!this.stream) {
      this.stream = createWriteStream(this.path, { flags: "a" });
      this.stream.write(
        `${JSON.stringify({ run: this.run.startedAt.toISOString(), sources: this.run.sources })}\n`,
      );
    }
    const { kind: _kind, ...rest } = record;
    this.stream.write(`${JSON.stringify(rest)}\n`);
    return this.path;
  }

  async close(): Promise<void> {
    if (!this.stream) return;
    this.stream.end();
    await finished(this.stream);
  }
}

/**
 * The bulk plan for a file, when one fits it (so far: the Spotify CSV, the generic format in Parquet and JSON
 * lines); else it is read row by row. Options the row-by-row reader refuses are left to it, which says why.
 */
async function bulkPlanFor(file: string, options: IngestRunOptions): Promise<BulkPlan | undefined> {
  if (options.bulk === false || options.onStored) return undefined;
  if (options.preset === "spotify" && !/\.json(\.gz)?$/i.test(file) && options.format !== "json")
    return new SpotifyCsvPlan(file, options.user);
  if ((options.preset ?? "tastebud") !== "tastebud") return undefined;
  try {
    checkIngestOptions(options);
    const format = await genericFormat(file, newReadContext(options));
    if (format === "parquet") return new GenericParquetPlan(file, options);
    if (format === "jsonl") return new GenericJsonLinesPlan(file, options);
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Reads sources and appends their plays in batches, each batch one transaction: a kill keeps every
 * committed batch and no part of the one in flight; running the same ingest again completes it, since
 * already stored events are skipped by key. Rejected rows go to the rejects file and never stop the run.
 */
export async function ingestIntoStore(
  store: EventStore,
  paths: string[],
  options: IngestRunOptions,
): Promise<IngestSummary> {
  const startedAt = new Date();
  const batchSize = options.batchSize ?? 20_000;
  const bulkBatchSize = options.batchSize ?? 500_000;
  const counter = new OccurrenceCounter();
  let currentFile = "";
  let batch: KeyedPlayEvent[] = [];
  let items: CatalogueItem[] = [];
  const rejects = new RejectsFile(options.rejectsPath, { startedAt, sources: paths });
  const summary: IngestSummary = { accepted: 0, rejected: 0, duplicates: 0, items: 0, rejectsFile: null };
  let rowsRead = 0;
  let lastReport = 0;
  const files = await listSourceFiles(paths, options);
  const bytes = await ByteProgress.of(files);
  let phase: "reading" | "storing" = "reading";
  /** While a bulk ingest stores: the bytes before its file, and its own in proportion to the rows stored. */
  let storingBytes = 0;
  let reportedPhase: "reading" | "storing" = phase;
  const report = (force = false) => {
    const now = Date.now();
    // A new phase is reported at once (the kill test waits for the first "storing" report of a bulk ingest).
    if (!options.onProgress || (!force && phase === reportedPhase && now - lastReport < 200)) return;
    lastReport = now;
    reportedPhase = phase;
    const bytesRead = force ? bytes.total : phase === "storing" ? storingBytes : bytes.done();
    options.onProgress({
      file: currentFile,
      rowsRead,
      bytesRead,
      bytesTotal: bytes.total,
      ...summary,
      phase,
    });
  };
  const flush = async () => {
    // Items first, so a committed play's item facts are never missing.
    if (items.length) {
      summary.items += await store.upsertItems(items);
      items = [];
    }
    if (batch.length) {
      const r = await store.appendPlays(batch, { listInserted: options.onStored !== undefined });
      summary.accepted += r.inserted;
      summary.duplicates += r.duplicates;
      const stored = (r.insertedRows ?? []).map((row) => batch[row]);
      batch = [];
      if (stored.length && options.onStored) await options.onStored(stored);
      // Only after a commit: a report then means that much is stored (the kill test relies on it).
      report();
    }
  };
  const readRowByRow = async (from: string[]) => {
    for await (const record of readSource(from, { ...options, onBytesRead: bytes.count })) {
      if (record.kind === "item") {
        items.push(catalogueItemSchema.parse(record.item));
        continue;
      }
      rowsRead++;
      if (record.file !== currentFile) {
        await flush();
        currentFile = record.file;
        counter.reset();
      }
      if (record.kind === "reject") {
        summary.rejected++;
        summary.rejectsFile = rejects.write(record);
        continue;
      }
      batch.push({ key: counter.keyFor(record.event), event: record.event, source: record.file });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  };
  /** One file through the store's bulk path; false when it declined the file (nothing stored). */
  const readInBulk = async (file: string, plan: BulkPlan): Promise<boolean> => {
    if (!canIngestInBulk(store)) return false;
    currentFile = file;
    const rowsBefore = rowsRead;
    let counted = 0;
    const size = bytes.sizeOf(file);
    let stored = 0;
    phase = "reading";
    const done = await store.ingestFileInBulk(file, plan, {
      source: file,
      batchSize: bulkBatchSize,
      memoryLimit: options.memoryLimit,
      onReject: (line, bad, raw) => {
        summary.rejected++;
        summary.rejectsFile = rejects.write({ kind: "reject", file, line, ...bad, raw: cleanRaw(raw) });
      },
      onItems: (n) => {
        summary.items += n;
      },
      onCommitted: (inserted, duplicates) => {
        summary.accepted += inserted;
        summary.duplicates += duplicates;
        stored += inserted + duplicates;
        phase = "storing";
        const rows = Math.max(1, rowsRead - rowsBefore);
        storingBytes = bytes.done() - size + Math.floor(size * Math.min(1, stored / rows));
        report();
      },
      onRead: (rows, fraction) => {
        rowsRead = rowsBefore + rows;
        const now = Math.floor(size * fraction);
        if (now > counted) bytes.count(file, now - counted);
        counted = Math.max(counted, now);
        report();
      },
    });
    phase = "reading";
    if (done === null) {
      rowsRead = rowsBefore;
      currentFile = "";
    }
    return done !== null;
  };
  try {
    // Files in order; a run of files the bulk path does not take is read in one readSource call, as before.
    let pending: string[] = [];
    for (const file of files) {
      const plan = canIngestInBulk(store) ? await bulkPlanFor(file, options) : undefined;
      if (plan === undefined) {
        pending.push(file);
        continue;
      }
      if (pending.length) await readRowByRow(pending);
      pending = [];
      if (!(await readInBulk(file, plan))) await readRowByRow([file]);
    }
    // No files at all: readSource says so, naming the paths.
    if (pending.length || files.length === 0) await readRowByRow(files.length ? pending : paths);
  } catch (err) {
    // A whole-file failure (missing file, broken JSON document) still keeps every valid row read before it.
    // When the store itself failed (a full disk), this second try fails too: the first error is reported.
    await flush().catch(() => {});
    throw err;
  } finally {
    await rejects.close();
  }
  report(true);
  await store.recordIngestRun({
    startedAt,
    finishedAt: new Date(),
    sources: paths,
    preset: options.preset ?? "tastebud",
    accepted: summary.accepted,
    rejected: summary.rejected,
    duplicates: summary.duplicates,
  });
  return summary;
}

export interface RequestIngestOptions
  extends Pick<IngestRunOptions, "rejectsPath" | "batchSize" | "onProgress"> {
  /** Called after each commit with the events that batch stored (as IngestRunOptions.onStored). */
  onStored?: (events: RequestEvent[]) => Promise<void>;
  /**
   * Privacy mode: turns each batch into what may be stored (perturbed text) before anything is written;
   * refused rows go to the rejects file with their line and reason, without their text.
   */
  protect?: (
    events: RequestEvent[],
  ) => Promise<{ events: RequestEvent[]; refused: { index: number; requestId: string; reason: string }[] }>;
}

/**
 * The same contract for request events (voice or text turns): batches of one transaction each, rejects to
 * the rejects file with their line and field, re-ingest adds nothing (the key is the requestId).
 */
export async function ingestRequestsIntoStore(
  store: EventStore,
  paths: string[],
  options: RequestIngestOptions,
): Promise<IngestSummary> {
  const startedAt = new Date();
  const batchSize = options.batchSize ?? 20_000;
  const summary: IngestSummary = { accepted: 0, rejected: 0, duplicates: 0, items: 0, rejectsFile: null };
  let batch: SourcedRequestEvent[] = [];
  const rejects = new RejectsFile(options.rejectsPath, { startedAt, sources: paths });
  let rowsRead = 0;
  let currentFile = "";
  const bytes = await ByteProgress.of(await requestSourceFiles(paths));
  let batchLines: number[] = [];
  const flush = async () => {
    if (batch.length && options.protect) {
      const { events, refused } = await options.protect(batch.map((b) => b.event));
      const refusedAt = new Set(refused.map((r) => r.index));
      for (const r of refused) {
        summary.rejected++;
        summary.rejectsFile = rejects.write({
          kind: "reject",
          file: batch[r.index].source,
          line: batchLines[r.index],
          field: "text",
          reason: r.reason,
          raw: r.requestId,
        });
      }
      const sources = batch.filter((_, i) => !refusedAt.has(i)).map((b) => b.source);
      batch = events.map((event, i) => ({ event, source: sources[i] }));
    }
    batchLines = [];
    if (batch.length) {
      const r = await store.appendRequests(batch, { listInserted: options.onStored !== undefined });
      summary.accepted += r.inserted;
      summary.duplicates += r.duplicates;
      const stored = (r.insertedRows ?? []).map((row) => batch[row].event);
      batch = [];
      if (stored.length && options.onStored) await options.onStored(stored);
    }
    const bytesRead = bytes.done();
    options.onProgress?.({ file: currentFile, rowsRead, bytesRead, bytesTotal: bytes.total, ...summary });
  };
  try {
    for await (const records of readRequestSource(paths, bytes.count)) {
      for (const record of records) {
        rowsRead++;
        currentFile = record.file;
        if (record.kind === "reject") {
          summary.rejected++;
          // In privacy mode a rejected row's raw text must not reach the disk either.
          summary.rejectsFile = rejects.write(
            options.protect ? { ...record, raw: "(withheld: privacy mode)" } : record,
          );
          continue;
        }
        batch.push({ event: record.event, source: record.file });
        batchLines.push(record.line);
        if (batch.length >= batchSize) await flush();
      }
    }
    await flush();
  } catch (err) {
    await flush();
    throw err;
  } finally {
    await rejects.close();
  }
  await store.recordIngestRun({
    startedAt,
    finishedAt: new Date(),
    sources: paths,
    preset: "requests",
    accepted: summary.accepted,
    rejected: summary.rejected,
    duplicates: summary.duplicates,
  });
  return summary;
}
