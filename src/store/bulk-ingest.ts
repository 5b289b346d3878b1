/**
 * What a store offers when it can read a source file itself (issue 14): the database parses, checks and keys
 * the rows, and JavaScript sees only the rows the SQL rules cannot vouch for. A store without it (or a file
 * the plan declines) is read row by row as before; the results are the same either way.
 */
import type { PlayEvent } from "../schema/events.js";
import type { EventStore } from "./event-store.js";

/** Why a row was rejected: our field name and a reason (the JavaScript validator's). */
export interface RowVerdictBad {
  field: string;
  reason: string;
}

/** The JavaScript verdict on one line the SQL could not vouch for. */
export type LineVerdict =
  | { event: PlayEvent; title: string; creator: string }
  | { bad: RowVerdictBad }
  /** The line cannot be judged alone (csv-parse would read it differently in the stream): read the file row by row. */
  | "irregular";

/**
 * The SQL of a plan, in stages that each read the columns of the one before (so that an expression used
 * twice is computed once): `fields` over the line's fields (select's `field(k)`, 1-based, and `count`);
 * `derived` over those; `values` (user, item, endMs, playedMs, title, creator) over
 * both; `ok` over all of them, true only for rows the JavaScript rules accept, with the values they would
 * give (sql-rules.ts).
 */
export interface BulkSelect {
  fields: Record<string, string>;
  derived: Record<string, string>;
  values: { user: string; item: string; endMs: string; playedMs: string; title: string; creator: string };
  ok: string;
}

/** How to read one delimited text file in SQL, and the JavaScript verdict for the rows SQL cannot vouch for. */
export interface BulkCsvPlan {
  delimiter: string;
  /** Given the header line's text: sets up the plan, or throws the whole-file error the reader would. */
  header(text: string): void;
  select(field: (k: number) => string, count: string): BulkSelect;
  /** The catalogue kind of the items (the Spotify CSV names songs only). */
  itemKind: string;
  /** The JavaScript verdict on each of these lines (each a whole record of the file on its own line). */
  judge(lines: string[]): LineVerdict[];
}

export interface BulkIngestOptions {
  /** The plays' source (the file as given). */
  source: string;
  /** Plays per transaction. */
  batchSize: number;
  /** The rejected rows, in line order, before any play of the file is stored. */
  onReject: (line: number, bad: RowVerdictBad, raw: string) => void;
  /** Items upserted (a transaction before the plays). */
  onItems: (count: number) => void;
  /** After each committed batch: plays inserted in it and rows found already stored (first report only). */
  onCommitted: (inserted: number, duplicates: number) => void;
  /** Rows read so far and the fraction of the file read, at least every second while a statement runs. */
  onRead: (rows: number, fraction: number) => void;
  /**
   * The most memory the database may hold while it ingests (DuckDB's memory_limit, e.g. "256MB"); past it
   * the staged rows spill to its temporary folder. Default BULK_MEMORY_LIMIT; the store's own setting is
   * put back afterwards.
   */
  memoryLimit?: string;
}

/**
 * DuckDB's memory limit while a bulk ingest runs. Its own default is 80% of the machine's memory, and the bulk
 * path stages the whole file in temporary tables that grow to fill it: 20 M rows of the Spotify CSV peaked at
 * 4.4 GB of RSS. Under this limit the staged rows spill to disk instead. The process holds about 220-330 MB
 * beyond it (Node, DuckDB's allocations outside its buffer pool): under 256MB 20 M rows peaked at 582-607 MB
 * (issue 14 asks under 600: not met by the CLI); under 128MB 2 M rows peaked at 416-457 MB but 20 M failed, out of memory in an
 * operator that cannot spill (README, "Memory of a bulk ingest").
 */
export const BULK_MEMORY_LIMIT = "256MB";

/** A size DuckDB's memory_limit takes: a number and a unit (KB, MB, GB, TB, KiB, MiB, GiB, TiB). */
export function isMemorySize(text: string): boolean {
  return /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(text.trim());
}

export interface BulkFileIngest {
  /** null: the file is not for the bulk path after all (nothing was stored); read it row by row. */
  ingestCsvInBulk(
    file: string,
    plan: BulkCsvPlan,
    options: BulkIngestOptions,
  ): Promise<{ rows: number } | null>;
}

export function canIngestInBulk(store: EventStore): store is EventStore & BulkFileIngest {
  return typeof (store as Partial<BulkFileIngest>).ingestCsvInBulk === "function";
}
