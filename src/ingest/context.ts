import { parseTime } from "./time.js";
import type { IngestOptions, IngestRecord } from "./types.js";
import type { Bad } from "./values.js";

/** Readers hand on their records in batches: one async step per batch instead of one per row. */
export type Batches = AsyncGenerator<IngestRecord[], void, undefined>;
/** Batch size for readers that hold a whole document (JSON arrays). */
export const BATCH = 4096;

/** State shared by the readers during one readSource call. */
export interface ReadContext {
  options: IngestOptions;
  /** options.defaultEndTime, normalised (checked once, up front). */
  defaultEndTime: string | undefined;
  items: ItemTracker;
  /** Folders whose side files (u.item, artists.dat, ...) were already read in this call. */
  sideFilesRead: Set<string>;
  /** Told the bytes read of the file being read (its side files not counted), for progress by size. */
  countBytes?: (bytes: number) => void;
}

/**
 * A fresh context for one read of `options`' sources. The default end time is normalised here; callers that
 * must refuse a bad one check the options first (checkIngestOptions), as every ingest does.
 */
export function newReadContext(options: IngestOptions): ReadContext {
  const defaultEndTime = options.defaultEndTime === undefined ? undefined : parseTime(options.defaultEndTime);
  return { options, defaultEndTime, items: new ItemTracker(), sideFilesRead: new Set() };
}

/**
 * Emits each catalogue item once per readSource call. One exception: an item first seen without an attribute
 * that a later row knows (a song from the basic Spotify export, later met in the extended one with its URI) is
 * emitted a second time, with the attribute, so that the store learns it.
 */
export class ItemTracker {
  private readonly seen = new Map<string, boolean>();

  /** Whether to emit the item now; `rich` says whether this sighting carries the extra attribute. */
  take(id: string, rich: boolean): boolean {
    const had = this.seen.get(id);
    if (had === undefined || (rich && !had)) {
      this.seen.set(id, rich);
      return true;
    }
    return false;
  }
}

export function rejectRecord(file: string, line: number, bad: Bad, raw: string, suffix = ""): IngestRecord {
  return { kind: "reject", file, line, field: bad.field, reason: bad.reason + suffix, raw };
}

/** Said in the reason of a reject from a JSON array: its `line` is the element's position. */
export function arraySuffix(line: number): string {
  return ` (JSON array element ${line}; for JSON arrays "line" is the element's index + 1)`;
}
