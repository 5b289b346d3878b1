/**
 * One measured path of bench/ingest.ts, in a process of its own: prints one JSON line with its seconds, rows
 * and peak RSS. `node --import tsx bench/ingest-run.ts <mode> <csv file> <store file>`, modes:
 * - duckdb-read-csv: DuckDB alone, `CREATE TABLE AS SELECT * FROM read_csv(...)` (the yardstick), timed
 *   without and with the CHECKPOINT that writes the table into the file;
 * - ingest-js: `ingestIntoStore` with the spotify preset, rows parsed and validated in JavaScript;
 * - ingest-bulk: the same through the store's bulk path (DuckDB reads the file; issue 14);
 * - scan: the training scan (EventStore.scanPlays) of a store, against the scan before schema 8 on the same
 *   store, alternating, three times each (the CSV argument is unused);
 * - scan-read: ways of reading the scan's columns out of DuckDB (bench/scan-read.ts), on a store.
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ingestIntoStore } from "../src/pipeline/ingest.js";
import { DuckDbEventStore } from "../src/store/duckdb/duckdb-store.js";
import { scanReadFigures } from "./scan-read.js";

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
  if (mode === "scan") return scanFigures(storePath);
  if (mode === "scan-read") return scanReadFigures(storePath);
  throw new Error(`unknown mode ${mode}`);
}

/** One call's wall and CPU seconds (the whole process: DuckDB's threads too). */
async function timed<T>(body: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await body();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

/**
 * The store's scan and the scan of schema 7 (users and items ranked by name in DuckDB, joined to every play,
 * sorted there, values read through the node API's row arrays), alternating, three runs each; their medians.
 */
async function scanFigures(path: string): Promise<object> {
  const runs: { store: { wall: number; cpu: number }[]; byName: { wall: number; cpu: number }[] } = {
    store: [],
    byName: [],
  };
  let plays = 0;
  // The file is opened for each run (one process may hold it once), outside the timing.
  for (let round = 0; round < 3; round++) {
    const store = await DuckDbEventStore.open(path);
    try {
      const s = await timed(() => store.scanPlays());
      plays = s.value.userIndex.length;
      runs.store.push({ wall: s.wall, cpu: s.cpu });
    } finally {
      await store.close();
    }
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    try {
      const b = await timed(() => scanByName(conn));
      if (b.value !== plays) throw new Error(`the schema-7 scan read ${b.value} plays, the store's ${plays}`);
      runs.byName.push({ wall: b.wall, cpu: b.cpu });
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = (r: { wall: number; cpu: number }[]) => {
    const wall = med(r.map((x) => x.wall));
    const cpu = med(r.map((x) => x.cpu));
    return {
      wallSeconds: Math.round(wall * 1000) / 1000,
      cpuSeconds: Math.round(cpu * 1000) / 1000,
      playsPerSec: Math.round(plays / wall),
      playsPerCpuSec: Math.round(plays / cpu),
    };
  };
  const now = summary(runs.store);
  const before = summary(runs.byName);
  return {
    plays,
    seconds: now.wallSeconds,
    rows: plays,
    scan: now,
    scanBySchema7Query: before,
    ratios: {
      // Throughput of the store's scan over the schema-7 scan, and over issue 14's 5 M plays/s.
      scanToSchema7: Math.round((before.wallSeconds / now.wallSeconds) * 100) / 100,
      scanToSchema7Cpu: Math.round((before.cpuSeconds / now.cpuSeconds) * 100) / 100,
      scanToTarget: Math.round((now.playsPerSec / 5_000_000) * 1000) / 1000,
      scanCpuToTarget: Math.round((now.playsPerCpuSec / 5_000_000) * 1000) / 1000,
    },
  };
}

/** The scan as schema 7 ran it (its SQL and its reading of the values): the plays it read. */
async function scanByName(conn: DuckDBConnection): Promise<number> {
  await conn.run("BEGIN TRANSACTION");
  await conn.runAndReadAll("SELECT DISTINCT user_id FROM plays ORDER BY user_id");
  await conn.runAndReadAll("SELECT DISTINCT item_id FROM plays ORDER BY item_id");
  const result = await conn.run(`
      WITH s AS (SELECT * FROM plays),
      u AS (SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1)::INTEGER AS ix FROM (SELECT DISTINCT user_id FROM s)),
      i AS (SELECT item_id, (row_number() OVER (ORDER BY item_id) - 1)::INTEGER AS ix FROM (SELECT DISTINCT item_id FROM s))
      SELECT u.ix, i.ix, epoch_ms(s.end_time)::DOUBLE, s.played_ms::DOUBLE,
             coalesce(s.item_length_ms, 0)::DOUBLE, coalesce(s.weight, 'NaN'::DOUBLE)
      FROM s JOIN u USING (user_id) JOIN i USING (item_id)
      ORDER BY s.end_time, u.ix, i.ix, s.played_ms, s.event_key`);
  await conn.run("COMMIT");
  let n = 0;
  for (let c = 0; c < result.chunkCount; c++) n += result.getChunk(c).rowCount;
  const columns = [0, 1, 2, 3, 4, 5].map((k) => (k < 2 ? new Int32Array(n) : new Float64Array(n)));
  let at = 0;
  for (let c = 0; c < result.chunkCount; c++) {
    const chunk = result.getChunk(c);
    for (let col = 0; col < columns.length; col++)
      columns[col].set(chunk.getColumnValues(col) as number[], at);
    at += chunk.rowCount;
    if (c % 32 === 31) await new Promise((r) => setImmediate(r));
  }
  return n;
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
