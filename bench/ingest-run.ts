/**
 * One measured path of bench/ingest.ts, in a process of its own: prints one JSON line with its seconds, rows
 * and peak RSS. `node --import tsx bench/ingest-run.ts <mode> <csv file> <store file>`, modes:
 * - duckdb-read-csv: DuckDB alone, `CREATE TABLE AS SELECT * FROM read_csv(...)` (the yardstick), timed
 *   without and with the CHECKPOINT that writes the table into the file;
 * - ingest-js: `ingestIntoStore` with the spotify preset, rows parsed and validated in JavaScript;
 * - ingest-bulk: the same through the store's bulk path (DuckDB reads the file; issue 14).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { ingestIntoStore } from "../src/pipeline/ingest.js";
import { DuckDbEventStore } from "../src/store/duckdb/duckdb-store.js";

const [mode, file, storePath] = process.argv.slice(2);
const sql = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function main(): Promise<object> {
  if (mode === "duckdb-read-csv") {
    const instance = await DuckDBInstance.create(storePath);
    const conn = await instance.connect();
    const t0 = performance.now();
    await conn.run(
      `CREATE TABLE plays_csv AS SELECT * FROM read_csv(${sql(file)}, header = true, store_rejects = true)`,
    );
    const seconds = (performance.now() - t0) / 1000;
    // The table written into the database file, as an ingest's commits leave its plays: DuckDB keeps a
    // large insert in memory and the write-ahead log until a checkpoint, which costs as much again.
    await conn.run("CHECKPOINT");
    const secondsWithCheckpoint = (performance.now() - t0) / 1000;
    const rows = Number((await conn.runAndReadAll("SELECT count(*) FROM plays_csv")).getColumns()[0][0]);
    conn.closeSync();
    instance.closeSync();
    return { seconds, secondsWithCheckpoint, rows };
  }
  if (mode === "ingest-js" || mode === "ingest-bulk") {
    const store = await DuckDbEventStore.open(storePath);
    try {
      const t0 = performance.now();
      const s = await ingestIntoStore(store, [file], {
        preset: "spotify",
        rejectsPath: `${storePath}.rejects.jsonl`,
        bulk: mode === "ingest-bulk",
      });
      const seconds = (performance.now() - t0) / 1000;
      return {
        seconds,
        rows: s.accepted + s.duplicates + s.rejected,
        accepted: s.accepted,
        duplicates: s.duplicates,
        rejected: s.rejected,
      };
    } finally {
      await store.close();
    }
  }
  throw new Error(`unknown mode ${mode}`);
}

const figures = await main();
const usage = process.resourceUsage();
// CPU seconds of the whole process (DuckDB's threads included, start-up and imports too): on a machine shared
// with other jobs the wall time varies several-fold from run to run, the work done much less.
console.log(
  JSON.stringify({
    ...figures,
    cpuSeconds: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1e4) / 100,
    peakRssMB: Math.round(usage.maxRSS / 1024),
  }),
);
