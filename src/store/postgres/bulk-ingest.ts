/**
 * The bulk ingest path of the PostgreSQL store (issue 22): an in-memory DuckDB reads the file and checks and
 * keys its rows with the embedded store's own code (readBulkRows: the same SQL rules, keys and rejects); then
 * the plays go into `plays` batch by batch (line ranges of batchSize lines, one transaction each), so a kill
 * keeps whole batches and running the same ingest again completes it. The items go first, in a transaction
 * of their own, as on the embedded store.
 *
 * Rows travel from DuckDB to PostgreSQL through a named pipe: DuckDB's own CSV writer formats them and
 * COPY FROM STDIN takes them in while DuckDB is still writing, so the two processes work side by side and
 * JavaScript only moves bytes. A batch whose users have no stored play cannot hold a stored play's key, so
 * it is COPYed straight into `plays` (the fastest way in: no staging table, no per-row conflict check); any
 * other batch, or one that meets a play another writer committed meanwhile (a unique violation, the batch
 * rolled back), goes through a temporary staging table (not WAL-logged) and INSERT ... ON CONFLICT DO
 * NOTHING (or an anti-join first) on the primary key.
 *
 * A bus (`--bus`) needs each stored play in JavaScript, so ingestIntoStore never takes this path then.
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type pg from "pg";
import copyStreams from "pg-copy-streams";
import { sqlString } from "../../ingest/sql-rules.js";
import { processCpuSeconds } from "../../process-cpu.js";
import { BULK_MEMORY_LIMIT, type BulkCsvPlan, type BulkIngestOptions } from "../bulk-ingest.js";
import {
  bulkBatches,
  bulkItemsSql,
  bulkKeySql,
  dropBulkTables,
  type OnConnection,
  readBulkRows,
} from "../duckdb/bulk-ingest.js";

export type BulkInsertMethod = "on-conflict" | "anti-join";

export interface PostgresBulkContext {
  /** Runs `body` on one pooled connection (the store's, which turns server failures into StoreError). */
  client<T>(body: (c: pg.PoolClient) => Promise<T>): Promise<T>;
  insertMethod: BulkInsertMethod;
  /** Told each step's wall seconds, rows and CPU seconds, for the benchmark. */
  onStep?: (step: string, seconds: number, rows: number, cpu: BulkStepCpu) => void;
}

/**
 * CPU seconds a step took: this process's (DuckDB's threads included) and the PostgreSQL backend's serving
 * the ingest (read from /proc when the server runs on this machine; null when it cannot be read).
 */
export interface BulkStepCpu {
  process: number;
  server: number | null;
}

/** A statement in a transaction of its own on `c`. */
async function inTransaction<T>(c: pg.PoolClient, body: () => Promise<T>): Promise<T> {
  await c.query("BEGIN");
  try {
    const result = await body();
    await c.query("COMMIT");
    return result;
  } catch (err) {
    await c.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** SQLSTATEs after which a batch COPYed straight into plays goes through staging instead. */
const STAGE_INSTEAD = new Set([
  "23505", // unique_violation: another writer stored one of the batch's plays meanwhile
  "40P01", // deadlock_detected: another writer inserting the same keys
]);

/**
 * A DuckDB query's rows, as CSV from DuckDB's own writer, into `copySql` (a COPY FROM STDIN (FORMAT csv))
 * on `c`, through the named pipe `fifo`; returns the rows COPY took. Throws if either side fails: when
 * PostgreSQL stops reading, DuckDB's next write fails (a broken pipe); when DuckDB fails, the COPY ends short
 * and the error is thrown, so the caller's transaction must not commit.
 */
async function copyThroughPipe(
  duck: DuckDBConnection,
  c: pg.PoolClient,
  fifo: string,
  select: string,
  forceQuote: string[],
  copySql: string,
): Promise<number> {
  // The reading end opens without waiting for a writer; a write end of this process's own, held until
  // DuckDB's statement is over, keeps the reader from taking "no writer yet" for the end of the data. Neither
  // open blocks (a reader is there when the write end opens), so no thread waits on the pipe.
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  let keeper: number;
  try {
    keeper = openSync(fifo, constants.O_WRONLY);
  } catch (err) {
    closeSync(readFd);
    throw err;
  }
  const copy = c.query(copyStreams.from(copySql));
  const copied = pipeline(new Socket({ fd: readFd, readable: true, writable: false }), copy);
  const written = duck
    .run(
      `COPY (${select}) TO ${sqlString(fifo)} (FORMAT csv, HEADER false, FORCE_QUOTE (${forceQuote.join(", ")}))`,
    )
    .finally(() => closeSync(keeper));
  const [read, write] = await Promise.allSettled([copied, written]);
  // PostgreSQL's error first: DuckDB's broken pipe is its consequence.
  if (read.status === "rejected") throw read.reason;
  if (write.status === "rejected") throw write.reason;
  return copy.rowCount;
}

/** A statement's error code from PostgreSQL, if it has one. */
const sqlState = (err: unknown): string | undefined =>
  typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;

/** The last instant (exclusive) whose DuckDB timestamp text has a four-digit year: 10000-01-01, in ms. */
const YEAR_10000_MS = 253_402_300_800_000;

export async function postgresBulkIngestCsv(
  context: PostgresBulkContext,
  file: string,
  plan: BulkCsvPlan,
  options: BulkIngestOptions,
): Promise<{ rows: number } | null> {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  /** The backend serving the ingest, once it has one (for its CPU time). */
  let backend: number | null = null;
  let lastServer: number | null = null;
  const step = (name: string, rows: number) => {
    if (!context.onStep) return;
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const server = processCpuSeconds(backend);
    context.onStep(name, (now - last) / 1000, rows, {
      process: (cpu.user + cpu.system) / 1e6,
      server: server === null || lastServer === null ? null : server - lastServer,
    });
    last = now;
    lastCpu = process.cpuUsage();
    lastServer = server;
  };
  const dir = await mkdtemp(join(tmpdir(), "tastebud-pg-bulk-"));
  const fifo = join(dir, "rows.csv");
  // The staged rows spill to this folder past the bulk path's memory limit (as on the embedded store).
  const instance = await DuckDBInstance.create(":memory:", {
    memory_limit: options.memoryLimit ?? BULK_MEMORY_LIMIT,
    temp_directory: join(dir, "spill"),
  });
  const conn = await instance.connect();
  // One caller at a time by construction (each step awaits the one before).
  const on: OnConnection = (body) => body(conn);
  try {
    const rows = await readBulkRows(on, file, plan, options);
    if (rows === null) return null;
    execFileSync("mkfifo", ["-m", "600", fifo]);
    // From here DuckDB writes what PostgreSQL reads, at PostgreSQL's pace: one thread of DuckDB's leaves the
    // other core to the server, and more would spin while the pipe is full (on 571k rows with a reader slower
    // than the writer: 4.7-5.4 CPU s with two threads against 1.9 with one).
    await conn.run("SET threads = 1");
    const batches = await bulkBatches(on, options.batchSize);
    step("read, check and key in DuckDB", rows);

    await context.client(async (c) => {
      if (context.onStep) {
        backend = Number((await c.query("SELECT pg_backend_pid() AS pid")).rows[0].pid);
        lastServer = processCpuSeconds(backend);
      }
      // Items first, in their own transaction: a committed play's item facts are never missing. Only items
      // whose facts differ are written; the count is every item the file names (as the row-by-row path).
      // Text fields are quoted, so that an empty text stays one (PostgreSQL's CSV reads an unquoted empty
      // field as null).
      const items = await inTransaction(c, async () => {
        await c.query(`CREATE TEMP TABLE bulk_items (item_id text COLLATE "C", title text, creator text)
          ON COMMIT DROP`);
        const items = await copyThroughPipe(
          conn,
          c,
          fifo,
          `SELECT item_id, title, creators[1] AS creator FROM (${bulkItemsSql(plan.itemKind)})`,
          ["item_id", "title", "creator"],
          "COPY bulk_items FROM STDIN (FORMAT csv)",
        );
        await c.query({
          text: `INSERT INTO items (item_id, title, creators, kind, length_ms, tags, attributes)
          SELECT item_id, title, ARRAY[creator], $1, NULL, '{}', '{}'
          FROM bulk_items ORDER BY item_id
          ON CONFLICT (item_id) DO UPDATE SET title = excluded.title, creators = excluded.creators,
            kind = excluded.kind, length_ms = excluded.length_ms, tags = excluded.tags, attributes = excluded.attributes
          WHERE (items.title, items.creators, items.kind, items.length_ms, items.tags, items.attributes::text)
            IS DISTINCT FROM (excluded.title, excluded.creators, excluded.kind, excluded.length_ms, excluded.tags,
              excluded.attributes::text)`,
          values: [plan.itemKind],
        });
        return items;
      });
      options.onItems(items);
      step("items", items);

      // Users with a play stored before this ingest: only their plays can be stored already (the file's own
      // keys are distinct, repeated plays numbered), so a batch naming none of them goes straight into plays,
      // even when an earlier batch of this ingest stored plays of its users.
      const fileUsers = await on(
        async (d) =>
          (await d.runAndReadAll("SELECT DISTINCT user_id FROM bulk_rows WHERE ok")).getColumns()[0],
      );
      const storedUsers = new Set<string>(
        (
          await c.query({
            text: `SELECT u FROM unnest($1::text[]) AS u
              WHERE EXISTS (SELECT 1 FROM plays p WHERE p.user_id = u COLLATE "C")`,
            values: [fileUsers],
          })
        ).rows.map((r) => r.u),
      );

      /** A batch's plays straight into plays; null when it must go through staging instead. */
      const copyStraight = async (range: string, inBatch: number): Promise<number | null> => {
        // Its end times as DuckDB's timestamp text, which PostgreSQL reads back exactly (a four-digit year).
        const [users, ordinaryTimes] = await on(async (d) => {
          const r = await d.runAndReadAll(`SELECT DISTINCT user_id FROM bulk_rows WHERE ${range}`);
          const times = await d.runAndReadAll(
            `SELECT bool_and(end_ms >= 0 AND end_ms < ${YEAR_10000_MS}) FROM bulk_rows WHERE ${range}`,
          );
          return [r.getColumns()[0] as string[], times.getColumns()[0][0] === true];
        });
        if (!ordinaryTimes || users.some((u) => storedUsers.has(u))) return null;
        await c.query("BEGIN");
        try {
          // DuckDB writes timestamps without an offset: they are UTC.
          await c.query("SET LOCAL TimeZone = 'UTC'");
          // In primary-key order (DuckDB sorts in parallel): the btree grows page after page.
          const copied = await copyThroughPipe(
            conn,
            c,
            fifo,
            `SELECT user_id, lpad(hex(${bulkKeySql}), 32, '0') AS event_key, item_id,
              make_timestamp(end_ms * 1000) AS end_time, played_ms, ${sqlString(options.source)} AS source
            FROM bulk_rows WHERE ${range} ORDER BY user_id, event_key`,
            ["user_id", "item_id", "source"],
            "COPY plays (user_id, event_key, item_id, end_time, played_ms, source) FROM STDIN (FORMAT csv)",
          );
          if (copied !== inBatch) throw new Error(`COPY took ${copied} of the batch's ${inBatch} plays`);
          await c.query("COMMIT");
          return copied;
        } catch (err) {
          await c.query("ROLLBACK").catch(() => {});
          if (STAGE_INSTEAD.has(sqlState(err) ?? "")) return null;
          throw err;
        }
      };

      /** A batch's plays through the staging table: the ones not yet stored go into plays. */
      const staged = async (range: string): Promise<number> => {
        await c.query(`CREATE TEMP TABLE IF NOT EXISTS bulk_plays (user_id text COLLATE "C", event_key uuid,
          item_id text COLLATE "C", end_ms bigint, played_ms bigint)`);
        await c.query("TRUNCATE bulk_plays");
        await copyThroughPipe(
          conn,
          c,
          fifo,
          `SELECT user_id, lpad(hex(${bulkKeySql}), 32, '0') AS event_key, item_id, end_ms, played_ms
          FROM bulk_rows WHERE ${range} ORDER BY user_id, event_key`,
          ["user_id", "item_id"],
          "COPY bulk_plays FROM STDIN (FORMAT csv)",
        );
        if (context.insertMethod === "anti-join") await c.query("ANALYZE bulk_plays");
        const notStored =
          context.insertMethod === "anti-join"
            ? `WHERE NOT EXISTS (SELECT 1 FROM plays p WHERE p.user_id = s.user_id AND p.event_key = s.event_key)`
            : "";
        // In the staging table's order (primary-key order, above). ON CONFLICT stays for the anti-join too:
        // a play another writer commits meanwhile is a duplicate, not an error.
        const r = await inTransaction(c, () =>
          c.query({
            text: `INSERT INTO plays (user_id, event_key, item_id, end_time, played_ms, source)
              SELECT user_id, event_key, item_id, to_timestamp(end_ms::float8 / 1000), played_ms, $1
              FROM bulk_plays s ${notStored} ON CONFLICT DO NOTHING`,
            values: [options.source],
          }),
        );
        return r.rowCount ?? 0;
      };

      try {
        for (const [from, inBatch] of batches) {
          const range = `ok AND line_no > ${from} AND line_no <= ${from + options.batchSize}`;
          let stored = await copyStraight(range, inBatch);
          if (stored !== null) step("COPY straight into plays", inBatch);
          else {
            stored = await staged(range);
            step(`staging and insert (${context.insertMethod})`, inBatch);
          }
          options.onCommitted(stored, inBatch - stored);
        }
        if (batches.length === 0) options.onCommitted(0, 0);
      } finally {
        await c.query("DROP TABLE IF EXISTS bulk_plays").catch(() => {});
      }
    });
    return { rows };
  } finally {
    await dropBulkTables(on);
    conn.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
