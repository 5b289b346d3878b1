/**
 * `tastebud export`: the stored plays as one Parquet file, for training elsewhere (Spark's ALS where
 * BPR's pairwise ranking is not required, a notebook, a warehouse). Any store: the plays come from
 * EventStore.scanPlays, the same typed columns training reads, so PostgreSQL and DuckDB export alike.
 *
 * Columns: `user`, `item`, `endTime` (UTC timestamp), `playedMs`, `itemLengthMs` and `weight` (null where
 * unknown) are the play event's own fields, so `tastebud ingest` reads the file back; `userIndex` and
 * `itemIndex` are dense integer ids (users and items ranked by name, as training numbers them), which
 * ALS implementations want. Rows are in time order. It is what training reads, not a backup: without the
 * plays' eventIds (or context and request fields), ingesting it into the store it came from stores its
 * plays again under new keys; into an empty store it gives one that exports the same file.
 *
 * The file is written beside its destination and renamed into place when complete, so a crash or kill
 * leaves the previous file or none, never half of one.
 */
import { renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { sqlString } from "../ingest/sql-rules.js";
import type { EventStore, TimeWindow } from "../store/event-store.js";

export interface ExportSummary {
  path: string;
  plays: number;
  users: number;
  items: number;
  bytes: number;
}

/** Rows per appended chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

export async function exportPlaysToParquet(
  store: EventStore,
  outPath: string,
  options: { window?: TimeWindow; onProgress?: (done: number, total: number) => void } = {},
): Promise<ExportSummary> {
  const columns = await store.scanPlays(options.window);
  const n = columns.userIndex.length;
  // Loaded here, not with the module: DuckDB's native library is half a second of every process's start.
  const { DuckDBInstance, DuckDBDataChunk, DOUBLE, INTEGER, VARCHAR } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  const partial = join(dirname(outPath), `.${basename(outPath)}.${process.pid}.partial`);
  try {
    await conn.run("CREATE TABLE users (user_index INTEGER, name VARCHAR)");
    await conn.run("CREATE TABLE items (item_index INTEGER, name VARCHAR)");
    await conn.run(
      "CREATE TABLE plays (user_index INTEGER, item_index INTEGER, end_ms DOUBLE, played_ms DOUBLE, length_ms DOUBLE, weight DOUBLE)",
    );
    const append = async (
      table: string,
      types: Parameters<typeof DuckDBDataChunk.create>[0],
      rows: number,
      values: (column: number, start: number, end: number) => (number | string)[],
    ) => {
      const appender = await conn.createAppender(table);
      for (let start = 0; start < rows; start += CHUNK_ROWS) {
        const end = Math.min(rows, start + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(types, end - start);
        for (let c = 0; c < types.length; c++) chunk.setColumnValues(c, values(c, start, end));
        appender.appendDataChunk(chunk);
        if (table === "plays" && start % (CHUNK_ROWS * 64) === 0) options.onProgress?.(start, rows);
      }
      appender.closeSync();
    };
    for (const [table, names] of [
      ["users", columns.users],
      ["items", columns.items],
    ] as const) {
      await append(table, [INTEGER, VARCHAR], names.length, (c, start, end) =>
        c === 0 ? Array.from({ length: end - start }, (_, k) => start + k) : names.slice(start, end),
      );
    }
    const sources = [
      columns.userIndex,
      columns.itemIndex,
      columns.endTimeMs,
      columns.playedMs,
      columns.itemLengthMs,
      columns.weight,
    ];
    await append("plays", [INTEGER, INTEGER, DOUBLE, DOUBLE, DOUBLE, DOUBLE], n, (c, start, end) =>
      Array.from(sources[c].subarray(start, end)),
    );
    options.onProgress?.(n, n);
    // Unknown lengths are 0 and absent weights NaN in the scan's columns; in the file both are null.
    await conn.run(`COPY (
        SELECT u.name AS "user", i.name AS item,
               make_timestamp(CAST(p.end_ms AS BIGINT) * 1000) AS "endTime",
               CAST(p.played_ms AS BIGINT) AS "playedMs",
               CASE WHEN p.length_ms > 0 THEN CAST(p.length_ms AS BIGINT) END AS "itemLengthMs",
               CASE WHEN NOT isnan(p.weight) THEN p.weight END AS weight,
               p.user_index AS "userIndex", p.item_index AS "itemIndex"
        FROM plays p JOIN users u USING (user_index) JOIN items i USING (item_index)
        ORDER BY p.end_ms, p.user_index, p.item_index
      ) TO ${sqlString(partial)} (FORMAT parquet)`);
    renameSync(partial, outPath);
  } finally {
    rmSync(partial, { force: true });
    conn.closeSync();
    instance.closeSync();
  }
  const summary = { plays: n, users: columns.users.length, items: columns.items.length };
  return { path: outPath, ...summary, bytes: statSync(outPath).size };
}
