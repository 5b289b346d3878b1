/**
 * What a store offers when it can read a source file itself (issue 14): the database parses, checks and keys
 * the rows, and JavaScript sees only the rows the SQL rules cannot vouch for. A store without it (or a file
 * the plan declines) is read row by row as before; the results are the same either way. Two kinds of plan:
 * a text file read as lines (BulkCsvPlan, BulkJsonLinesPlan) and a typed file that DuckDB reads into columns
 * itself (BulkTablePlan: Parquet).
 */
import type { PlayEvent } from "../schema/events.js";
import type { EventStore } from "./event-store.js";

/** Why a row was rejected: our field name and a reason (the JavaScript validator's). */
export interface RowVerdictBad {
  field: string;
  reason: string;
}

/** The JavaScript verdict on one row the SQL could not vouch for. */
export type LineVerdict =
  /** Accepted; title and creator are the catalogue facts of plans with an itemKind. */
  | { event: PlayEvent; title?: string; creator?: string }
  /** Rejected; `raw` is the reject's raw text when it is not the line itself (typed files). */
  | { bad: RowVerdictBad; raw?: string }
  /**
   * The row cannot be judged alone (csv-parse would read it differently in the stream), or the bulk path
   * cannot store what it holds as the row-by-row path would (an event id): read the file row by row.
   */
  | "irregular";

/**
 * The SQL of a plan, in stages that each read the columns of the one before (so that an expression used
 * twice is computed once): `fields` over the line's fields (a CSV plan's `field(k)`, 1-based, and `count`)
 * or the file's columns (a table plan's `column(name)`); `derived` over those; `values` over both; `ok` over all of them, true only for rows the JavaScript rules accept, with the values they would
 * give (sql-rules.ts).
 */
export interface BulkSelect {
  fields: Record<string, string>;
  derived: Record<string, string>;
  values: BulkValues;
  ok: string;
}

/**
 * A checked row's values, as SQL: the play's required fields, the catalogue facts of plans with an itemKind,
 * and the optional fields a plan can vouch for (absent: NULL, as for a row without them). `weightText` is
 * the weight as JavaScript's String() prints it (the event key holds that text).
 */
export interface BulkValues {
  user: string;
  item: string;
  endMs: string;
  playedMs: string;
  title?: string;
  creator?: string;
  itemLengthMs?: string;
  weight?: string;
  weightText?: string;
  endReason?: string;
  requestText?: string;
  requestId?: string;
}

/** How to read one delimited text file in SQL, and the JavaScript verdict for the rows SQL cannot vouch for. */
export interface BulkCsvPlan {
  kind: "csv";
  delimiter: string;
  /** Given the header line's text: sets up the plan, or throws the whole-file error the reader would. */
  header(text: string): void;
  select(field: (k: number) => string, count: string): BulkSelect;
  /** The catalogue kind of the items (the Spotify CSV names songs only). */
  itemKind: string;
  /** The JavaScript verdict on each of these lines (each a whole record of the file on its own line). */
  judge(lines: string[]): LineVerdict[];
}

/**
 * How to read one JSON lines file in SQL: the store reads it as lines (as for a CSV plan, without a header),
 * the plan's SQL takes each line apart, and the lines it cannot vouch for are judged in JavaScript.
 */
export interface BulkJsonLinesPlan {
  kind: "jsonl";
  /** `line` is the SQL of the line's text (never blank). */
  select(line: string): BulkSelect;
  itemKind?: undefined;
  /** The JavaScript verdict on each line (`line`: its 1-based number; `text`: the line as read). */
  judge(lines: { line: number; text: string }[]): LineVerdict[];
}

/** A column of a file DuckDB reads itself: its name and its DuckDB type (as DESCRIBE prints it). */
export interface SourceColumn {
  name: string;
  type: string;
}

/**
 * How to read one typed file (Parquet) in SQL: DuckDB's table function reads it, the plan's SQL checks its
 * columns, and the rows it cannot vouch for are judged in JavaScript from the same values the row-by-row
 * reader would see (each row's columns as DuckDB's JavaScript converter gives them).
 */
export interface BulkTablePlan {
  kind: "table";
  /**
   * The table function reading the file, given the extra options it must pass (DuckDB's file_row_number):
   * the row-by-row reader's rows, in its order.
   */
  source(options: string): string;
  /** Given the file's columns: sets up the plan, or throws the whole-file error the reader would. */
  columns(columns: SourceColumn[]): void;
  /** `column(name)` is the SQL of a source column. */
  select(column: (name: string) => string): BulkSelect;
  /** Plans of files without catalogue facts have none. */
  itemKind?: undefined;
  /** The JavaScript verdict on each row (`line`: its 1-based row number; `values`: its columns in order). */
  judge(rows: { line: number; values: unknown[] }[]): LineVerdict[];
}

export type BulkPlan = BulkCsvPlan | BulkJsonLinesPlan | BulkTablePlan;

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
   * The most memory the database may hold while it ingests (DuckDB's memory_limit, e.g. "192MB"); past it
   * the staged rows spill to its temporary folder. Default BULK_MEMORY_LIMIT; the store's own setting is
   * put back afterwards.
   */
  memoryLimit?: string;
}

/**
 * DuckDB's memory limit while a bulk ingest runs. Its own default is 80% of the machine's memory, and the bulk
 * path stages the whole file in temporary tables that grow to fill it: 20 M rows of the Spotify CSV peaked at
 * 4.4 GB of RSS. Under this limit the staged rows spill to disk instead. The process holds more than it (Node
 * and its modules, DuckDB's allocations outside its buffer pool): with the staging table written in any order
 * (ANY_ORDER in duckdb/bulk-ingest.ts) 20 M rows peaked at 547-550 MiB in the CLI under 256MB at load 7-14 but
 * 622 and 670 MiB quiet, and 576 and 561 MiB quiet under 192MB (README, "Memory of a bulk ingest"). 192MB costs
 * no time against 256MB on 2 M rows quiet (alternated: 8.8-8.9 s against 9.1-9.2 for a first ingest, 6.0-6.1
 * against 6.0-6.2 for a re-ingest); 128MB stored the 20 M rows too (389 MiB, loaded), its time not measured.
 */
export const BULK_MEMORY_LIMIT = "192MB";

/** A size DuckDB's memory_limit takes: a number and a unit (KB, MB, GB, TB, KiB, MiB, GiB, TiB). */
export function isMemorySize(text: string): boolean {
  return /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(text.trim());
}

export interface BulkFileIngest {
  /** null: the file is not for the bulk path after all (nothing was stored); read it row by row. */
  ingestFileInBulk(
    file: string,
    plan: BulkPlan,
    options: BulkIngestOptions,
  ): Promise<{ rows: number } | null>;
}

export function canIngestInBulk(store: EventStore): store is EventStore & BulkFileIngest {
  return typeof (store as Partial<BulkFileIngest>).ingestFileInBulk === "function";
}
