/**
 * The bulk ingest path of the PostgreSQL store (issue 22): an in-memory DuckDB reads the file and checks and
 * keys its rows with the embedded store's own code (readBulkRows: the same SQL rules, keys and rejects), writes
 * the accepted rows to a temporary CSV file, and PostgreSQL takes them in with COPY FROM STDIN into a
 * temporary staging table (not WAL-logged); then the plays not yet stored go into `plays` batch by batch
 * (line ranges of batchSize lines, one transaction each, ON CONFLICT DO NOTHING on the primary key), so a
 * kill keeps whole batches and running the same ingest again completes it. The items go first, in a
 * transaction of their own, as on the embedded store.
 *
 * A bus (`--bus`) needs each stored play in JavaScript, so ingestIntoStore never takes this path then.
 */
import { createReadStream, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { DuckDBInstance } from "@duckdb/node-api";
import type pg from "pg";
import copyStreams from "pg-copy-streams";
import { sqlString } from "../../ingest/sql-rules.js";
import type { BulkCsvPlan, BulkIngestOptions } from "../bulk-ingest.js";
import {
  bulkBatches,
  bulkItemsSql,
  bulkKeySql,
  dropBulkTables,
  type OnConnection,
  readBulkRows,
} from "../duckdb/bulk-ingest.js";

/** How the new plays of a batch go from staging into plays (bench/cluster.ts measures both). */
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

/** The CPU seconds a local process has used (utime + stime of /proc/<pid>/stat), or null. */
function processCpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
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
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  // One caller at a time by construction (each step awaits the one before).
  const on: OnConnection = (body) => body(conn);
  try {
    const rows = await readBulkRows(on, file, plan, options);
    if (rows === null) return null;
    step("read, check and key in DuckDB", rows);
    const itemsCsv = join(dir, "items.csv");
    const playsCsv = join(dir, "plays.csv");
    // Text fields quoted, so that an empty text stays one (PostgreSQL's CSV reads an unquoted empty field
    // as null). The key as 32 hex digits, which PostgreSQL's uuid reads.
    const items = Number(
      (
        await conn.runAndReadAll(`COPY (SELECT item_id, title, creators[1] AS creator FROM (${bulkItemsSql(plan.itemKind)}))
          TO ${sqlString(itemsCsv)} (FORMAT csv, HEADER false, FORCE_QUOTE (item_id, title, creator))`)
      ).getColumns()[0]?.[0] ?? 0,
    );
    // Each batch's rows in primary-key order (DuckDB sorts in parallel): PostgreSQL then reads a batch from
    // the staging table in that order, and its btree grows page after page, with no sort of its own.
    await conn.run(`COPY (SELECT (line_no - 1) // ${options.batchSize} AS batch, user_id,
        lpad(hex(${bulkKeySql}), 32, '0') AS event_key, item_id, end_ms, played_ms FROM bulk_rows WHERE ok
        ORDER BY batch, user_id, event_key)
      TO ${sqlString(playsCsv)} (FORMAT csv, HEADER false, FORCE_QUOTE (user_id, item_id))`);
    const batches = await bulkBatches(on, options.batchSize);
    const accepted = batches.reduce((sum, [, n]) => sum + n, 0);
    await dropBulkTables(on);
    step("write CSV from DuckDB", accepted);

    await context.client(async (c) => {
      if (context.onStep) {
        backend = Number((await c.query("SELECT pg_backend_pid() AS pid")).rows[0].pid);
        lastServer = processCpuSeconds(backend);
      }
      // Items first, in their own transaction: a committed play's item facts are never missing. Only items
      // whose facts differ are written; the count is every item the file names (as the row-by-row path).
      await inTransaction(c, async () => {
        await c.query(`CREATE TEMP TABLE bulk_items (item_id text COLLATE "C", title text, creator text)
          ON COMMIT DROP`);
        await pipeline(
          createReadStream(itemsCsv),
          c.query(copyStreams.from("COPY bulk_items FROM STDIN (FORMAT csv)")),
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
      });
      options.onItems(items);
      step("items", items);

      // The staging table: temporary (no WAL, this session only), filled by one COPY.
      await c.query("DROP TABLE IF EXISTS bulk_plays");
      await c.query(`CREATE TEMP TABLE bulk_plays (batch bigint, user_id text COLLATE "C", event_key uuid,
        item_id text COLLATE "C", end_ms bigint, played_ms bigint)`);
      try {
        await pipeline(
          createReadStream(playsCsv),
          c.query(copyStreams.from("COPY bulk_plays FROM STDIN (FORMAT csv)")),
        );
        step("COPY into staging", accepted);
        if (batches.length > 1) {
          // Batches lie one after the other: a block-range index finds one's pages for nearly nothing.
          await c.query("CREATE INDEX ON bulk_plays USING brin (batch)");
          await c.query("ANALYZE bulk_plays");
          step("index staging by batch", accepted);
        }
        for (const [from, inBatch] of batches) {
          const range = batches.length > 1 ? `WHERE batch = ${from / options.batchSize}` : "";
          const notStored =
            context.insertMethod === "anti-join"
              ? `${range ? `${range} AND` : "WHERE"} NOT EXISTS (SELECT 1 FROM plays p
                  WHERE p.user_id = s.user_id AND p.event_key = s.event_key)`
              : range;
          // In the staging table's order (primary-key order within the batch, above). ON CONFLICT stays for
          // the anti-join too: a play another writer commits meanwhile is a duplicate, not an error.
          const r = await inTransaction(c, () =>
            c.query({
              text: `INSERT INTO plays (user_id, event_key, item_id, end_time, played_ms, source)
                SELECT user_id, event_key, item_id, to_timestamp(end_ms::float8 / 1000), played_ms, $1
                FROM bulk_plays s ${notStored} ON CONFLICT DO NOTHING`,
              values: [options.source],
            }),
          );
          const stored = r.rowCount ?? 0;
          options.onCommitted(stored, inBatch - stored);
        }
        if (batches.length === 0) options.onCommitted(0, 0);
        step(`insert (${context.insertMethod})`, accepted);
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
