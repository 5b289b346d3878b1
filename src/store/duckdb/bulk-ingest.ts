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
import { fieldListSql, quotedFieldsSql, sqlString } from "../../ingest/sql-rules.js";
import { eventTimeMs } from "../../schema/events.js";
import {
  BULK_MEMORY_LIMIT,
  type BulkCsvPlan,
  type BulkIngestOptions,
  type LineVerdict,
} from "../bulk-ingest.js";
import { eventKeyTextSql, md5NumberKeySql } from "../event-key-sql.js";

/** The longest line DuckDB reads (max_line_size); a file with a longer one is read row by row. */
export const MAX_LINE_BYTES = 2 * 1024 * 1024;

/** The key parts of a judged row (bulk_judged j). */
const jParts = { user: "j.user_id", item: "j.item_id", endMs: "j.end_ms", playedMs: "j.played_ms" };

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
 * a line (a blank CRLF line, which DuckDB counts as more than one line, so later line numbers shift). Files
 * without any (most) cost one memchr per chunk.
 */
export async function hasMisreadCarriageReturn(file: string): Promise<boolean> {
  const input = await openBytes(file);
  // The last byte of the chunk before.
  let before = 0x0a;
  try {
    for await (const chunk of input) {
      const bytes = chunk as Buffer;
      if (before === 0x0d && bytes[0] !== 0x0a) return true;
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
 * The reading half of the bulk path, shared by both stores (the PostgreSQL one runs it on an in-memory DuckDB):
 * reads the file, checks and keys its rows into the temporary table bulk_rows (line_no, ok, user_id, item_id,
 * end_ms, played_ms, title, creator, md5: md5_number of the key text, bulkKeySql turns it into the key), hands
 * the rejects to `onReject` in line order, and returns how many rows were read; null when the file is for the
 * row-by-row reader after all. The caller drops the tables (dropBulkTables), whatever happens.
 */
export async function readBulkRows(
  on: OnConnection,
  file: string,
  plan: BulkCsvPlan,
  options: Pick<BulkIngestOptions, "onRead" | "onReject">,
): Promise<number | null> {
  const gzip = await isGzip(file);
  // Looked for while DuckDB reads (this thread is idle then); awaited before anything is stored.
  const carriageReturns = hasMisreadCarriageReturn(file);
  carriageReturns.catch(() => {});
  // \x01 as the delimiter: a line holding one splits into two columns, which DuckDB rejects, which sends the
  // file back to the row-by-row reader (below). So does a line longer than max_line_size (DuckDB's default,
  // 2 MiB, named here because its read buffer is 16 times it: at 100 MB the reader asked for a 1.4 GiB buffer,
  // which held a whole 1.2 GB file in memory).
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
  if (lines === null || lines.header == null || lines.header === "") return null;
  plan.header(lines.header);
  const d = plan.delimiter;
  const s = plan.select((k) => `fields[${k}]`, "len(fields)");
  // Keys as eventKey gives them: every row keyed as a first occurrence here, then the few whose key repeats
  // in the file are numbered in line order and re-keyed with their occurrence (below). The table holds
  // md5_number of the key text; the key itself (its bytes in the other order) is taken as plays are stored.
  const parts = { user: "user_id", item: "item_id", endMs: "end_ms", playedMs: "played_ms" };
  const rows = await on((conn) =>
    withProgress(
      conn,
      (f) => options.onRead(0, 0.8 + f * 0.2),
      async () => {
        const cols = (m: Record<string, string>) =>
          Object.entries(m)
            .map(([name, sql]) => `${sql} AS ${name}`)
            .join(", ");
        const v = s.values;
        await conn.run(`CREATE OR REPLACE TEMP TABLE bulk_rows AS
            SELECT line_no, ok, irregular, CASE WHEN ok THEN NULL ELSE line END AS line,
              user_id, item_id, end_ms, played_ms, title, creator,
              CASE WHEN ok THEN md5_number(${eventKeyTextSql(parts, "0")}) END AS md5
            FROM (SELECT line_no, ok, irregular, line,
              CASE WHEN ok THEN user_id END AS user_id, CASE WHEN ok THEN item_id END AS item_id,
              CASE WHEN ok THEN end_ms END AS end_ms, CASE WHEN ok THEN played_ms END AS played_ms,
              CASE WHEN ok THEN title END AS title, CASE WHEN ok THEN creator END AS creator
            FROM (SELECT *, ${s.ok} AS ok FROM (
              SELECT *, ${v.user} AS user_id, ${v.item} AS item_id, ${v.endMs} AS end_ms,
                ${v.playedMs} AS played_ms, ${v.title} AS title, ${v.creator} AS creator
              FROM (SELECT *, ${cols(s.derived)} FROM (
                SELECT line_no, line, irregular, ${cols(s.fields)} FROM (
                SELECT line_no, line,
                  ((quoted IS NULL AND strpos(line, '"') > 0) OR strpos(line, chr(13)) > 0) AS irregular,
                  ${fieldListSql("line", "quoted", d)} AS fields
                FROM (SELECT rowid + 1 AS line_no, line, ${quotedFieldsSql("line", d)} AS quoted
                      FROM bulk_lines WHERE rowid > 0 AND line IS NOT NULL AND line <> '')))))))`);
        step("parse, check and key");
        await conn.run("DROP TABLE bulk_lines");
        if ((await count(conn, "SELECT count(*) FROM bulk_rows WHERE irregular")) > 0) return null;
        return count(conn, "SELECT count(*) FROM bulk_rows");
      },
    ),
  );
  if (rows === null || (await carriageReturns)) return null;
  options.onRead(rows, 1);

  // The rows the SQL could not vouch for: the JavaScript reader's verdict on each, in line order.
  const unsure = await on(async (conn) => {
    const r = await conn.runAndReadAll("SELECT line_no, line FROM bulk_rows WHERE NOT ok ORDER BY line_no");
    return r.getRows() as [bigint, string][];
  });
  const rejects: [number, { field: string; reason: string }, string][] = [];
  const accepted: [number, LineVerdict][] = [];
  const verdicts = plan.judge(unsure.map(([, text]) => text));
  for (const [k, [lineNo, text]] of unsure.entries()) {
    const verdict = verdicts[k];
    if (verdict === "irregular") return null;
    if ("bad" in verdict) rejects.push([Number(lineNo), verdict.bad, text]);
    else accepted.push([Number(lineNo), verdict]);
  }
  if (accepted.length > 0)
    await on(async (conn) => {
      await conn.run(
        "CREATE OR REPLACE TEMP TABLE bulk_judged (line_no BIGINT, user_id VARCHAR, item_id VARCHAR, end_ms BIGINT, played_ms BIGINT, title VARCHAR, creator VARCHAR)",
      );
      const a = await conn.createAppender("bulk_judged", "main", "temp");
      for (const [lineNo, v] of accepted) {
        if (v === "irregular" || "bad" in v) continue;
        a.appendBigInt(BigInt(lineNo));
        a.appendVarchar(v.event.user);
        a.appendVarchar(v.event.item);
        a.appendBigInt(BigInt(eventTimeMs(v.event.endTime)));
        a.appendBigInt(BigInt(v.event.playedMs));
        a.appendVarchar(v.title);
        a.appendVarchar(v.creator);
        a.endRow();
      }
      a.closeSync();
      await conn.run(`UPDATE bulk_rows SET ok = true, user_id = j.user_id, item_id = j.item_id,
          end_ms = j.end_ms, played_ms = j.played_ms, title = j.title, creator = j.creator,
          md5 = md5_number(${eventKeyTextSql(jParts, "0")})
          FROM bulk_judged j WHERE bulk_rows.line_no = j.line_no`);
      await conn.run("DROP TABLE bulk_judged");
    });
  for (const [lineNo, bad, text] of rejects) options.onReject(lineNo, bad, text);
  step(`judge ${unsure.length} rows in JavaScript`);

  await on(async (conn) => {
    // Identical plays in one file: the second and later, in line order, keyed with their occurrence.
    await conn.run(`UPDATE bulk_rows SET md5 = r.md5 FROM (
          SELECT line_no, md5_number(${eventKeyTextSql(parts, "occ")}) AS md5 FROM (
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

/** The bulk path of the embedded store: readBulkRows, then the items and the plays batch by batch. */
export async function bulkIngestCsv(
  on: OnConnection,
  file: string,
  plan: BulkCsvPlan,
  options: BulkIngestOptions,
  /** How many play writes the store has run other than this path's: read between this path's steps. */
  otherPlayWrites: () => number,
): Promise<{ rows: number } | null> {
  const limit = options.memoryLimit ?? BULK_MEMORY_LIMIT;
  const restoreMemoryLimit = await on((conn) => limitMemory(conn, limit));
  try {
    const rows = await readBulkRows(on, file, plan, options);
    if (rows === null) return null;
    let knownUsers = 0;
    let writesBefore = 0;
    await on(async (conn) => {
      // The file's items and users, each found once: the steps below read these instead of grouping the
      // file's rows again (five groupings of 2 M rows by a text column before).
      await conn.run(`CREATE OR REPLACE TEMP TABLE bulk_items AS ${bulkItemsSql(plan.itemKind)}`);
      await conn.run(
        "CREATE OR REPLACE TEMP TABLE bulk_users AS SELECT DISTINCT user_id FROM bulk_rows WHERE ok",
      );
      step("distinct items and users");
      // Items first, in their own transaction: a committed play's item facts are never missing.
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
            await conn.run(`INSERT INTO plays (event_key, user_id, item_id, end_time, played_ms, source, user_code, item_code)
            SELECT r.event_key, r.user_id, r.item_id, r.end_time, r.played_ms, ${sqlString(options.source)}, u.user_code, i.item_code
            FROM (SELECT ${bulkKeySql} AS event_key, user_id, item_id, make_timestamp(end_ms * 1000) AS end_time, played_ms
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
 */
export async function limitMemory(
  conn: DuckDBConnection,
  limit: string,
): Promise<(conn: DuckDBConnection) => Promise<void>> {
  await conn.run(`SET memory_limit = ${sqlString(limit)}`);
  return async (c) => {
    await c.run("RESET memory_limit");
  };
}
