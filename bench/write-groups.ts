/**
 * What one-play writes cost as POST /v1/events makes them (append + ingest run), straight on the DuckDB
 * store: W writers in a closed loop on a copy of a store of plays, per write the process CPU (DuckDB's threads
 * included), latency and commits. With group commit (src/store/group-commit.ts) the writes that queue
 * together share one; on code without it (a checkout before it: copy this file there) each write is the
 * append, then its ingest run, under one lock, as the route did.
 *
 *   npx tsx bench/write-groups.ts --writers 4 --writes 80          # builds a 1M-play store first (~2 min)
 *   npx tsx bench/write-groups.ts --writers 1 --store FILE.duckdb   # on a copy of an existing store
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const src = new URL("../src/", import.meta.url).pathname;
const { DuckDbEventStore } = await import(join(src, "store/duckdb/duckdb-store.ts"));
const { OccurrenceCounter } = await import(join(src, "store/event-key.ts"));
const { Mutex } = await import(join(src, "store/mutex.ts"));

const { values: args } = parseArgs({
  options: {
    writers: { type: "string", default: "4" },
    writes: { type: "string", default: "80" },
    plays: { type: "string", default: "1000000" },
    store: { type: "string" },
  },
});
const writers = Number(args.writers);
const perWriter = Number(args.writes);
const dir = mkdtempSync(join(tmpdir(), "tastebud-write-groups-"));
const counter = new OccurrenceCounter();
const play = (id: string, i: number, endTime: string) => {
  const event = {
    eventId: id,
    user: `u${i % 500}`,
    item: `i${i % 3000}`,
    endTime,
    playedMs: 1000 + (i % 100_000),
  };
  return { key: counter.keyFor(event), event, source: "http" };
};
try {
  const path = join(dir, "w.duckdb");
  if (args.store) copyFileSync(args.store, path);
  let commits = 0;
  const store = await DuckDbEventStore.open(path, { onPlayCommit: () => commits++ });
  if (!args.store) {
    const plays = Number(args.plays);
    for (let at = 0; at < plays; at += 50_000)
      await store.appendPlays(
        Array.from({ length: Math.min(50_000, plays - at) }, (_, k) =>
          play(`e-${at + k}`, at + k, new Date(Date.UTC(2026, 0, 1) + (at + k) * 1000).toISOString()),
        ),
      );
  }
  const grouped = "playWrites" in store;
  const lock = new Mutex();
  let next = 0;
  const write = async () => {
    const i = next++;
    const batch = [play(`w-${i}`, i, new Date().toISOString())];
    const run = { startedAt: new Date(), sources: ["http:/v1/events"], preset: "http", rejected: 0 };
    if (grouped) return store.appendPlays(batch, { listInserted: true, run });
    return lock.run(async () => {
      const r = await store.appendPlays(batch, { listInserted: true });
      await store.recordIngestRun({
        ...run,
        finishedAt: new Date(),
        accepted: r.inserted,
        duplicates: r.duplicates,
      });
      return r;
    });
  };
  for (let k = 0; k < 10; k++) await write(); // builds the store's key filter: not counted
  commits = 0;
  const latencies: number[] = [];
  const load = loadavg()[0];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let k = 0; k < perWriter; k++) {
        const t = performance.now();
        await write();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const writes = writers * perWriter;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(writes - 1, Math.floor(p * writes))] * 10) / 10;
  console.log(
    JSON.stringify({
      code: grouped ? "group commit" : "one write at a time",
      writers,
      writes,
      load: `${load.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`,
      cpuMsPerWrite: Math.round(((cpu.user + cpu.system) / 1000 / writes) * 100) / 100,
      writesPerSecond: Math.round(writes / (wall / 1000)),
      latencyP50Ms: q(0.5),
      latencyP99Ms: q(0.99),
      commits: grouped ? commits : 2 * writes,
    }),
  );
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
