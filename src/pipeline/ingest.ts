import { createWriteStream, type WriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { type IngestOptions, readSource } from "../ingest/index.js";
import { type CatalogueItem, catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import type { EventStore, KeyedPlayEvent } from "../store/event-store.js";

export interface IngestRunOptions extends IngestOptions {
  /** Where rejected rows go, as JSON lines. Created only when a row is rejected. */
  rejectsPath: string;
  /** Rows per transaction. */
  batchSize?: number;
  onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  file: string;
  rowsRead: number;
  accepted: number;
  rejected: number;
  duplicates: number;
}

export interface IngestSummary {
  accepted: number;
  rejected: number;
  duplicates: number;
  items: number;
  rejectsFile: string | null;
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
  const counter = new OccurrenceCounter();
  let currentFile = "";
  let batch: KeyedPlayEvent[] = [];
  let items: CatalogueItem[] = [];
  let rejects: WriteStream | null = null;
  const summary: IngestSummary = { accepted: 0, rejected: 0, duplicates: 0, items: 0, rejectsFile: null };
  let rowsRead = 0;
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - lastReport < 200)) return;
    lastReport = now;
    options.onProgress({ file: currentFile, rowsRead, ...summary });
  };
  const flush = async () => {
    // Items first, so a committed play's item facts are never missing.
    if (items.length) {
      summary.items += await store.upsertItems(items);
      items = [];
    }
    if (batch.length) {
      const r = await store.appendPlays(batch);
      summary.accepted += r.inserted;
      summary.duplicates += r.duplicates;
      batch = [];
    }
    report();
  };
  try {
    for await (const record of readSource(paths, options)) {
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
        if (!rejects) {
          rejects = createWriteStream(options.rejectsPath, { flags: "w" });
          summary.rejectsFile = options.rejectsPath;
        }
        const { kind: _kind, ...rest } = record;
        rejects.write(`${JSON.stringify(rest)}\n`);
        continue;
      }
      batch.push({ key: counter.keyFor(record.event), event: record.event, source: record.file });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } catch (err) {
    // A whole-file failure (missing file, broken JSON document) still keeps every valid row read before it.
    await flush();
    throw err;
  } finally {
    if (rejects) {
      const stream: WriteStream = rejects;
      stream.end();
      await finished(stream);
    }
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
