/**
 * One measured path of bench/ingest-formats.ts, in a process of its own: prints one JSON line with its
 * seconds, rows and outcome. `node --import tsx bench/ingest-formats-run.ts <mode> <file> <store file>`:
 * - prepare: the Spotify CSV (<file>) bulk-ingested into <store file>, exported as Parquet
 *   (`tastebud export`) to <store file>.parquet and as JSON lines (DuckDB's writer, the play event's own
 *   fields) to <store file>.jsonl;
 * - duckdb-read-parquet / duckdb-read-json: DuckDB alone, `CREATE TABLE AS SELECT * FROM read_...(file)`,
 *   timed without and with the CHECKPOINT that writes the table into the file (the issue's yardstick), and
 *   its CPU seconds;
 * - ingest: `ingestIntoStore` of the file with the default preset, as `tastebud ingest file` runs it (wall
 *   and CPU seconds).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { exportPlaysToParquet } from "../src/pipeline/export-plays.js";
import { ingestIntoStore } from "../src/pipeline/ingest.js";
import { DuckDbEventStore } from "../src/store/duckdb/duckdb-store.js";

const [mode, file, storePath] = process.argv.slice(2);
/** CPU seconds of this process (DuckDB's threads included) since `from`: steadier than wall time on a loaded machine. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return Math.round((d.user + d.system) / 1e4) / 100;
};
const sql = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function main(): Promise<object> {
  if (mode === "prepare") {
    const store = await DuckDbEventStore.open(storePath);
    try {
      await ingestIntoStore(store, [file], { preset: "spotify", rejectsPath: `${storePath}.rejects.jsonl` });
      await exportPlaysToParquet(store, `${storePath}.parquet`);
    } finally {
      await store.close();
    }
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    await conn.run(`COPY (
        SELECT "user", item, strftime("endTime", '%Y-%m-%dT%H:%M:%S.%gZ') AS "endTime", "playedMs"
        FROM read_parquet(${sql(`${storePath}.parquet`)})
      ) TO ${sql(`${storePath}.jsonl`)} (FORMAT json)`);
    const rows = Number(
      (
        await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${sql(`${storePath}.parquet`)})`)
      ).getColumns()[0][0],
    );
    conn.closeSync();
    instance.closeSync();
    return { rows };
  }
  if (mode === "duckdb-read-parquet" || mode === "duckdb-read-json") {
    const reader = mode === "duckdb-read-parquet" ? "read_parquet" : "read_json";
    const instance = await DuckDBInstance.create(storePath);
    const conn = await instance.connect();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await conn.run(`CREATE TABLE plays_file AS SELECT * FROM ${reader}(${sql(file)})`);
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpuSince(cpu0);
    await conn.run("CHECKPOINT");
    const secondsWithCheckpoint = (performance.now() - t0) / 1000;
    const rows = Number((await conn.runAndReadAll("SELECT count(*) FROM plays_file")).getColumns()[0][0]);
    conn.closeSync();
    instance.closeSync();
    return { seconds, secondsWithCheckpoint, cpuSeconds, rows };
  }
  if (mode === "ingest") {
    const store = await DuckDbEventStore.open(storePath);
    try {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const s = await ingestIntoStore(store, [file], { rejectsPath: `${storePath}.rejects.jsonl` });
      const seconds = (performance.now() - t0) / 1000;
      return { seconds, cpuSeconds: cpuSince(cpu0), rows: s.accepted + s.duplicates + s.rejected, ...s };
    } finally {
      await store.close();
    }
  }
  throw new Error(`unknown mode ${mode}`);
}

const figures = await main();
process.stdout.write(
  `${JSON.stringify({ ...figures, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
