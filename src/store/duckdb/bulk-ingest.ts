/**
 * The bulk ingest path of the embedded store (issue 14): DuckDB reads a delimited file itself, the plan's SQL
 * checks and maps the fields, keys are computed in SQL (event-key-sql.ts), and the plays not yet stored (an
 * anti-join on the key) go in, batch by batch, one transaction each. JavaScript sees only the header and the
 * rows the SQL cannot vouch for.
 *
 * The file is first read as whole lines (one VARCHAR column, no quoting, a delimiter that text does not
 * hold) into a table whose row order is the file's (DuckDB keeps insertion order): a row's line number is
 * its position, and a rejected row's raw text is its line. Anything this reading could get wrong (a line
 * DuckDB refuses, such as bytes that are not UTF-8; a quoted field that may span lines; a carriage return
 * inside a line or at the start of one, which DuckDB takes for line breaks where csv-parse does not) sends the
 * whole file back to the row-by-row reader before anything is stored.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { isGzip, openBytes } from "../../ingest/files.js";
import { fieldListSql, jsTrimSql, quotedFieldsSql, sqlString } from "../../ingest/sql-rules.js";
import type { PlayEvent } from "../../schema/events.js";
import { eventTimeMs } from "../../schema/events.js";
import {
  BULK_MEMORY_LIMIT,
  type BulkCsvPlan,
  type BulkIngestOptions,
  type BulkJsonLinesPlan,
  type BulkPlan,
  type BulkSelect,
  type BulkTablePlan,
  type BulkValues,
  type LineVerdict,
} from "../bulk-ingest.js";
import { eventKeyTextSql, md5NumberKeySql } from "../event-key-sql.js";

/** The longest line DuckDB reads (max_line_size); a file with a longer one is read row by row. */
export const MAX_LINE_BYTES = 2 * 1024 * 1024;

/** Runs a step on the store's connection, queued with its other calls (one statement at a time). */
export type OnConnection = <T>(body: (conn: DuckDBConnection) => Promise<T>) => Promise<T>;

const timing = process.env.TASTEBUD_BULK_TIMING === "1";
let last = performance.now();
let lastCpu = process.cpuUsage();
/**
 * TASTEBUD_BULK_TIMING=1: each step's wall and CPU seconds (DuckDB's threads included) on stderr, with the
 * process's resident memory after it and its peak so far.
 */
function step(name: string): void {
  if (!timing) return;
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  process.stderr.write(
    `bulk ${name}: ${((now - last) / 1000).toFixed(3)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(3)} CPU s, RSS ${mb(process.memoryUsage.rss())} MB, peak ${mb(process.resourceUsage().maxRSS * 1024)} MB\n`,
  );
  last = now;
  lastCpu = process.cpuUsage();
}

async function count(conn: DuckDBConnection, sql: string): Promise<number> {
  return Number((await conn.runAndReadAll(sql)).getColumns()[0][0]);
}

/**
 * While `body` runs a statement, tells `onFraction` DuckDB's progress on it (0-1) every second: one statement
 * reads a whole file, and a progress bar must not stand still for its length.
 */
async function withProgress<T>(
  conn: DuckDBConnection,
  onFraction: (f: number) => void,
  body: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => {
    const p = conn.progress.percentage;
    if (p >= 0) onFraction(Math.min(1, p / 100));
  }, 1000);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Whether the file holds a carriage return that DuckDB's line reading would take otherwise than csv-parse
 * (record delimiters \r\n and \n): one not followed by \n (DuckDB breaks the line there) or one that starts
 * a line (a blank CRLF line, which DuckDB counts as more than one line, so later line numbers shift); or a
 * \x01 byte, the line reading's delimiter. Files without any (most) cost two memchr calls per chunk.
 */
export async function hasMisreadCarriageReturn(file: string): Promise<boolean> {
  const input = await openBytes(file);
  // The last byte of the chunk before.
  let before = 0x0a;
  try {
    for await (const chunk of input) {
      const bytes = chunk as Buffer;
      if (before === 0x0d && bytes[0] !== 0x0a) return true;
      // The line reading's delimiter: DuckDB cuts the line there (strict_mode off) rather than refusing it.
      if (bytes.indexOf(0x01) >= 0) return true;
      for (let at = bytes.indexOf(0x0d); at >= 0; at = bytes.indexOf(0x0d, at + 1)) {
        if (at + 1 < bytes.length && bytes[at + 1] !== 0x0a) return true;
        if ((at === 0 ? before : bytes[at - 1]) === 0x0a) return true;
      }
      if (bytes.length > 0) before = bytes[bytes.length - 1];
    }
    return before === 0x0d;
  } finally {
    input.destroy();
  }
}

/**
 * The columns of bulk_rows that a plan's values give (NULL where a plan gives none), with their types: the
 * play's fields, the catalogue facts and the optional fields (BulkValues).
 */
const VALUE_COLUMNS: [string, keyof BulkValues, string][] = [
  ["user_id", "user", "VARCHAR"],
  ["item_id", "item", "VARCHAR"],
  ["end_ms", "endMs", "BIGINT"],
  ["played_ms", "playedMs", "BIGINT"],
  ["title", "title", "VARCHAR"],
  ["creator", "creator", "VARCHAR"],
  ["item_length_ms", "itemLengthMs", "BIGINT"],
  ["weight", "weight", "DOUBLE"],
  ["weight_text", "weightText", "VARCHAR"],
  ["end_reason", "endReason", "VARCHAR"],
  ["request_text", "requestText", "VARCHAR"],
  ["request_id", "requestId", "VARCHAR"],
];

/**
 * The columns only rows judged in JavaScript fill: a context's stored columns (as appendPlays stores them) and
 * its JSON text, which the event key holds. The SQL rules never vouch for a row with a context.
 */
const CONTEXT_COLUMNS: [string, string][] = [
  ["device_type", "VARCHAR"],
  ["has_screen", "BOOLEAN"],
  ["context_extra", "VARCHAR"],
  ["device_state", "VARCHAR"],
  ["activity", "VARCHAR"],
  ["context_json", "VARCHAR"],
];

/** The key parts of bulk_rows' columns (prefixed `at`, e.g. "j."), as eventKey prints them. */
function keyParts(at: string) {
  return {
    user: `${at}user_id`,
    item: `${at}item_id`,
    endMs: `${at}end_ms`,
    playedMs: `${at}played_ms`,
    itemLengthMs: `${at}item_length_ms::VARCHAR`,
    weight: `${at}weight_text`,
    endReason: `${at}end_reason`,
    requestText: `${at}request_text`,
    contextJson: `${at}context_json`,
  };
}

/**
 * The plan's checks over `from` (the rows: their line_no, the plan's fields and the `inner` columns), as
 * bulk_rows' columns: `outer` first, then ok, the values (NULL unless ok), the context columns (NULL) and md5
 * (md5_number of the key text, every row keyed as a first occurrence).
 */
export function checkedRowsSql(s: BulkSelect, from: string, inner: string[], outer: string[]): string {
  const cols = (m: Record<string, string>) =>
    Object.entries(m)
      .map(([name, sql]) => `, ${sql} AS ${name}`)
      .join("");
  const values = VALUE_COLUMNS.map(
    ([name, key, type]) => `CAST(${s.values[key] ?? "NULL"} AS ${type}) AS ${name}`,
  );
  const kept = VALUE_COLUMNS.map(([name]) => `CASE WHEN ok THEN ${name} END AS ${name}`);
  const context = CONTEXT_COLUMNS.map(([name, type]) => `NULL::${type} AS ${name}`);
  return `SELECT ${outer.join(", ")}, ok, ${VALUE_COLUMNS.map(([n]) => n).join(", ")}, ${context.join(", ")},
      CASE WHEN ok THEN md5_number(${eventKeyTextSql(keyParts(""), "0")}) END AS md5
    FROM (SELECT ${inner.join(", ")}, ok, ${kept.join(", ")}
    FROM (SELECT *, ${s.ok} AS ok FROM (
      SELECT *, ${values.join(", ")}
      FROM (SELECT *${cols(s.derived)} FROM (${from})))))
    ${ANY_ORDER}`;
}

/**
 * Appended to the staging statements' SELECT, a condition always true that DuckDB plans as a semi join (whose
 * output has no order to keep): the CREATE TABLE AS then appends in any order (CREATE_TABLE_AS) rather than in
 * the source's (BATCH_CREATE_TABLE_AS), which buffers out-of-order batches outside its buffer pool: 20 M rows
 * of the Spotify CSV took RSS from 462 to 538 MiB there under a 256MB limit, and not at all this way. Every reader of
 * bulk_rows orders by line_no. SET preserve_insertion_order = false would do the same, but it is a setting of
 * the whole database: a scan on another connection (scan-plays.ts reads in stored order) would lose its order.
 * bulk-ingest.test.ts checks the plan.
 */
export const ANY_ORDER = "WHERE 1 IN (SELECT 1)";

/** A column name as an SQL identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A text file's lines into bulk_rows (BulkCsvPlan: after its header; BulkJsonLinesPlan: every line not blank);
 * null when the file is for the row-by-row reader.
 */
async function readLineRows(
  on: OnConnection,
  file: string,
  plan: BulkCsvPlan | BulkJsonLinesPlan,
  options: Pick<BulkIngestOptions, "onRead">,
): Promise<number | null> {
  const gzip = await isGzip(file);
  // Looked for while DuckDB reads (this thread is idle then); awaited before anything is stored.
  const carriageReturns = hasMisreadCarriageReturn(file);
  carriageReturns.catch(() => {});
  // \x01 as the delimiter: DuckDB cuts a line holding one short, so a file with one goes back to the
  // row-by-row reader (hasMisreadCarriageReturn looks for it). So does a line longer than max_line_size
  // (DuckDB's default, 2 MiB, named here because its read buffer is 16 times it: at 100 MB the reader asked for
  // a 1.4 GiB buffer, which held a whole 1.2 GB file in memory).
  const read = `read_csv(${sqlString(file)}, columns = {'line': 'VARCHAR'}, header = false, delim = '\x01',
    quote = '', escape = '', strict_mode = false, store_rejects = true, rejects_table = 'bulk_reject_errors',
    rejects_scan = 'bulk_reject_scans', max_line_size = ${MAX_LINE_BYTES}${gzip ? ", compression = 'gzip'" : ""})`;
  const lines = await on((conn) =>
    withProgress(
      conn,
      (f) => options.onRead(0, f * 0.8),
      async () => {
        await conn.run("DROP TABLE IF EXISTS bulk_reject_errors; DROP TABLE IF EXISTS bulk_reject_scans");
        step("start");
        await conn.run(`CREATE OR REPLACE TEMP TABLE bulk_lines AS SELECT line FROM ${read}`);
        step("read lines");
        if ((await count(conn, "SELECT count(*) FROM bulk_reject_errors")) > 0) return null;
        const header = await conn.runAndReadAll("SELECT line FROM bulk_lines WHERE rowid = 0");
        return { header: header.getColumns()[0]?.[0] as string | null | undefined };
      },
    ),
  );
  if (lines === null) return null;
  let from: string;
  let s: BulkSelect;
  if (plan.kind === "csv") {
    if (lines.header == null || lines.header === "") return null;
    plan.header(lines.header);
    const d = plan.delimiter;
    s = plan.select((k) => `fields[${k}]`, "len(fields)");
    from = `SELECT line_no, line, irregular${fieldsSql(s)} FROM (
                SELECT line_no, line,
                  ((quoted IS NULL AND strpos(line, '"') > 0) OR strpos(line, chr(13)) > 0) AS irregular,
                  ${fieldListSql("line", "quoted", d)} AS fields
                FROM (SELECT rowid + 1 AS line_no, line, ${quotedFieldsSql("line", d)} AS quoted
                      FROM bulk_lines WHERE rowid > 0 AND line IS NOT NULL AND line <> ''))`;
  } else {
    // Blank lines (by String.prototype.trim) are skipped, as the row-by-row reader skips them; a carriage
    // return within a line sends the file to that reader.
    s = plan.select("line");
    from = `SELECT line_no, line, strpos(line, chr(13)) > 0 AS irregular${fieldsSql(s)} FROM (
                SELECT rowid + 1 AS line_no, line FROM bulk_lines
                WHERE line IS NOT NULL AND line <> '' AND ${jsTrimSql("line")} <> '')`;
  }
  const rows = await on((conn) =>
    withProgress(
      conn,
      (f) => options.onRead(0, 0.8 + f * 0.2),
      async () => {
        await conn.run(
          `CREATE OR REPLACE TEMP TABLE bulk_rows AS ${checkedRowsSql(
            s,
            from,
            ["line_no", "irregular", "line"],
            ["line_no", "irregular", "CASE WHEN ok THEN NULL ELSE line END AS line"],
          )}`,
        );
        step("parse, check and key");
        await conn.run("DROP TABLE bulk_lines");
        if ((await count(conn, "SELECT count(*) FROM bulk_rows WHERE irregular")) > 0) return null;
        return count(conn, "SELECT count(*) FROM bulk_rows");
      },
    ),
  );
  if (rows === null || (await carriageReturns)) return null;
  return rows;
}

/** A plan's fields as columns of a SELECT list, each after a comma. */
function fieldsSql(s: BulkSelect): string {
  return Object.entries(s.fields)
    .map(([name, sql]) => `, ${sql} AS ${name}`)
    .join("");
}

/**
 * A typed file's rows into bulk_rows (BulkTablePlan), read by DuckDB's table function straight from the file;
 * null when the file is for the row-by-row reader (DuckDB cannot read it, or the plan refuses its columns: that
 * reader then reports the whole-file error itself).
 */
async function readTableRows(
  on: OnConnection,
  plan: BulkTablePlan,
  options: Pick<BulkIngestOptions, "onRead">,
): Promise<number | null> {
  const columns = await on(async (conn) => {
    try {
      const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${plan.source("")}`);
      return r.getRows().map(([name, type]) => ({ name: String(name), type: String(type) }));
    } catch {
      return null;
    }
  });
  // The row number is a column of DuckDB's own: a file with a column of that name would lose it.
  if (columns === null || columns.some((c) => c.name === "file_row_number")) return null;
  try {
    plan.columns(columns);
  } catch {
    return null;
  }
  const s = plan.select(sqlIdentifier);
  const fields = fieldsSql(s);
  return on((conn) =>
    withProgress(
      conn,
      (f) => options.onRead(0, f),
      async () => {
        step("start");
        try {
          await conn.run(
            `CREATE OR REPLACE TEMP TABLE bulk_rows AS ${checkedRowsSql(
              s,
              `SELECT file_row_number + 1 AS line_no${fields} FROM ${plan.source("file_row_number = true")}`,
              ["line_no"],
              ["line_no", "false AS irregular", "NULL::VARCHAR AS line"],
            )}`,
          );
        } catch {
          return null;
        }
        step("read, check and key");
        return count(conn, "SELECT count(*) FROM bulk_rows");
      },
    ),
  );
}

/** The JavaScript verdicts on the rows SQL could not vouch for, in line order: [line_no, raw line or null]. */
async function judgeUnsure(
  on: OnConnection,
  plan: BulkPlan,
): Promise<{ lines: [number, string | null][]; verdicts: LineVerdict[] } | null> {
  if (plan.kind !== "table") {
    const unsure = await on(async (conn) => {
      const r = await conn.runAndReadAll("SELECT line_no, line FROM bulk_rows WHERE NOT ok ORDER BY line_no");
      return (r.getRows() as [bigint, string][]).map(([n, text]): [number, string] => [Number(n), text]);
    });
    const verdicts =
      plan.kind === "csv"
        ? plan.judge(unsure.map(([, text]) => text))
        : plan.judge(unsure.map(([line, text]) => ({ line, text })));
    return { lines: unsure, verdicts };
  }
  // The rows as the row-by-row reader sees them: read from the file again, converted by the same converter.
  const rows = await on(async (conn) => {
    if ((await count(conn, "SELECT count(*) FROM bulk_rows WHERE NOT ok")) === 0) return [];
    const { JSDuckDBValueConverter } = await import("@duckdb/node-api");
    const result = await conn.stream(`SELECT file_row_number + 1 AS bulk_line_no, * EXCLUDE (file_row_number)
      FROM ${plan.source("file_row_number = true")}
      WHERE file_row_number + 1 IN (SELECT line_no FROM bulk_rows WHERE NOT ok) ORDER BY file_row_number`);
    const out: { line: number; values: unknown[] }[] = [];
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      // A value the converter refuses (an infinite timestamp) fails the row-by-row reader: it is its error.
      let converted: unknown[][];
      try {
        converted = chunk.convertRows(JSDuckDBValueConverter) as unknown[][];
      } catch {
        return null;
      }
      for (const [line, ...values] of converted) out.push({ line: Number(line), values });
    }
    return out;
  });
  if (rows === null) return null;
  return { lines: rows.map((r) => [r.line, null]), verdicts: plan.judge(rows) };
}

/**
 * The reading half of the bulk path, shared by both stores (the PostgreSQL one runs it on an in-memory DuckDB):
 * reads the file, checks and keys its rows into the temporary table bulk_rows (line_no, ok, the values of
 * VALUE_COLUMNS and CONTEXT_COLUMNS, md5: md5_number of the key text, bulkKeySql turns it into the key), hands
 * the rejects to `onReject` in line order, and returns how many rows were read; null when the file is for the
 * row-by-row reader after all. The caller drops the tables (dropBulkTables), whatever happens.
 */
export async function readBulkRows(
  on: OnConnection,
  file: string,
  plan: BulkPlan,
  options: Pick<BulkIngestOptions, "onRead" | "onReject">,
): Promise<number | null> {
  const rows =
    plan.kind === "table"
      ? await readTableRows(on, plan, options)
      : await readLineRows(on, file, plan, options);
  if (rows === null) return null;
  options.onRead(rows, 1);

  // The rows the SQL could not vouch for: the JavaScript reader's verdict on each, in line order.
  const judged = await judgeUnsure(on, plan);
  if (judged === null) return null;
  const rejects: [number, { field: string; reason: string }, string][] = [];
  const accepted: [number, { event: PlayEvent; title?: string; creator?: string }][] = [];
  for (const [k, [lineNo, text]] of judged.lines.entries()) {
    const verdict = judged.verdicts[k];
    if (verdict === "irregular") return null;
    if ("bad" in verdict) rejects.push([lineNo, verdict.bad, verdict.raw ?? text ?? ""]);
    else accepted.push([lineNo, verdict]);
  }
  if (accepted.length > 0)
    await on(async (conn) => {
      const columns = [
        ["line_no", "BIGINT"],
        ...VALUE_COLUMNS.map(([name, , type]) => [name, type]),
        ...CONTEXT_COLUMNS,
      ];
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE bulk_judged (${columns.map(([n, t]) => `${n} ${t}`).join(", ")})`,
      );
      const a = await conn.createAppender("bulk_judged", "main", "temp");
      const text = (v: string | undefined) => (v === undefined ? a.appendNull() : a.appendVarchar(v));
      const int = (v: number | undefined) => (v === undefined ? a.appendNull() : a.appendBigInt(BigInt(v)));
      for (const [lineNo, { event: e, title, creator }] of accepted) {
        a.appendBigInt(BigInt(lineNo));
        a.appendVarchar(e.user);
        a.appendVarchar(e.item);
        a.appendBigInt(BigInt(eventTimeMs(e.endTime)));
        a.appendBigInt(BigInt(e.playedMs));
        text(title);
        text(creator);
        int(e.itemLengthMs);
        if (e.weight === undefined) a.appendNull();
        else a.appendDouble(e.weight);
        text(e.weight === undefined ? undefined : String(e.weight));
        text(e.endReason);
        text(e.requestText);
        text(e.requestId);
        // As appendPlays stores a context (playRow) and eventKey prints it.
        const c = e.context;
        text(c?.deviceType);
        if (c?.hasScreen === undefined) a.appendNull();
        else a.appendBoolean(c.hasScreen);
        text(c?.extra ? JSON.stringify(c.extra) : undefined);
        text(c?.deviceState);
        text(c?.activity);
        text(c ? JSON.stringify(c) : undefined);
        a.endRow();
      }
      a.closeSync();
      const set = [...VALUE_COLUMNS.map(([n]) => n), ...CONTEXT_COLUMNS.map(([n]) => n)]
        .map((n) => `${n} = j.${n}`)
        .join(", ");
      await conn.run(`UPDATE bulk_rows SET ok = true, ${set},
          md5 = md5_number(${eventKeyTextSql(keyParts("j."), "0")})
          FROM bulk_judged j WHERE bulk_rows.line_no = j.line_no`);
      await conn.run("DROP TABLE bulk_judged");
    });
  for (const [lineNo, bad, text] of rejects) options.onReject(lineNo, bad, text);
  step(`judge ${judged.lines.length} rows in JavaScript`);

  await on(async (conn) => {
    // Identical plays in one file: the second and later, in line order, keyed with their occurrence.
    await conn.run(`UPDATE bulk_rows SET md5 = r.md5 FROM (
          SELECT line_no, md5_number(${eventKeyTextSql(keyParts(""), "occ")}) AS md5 FROM (
            SELECT *, row_number() OVER (PARTITION BY md5 ORDER BY line_no) - 1 AS occ FROM bulk_rows
            WHERE ok AND md5 IN (SELECT md5 FROM bulk_rows WHERE ok GROUP BY md5 HAVING count(*) > 1))
          WHERE occ > 0) r
        WHERE bulk_rows.line_no = r.line_no`);
    step("repeated plays");
  });
  return rows;
}

/** The key of a row of bulk_rows (a UHUGEINT, as eventKey gives it) from its md5 column. */
export const bulkKeySql = md5NumberKeySql("md5");

/**
 * The catalogue facts of the items bulk_rows names, as the row-by-row reader gives them (the first row of an
 * item names its title and creator): the items table's columns, in its order.
 */
export function bulkItemsSql(itemKind: string): string {
  return `SELECT item_id, arg_min(title, line_no) AS title, [arg_min(creator, line_no)] AS creators,
      ${sqlString(itemKind)} AS kind, NULL::BIGINT AS length_ms, []::VARCHAR[] AS tags, '{}' AS attributes
    FROM bulk_rows WHERE ok GROUP BY item_id`;
}

/** Plays per batch: line ranges of batchSize lines (at most batchSize plays each, in file order); [first line - 1, plays]. */
export async function bulkBatches(on: OnConnection, batchSize: number): Promise<[number, number][]> {
  const rows = await on(async (conn) => {
    const r = await conn.runAndReadAll(`SELECT (line_no - 1) // ${batchSize} AS b, count(*)::DOUBLE
      FROM bulk_rows WHERE ok GROUP BY b ORDER BY b`);
    return r.getRows() as [bigint, number][];
  });
  return rows.map(([b, n]) => [Number(b) * batchSize, n]);
}

export async function dropBulkTables(on: OnConnection): Promise<void> {
  await on((conn) =>
    conn.run(
      "DROP TABLE IF EXISTS bulk_lines; DROP TABLE IF EXISTS bulk_rows; DROP TABLE IF EXISTS bulk_judged; DROP TABLE IF EXISTS bulk_items; DROP TABLE IF EXISTS bulk_users",
    ),
  ).catch(() => {});
}

/** The optional columns of plays that bulk_rows holds under the same names. */
const STORED_OPTIONAL =
  "item_length_ms, weight, device_type, has_screen, context_extra, request_text, end_reason, request_id, device_state, activity";

/** The file's items (bulk_items) into the catalogue, in a transaction of their own. */
async function upsertBulkItems(conn: DuckDBConnection, options: BulkIngestOptions): Promise<void> {
  await conn.run("BEGIN TRANSACTION");
  try {
    // Only the items whose facts differ from the stored ones are written (a replace costs a delete and an
    // insert); the count is every item the file names, as the row-by-row path counts them.
    await conn.run(`INSERT OR REPLACE INTO items
      SELECT n.* FROM bulk_items n
      WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = n.item_id AND i.title = n.title
        AND i.creators = n.creators AND i.kind = n.kind AND i.length_ms IS NULL AND i.tags = n.tags
        AND i.attributes = n.attributes)`);
    const r = {
      rowsChanged: await count(conn, "SELECT count(*) FROM bulk_items"),
    };
    await conn.run("COMMIT");
    options.onItems(r.rowsChanged);
  } catch (err) {
    await conn.run("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** The bulk path of the embedded store: readBulkRows, then the items and the plays batch by batch. */
export async function bulkIngestFile(
  on: OnConnection,
  file: string,
  plan: BulkPlan,
  options: BulkIngestOptions,
  /** How many play writes the store has run other than this path's: read between this path's steps. */
  otherPlayWrites: () => number,
): Promise<{ rows: number } | null> {
  const limit = options.memoryLimit ?? BULK_MEMORY_LIMIT;
  const restoreMemoryLimit = await on((conn) => limitMemory(conn, limit));
  let restoreThreads = false;
  try {
    const rows = await readBulkRows(on, file, plan, options);
    if (rows === null) return null;
    let knownUsers = 0;
    let writesBefore = 0;
    await on(async (conn) => {
      // The file's items and users, each found once: the steps below read these instead of grouping the
      // file's rows again (five groupings of 2 M rows by a text column before).
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE bulk_items AS ${plan.itemKind === undefined ? "SELECT DISTINCT item_id FROM bulk_rows WHERE ok" : bulkItemsSql(plan.itemKind)}`,
      );
      await conn.run(
        "CREATE OR REPLACE TEMP TABLE bulk_users AS SELECT DISTINCT user_id FROM bulk_rows WHERE ok",
      );
      step("distinct items and users");
      // Items first, in their own transaction: a committed play's item facts are never missing. A plan
      // without an itemKind names no catalogue facts (as its row-by-row reader yields no items).
      if (plan.itemKind !== undefined) await upsertBulkItems(conn, options);
      step("items");
      // The codes of the file's new users and items (schema 8), also before the plays: an id with a code and
      // no play yet (a kill before the plays commit) is harmless, and the batches below only look codes up.
      await conn.run("BEGIN TRANSACTION");
      try {
        // A user without a code has no stored play (a play is stored with its codes, and codes are never
        // removed), so none of the file's plays can be stored already when none of its users has a code.
        knownUsers = await count(
          conn,
          "SELECT count(*) FROM user_codes WHERE user_id IN (SELECT user_id FROM bulk_users)",
        );
        writesBefore = otherPlayWrites();
        for (const [table, code, id, ids] of [
          ["user_codes", "user_code", "user_id", "bulk_users"],
          ["item_codes", "item_code", "item_id", "bulk_items"],
        ])
          await conn.run(`INSERT INTO ${table}
            SELECT ((SELECT coalesce(max(${code}) + 1, 0) FROM ${table}) + row_number() OVER (ORDER BY ${id}) - 1)::INTEGER, ${id}
            FROM ${ids} n
            WHERE NOT EXISTS (SELECT 1 FROM ${table} c WHERE c.${id} = n.${id})`);
        await conn.run("COMMIT");
      } catch (err) {
        await conn.run("ROLLBACK").catch(() => {});
        throw err;
      }
      step("codes");
    });
    // Plays per batch (line ranges of batchSize lines, so at most batchSize plays each, in file order).
    const batches = await bulkBatches(on, options.batchSize);
    // Inserts without the anti-join on one thread: DuckDB's parallel insert keeps the file's order by
    // merging each thread's row groups, and the final checkpoint then rewrote the short ones it left; on one
    // thread the plays go into full row groups in order as they come. 2 M plays, insert and checkpoint:
    // 4.6-6.1 CPU s against 7.1-8.5 on two threads (alternated, load 9-11 on 2 cores). With the anti-join
    // (a hash join over the stored plays) one thread saved little and peaked 50-65 MB higher, so those keep
    // DuckDB's threads. A setting of the whole database, as the memory limit is, put back afterwards.
    if (knownUsers === 0) {
      await on((conn) => conn.run("SET threads = 1"));
      restoreThreads = true;
    }
    for (const [from, inBatch] of batches) {
      const stored = await on(async (conn) => {
        await conn.run("BEGIN TRANSACTION");
        try {
          // The anti-join runs in the batch's transaction: plays has no key index (schema 7), and a play
          // another writer stored since an earlier batch is a duplicate. The key holds the end time, so
          // matching it too lets DuckDB skip stored plays of other times. It is left out when the file's
          // users were all new to the store and nothing else has written plays since: the file's keys are
          // distinct, so the earlier batches' plays cannot match (2 M plays: a hash table of every play
          // stored so far, built again for each batch).
          const antiJoin =
            knownUsers > 0 || otherPlayWrites() !== writesBefore
              ? "ANTI JOIN plays p ON p.event_key = r.event_key AND p.end_time = r.end_time"
              : "";
          const r =
            await conn.run(`INSERT INTO plays (event_key, user_id, item_id, end_time, played_ms, source, user_code, item_code, ${STORED_OPTIONAL})
            SELECT r.event_key, r.user_id, r.item_id, r.end_time, r.played_ms, ${sqlString(options.source)}, u.user_code, i.item_code, ${STORED_OPTIONAL}
            FROM (SELECT ${bulkKeySql} AS event_key, user_id, item_id, make_timestamp(end_ms * 1000) AS end_time, played_ms, ${STORED_OPTIONAL}
                  FROM bulk_rows WHERE ok AND line_no > ${from} AND line_no <= ${from + options.batchSize}) r
            JOIN user_codes u ON u.user_id = r.user_id JOIN item_codes i ON i.item_id = r.item_id
            ${antiJoin}`);
          await conn.run("COMMIT");
          return r.rowsChanged;
        } catch (err) {
          await conn.run("ROLLBACK").catch(() => {});
          throw err;
        }
      });
      options.onCommitted(stored, inBatch - stored);
    }
    if (batches.length === 0) options.onCommitted(0, 0);
    step("insert");
    // The plays written into the store file now, under the limit: the checkpoint that would otherwise come
    // when the store closes, after the limit is lifted, took 20 M plays' RSS from 450 MB to 2.1 GB.
    await on((conn) => conn.run("CHECKPOINT"));
    step("checkpoint");
    return { rows: rows };
  } catch (err) {
    throw overLimit(err, limit) ?? err;
  } finally {
    await dropBulkTables(on);
    if (restoreThreads) await on((conn) => conn.run("RESET threads"));
    await on(restoreMemoryLimit);
  }
}

/** DuckDB's out-of-memory error as what it means here: the limit is too small for this file's ingest. */
export function overLimit(err: unknown, limit: string): Error | null {
  const message = err instanceof Error ? err.message : String(err);
  if (!/Out of Memory Error/i.test(message)) return null;
  return new Error(
    `the bulk ingest needed more than its memory limit of ${limit} (--memory-limit; nothing of the batch in flight was stored): ${message.split("\n")[0]}`,
    { cause: err },
  );
}

/**
 * Sets DuckDB's memory limit (a setting of the whole database, not of one connection) and returns what puts
 * the store's back: RESET, since the store sets none of its own and DuckDB shows its default rounded (setting
 * back the '18.8 GiB' it shows gave 18.6). Past the limit DuckDB writes the staged rows to its temporary
 * folder (for a store file, `<store>.tmp` beside it, which it empties again) instead of holding them all.
 *
 * Its allocator too, for as long: DuckDB hands freed memory back to the system only once a task has left
 * more than allocator_flush_threshold (128 MiB) outstanding, so up to that much sat in RSS beyond the buffer
 * pool; 16MB and a background thread returning it took a 20 M-row ingest's peak from 543 to 470 MiB (both
 * with ANY_ORDER; README, "Memory of a bulk ingest").
 */
export async function limitMemory(
  conn: DuckDBConnection,
  limit: string,
): Promise<(conn: DuckDBConnection) => Promise<void>> {
  await conn.run(
    `SET memory_limit = ${sqlString(limit)}; SET allocator_flush_threshold = '16MB'; SET allocator_background_threads = true`,
  );
  return async (c) => {
    await c.run("RESET memory_limit; RESET allocator_flush_threshold; RESET allocator_background_threads");
  };
}
