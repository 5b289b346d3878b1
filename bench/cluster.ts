/**
 * `npm run bench -- cluster`: first figures for issue 22 (beyond one machine). Events/s into the stores
 * through the CLI's ingest path (ingestIntoStore, what `tastebud ingest` runs: read, validate, key, append
 * in batches of 20,000), into a fresh DuckDB file and into fresh PostgreSQL schemas (COPY and multi-row
 * INSERT), in one run so the ratios compare like with like; and the same files read and keyed without a
 * store, the ceiling the JavaScript side sets on any store.
 *   --plays N   about how many simulated plays (default 500,000)
 * Then the bulk paths (issue 14's for DuckDB, issue 22's for PostgreSQL: DuckDB reads, checks and keys the file,
 * PostgreSQL takes the accepted rows by COPY, straight into plays where no user of a batch had a stored play,
 * else into staging and INSERT ... ON CONFLICT or an anti-join; the method names the staged insert) on a
 * Spotify-format CSV of about as many rows (the shared histories repeated, bench/ingest.ts; skipped when they
 * are absent), with each PostgreSQL step's rows/s and CPU seconds (this process, DuckDB's threads included,
 * and the server's backend). Every figure comes with this process's CPU seconds beside the wall time: the
 * machine is shared, and the wall time varies with its load.
 * Skips PostgreSQL, saying why, when the server (TASTEBUD_TEST_POSTGRES, default the local one) cannot be used.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { simulateWorld } from "../src/core/simulate/world.js";
import { readSourceBatches } from "../src/ingest/index.js";
import { ingestIntoStore } from "../src/pipeline/ingest.js";
import { DuckDbEventStore } from "../src/store/duckdb/duckdb-store.js";
import { OccurrenceCounter } from "../src/store/event-key.js";
import type { EventStore } from "../src/store/event-store.js";
import type { BulkInsertMethod, BulkStepCpu } from "../src/store/postgres/bulk-ingest.js";
import { PostgresEventStore } from "../src/store/postgres/postgres-store.js";
import { ScratchDatabases } from "../src/store/postgres/scratch-databases.js";
import { SPOTIFY_SOURCE, spotifyCsvOfRows } from "./ingest.js";

interface IngestFigure {
  store: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** The same file again: every event a duplicate, skipped by key. */
  reingestEventsPerSec: number;
  /** Plays the store holds afterwards (= events: nothing lost or doubled). */
  stored: number;
  /** This process's CPU seconds for the first ingest (DuckDB's threads included; not the PostgreSQL server's). */
  cpuSeconds: number;
}

/** One step of a PostgreSQL bulk ingest (PostgresStoreOptions.onBulkStep). */
interface BulkStepFigure {
  step: string;
  seconds: number;
  rowsPerSec: number;
  cpu: BulkStepCpu;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function clusterBench(options: { plays?: number } = {}, log: (t: string) => void) {
  const load = { start: loadavg().map((x) => Math.round(x * 100) / 100), end: [] as number[] };
  const plays = options.plays ?? 500_000;
  const dir = mkdtempSync(join(tmpdir(), "tastebud-cluster-"));
  const scratch = new ScratchDatabases();
  try {
    // About 330 plays per simulated user over 60 days.
    const world = simulateWorld({
      users: Math.max(10, Math.round(plays / 330)),
      items: 10_000,
      days: 60,
      seed: 7,
    });
    const eventsPath = join(dir, "events.jsonl");
    writeFileSync(eventsPath, `${world.events.map((e) => JSON.stringify(e)).join("\n")}\n`);
    log(`${world.events.length} simulated plays in ${eventsPath}`);

    // The JavaScript side alone: read, validate and key every event, store nothing.
    const t0 = performance.now();
    const counter = new OccurrenceCounter();
    let keyed = 0;
    for await (const batch of readSourceBatches([eventsPath])) {
      for (const record of batch) {
        if (record.kind !== "play") continue;
        counter.keyFor(record.event);
        keyed++;
      }
    }
    const readSeconds = (performance.now() - t0) / 1000;
    const readAndKey = { events: keyed, seconds: readSeconds, eventsPerSec: Math.round(keyed / readSeconds) };
    log(`read and key only: ${readAndKey.eventsPerSec} events/s`);

    const ingest: IngestFigure[] = [];
    const measure = async (name: string, store: EventStore) => {
      try {
        const rejectsPath = join(dir, `${name}.rejects.jsonl`);
        const t = performance.now();
        const c = cpuNow();
        const first = await ingestIntoStore(store, [eventsPath], { rejectsPath });
        const seconds = (performance.now() - t) / 1000;
        const cpuSeconds = round2(cpuNow() - c);
        const t2 = performance.now();
        const again = await ingestIntoStore(store, [eventsPath], { rejectsPath });
        const againSeconds = (performance.now() - t2) / 1000;
        const figure = {
          store: name,
          events: first.accepted,
          seconds: Math.round(seconds * 100) / 100,
          eventsPerSec: Math.round(first.accepted / seconds),
          reingestEventsPerSec: Math.round(again.duplicates / againSeconds),
          stored: await store.countPlays(),
          cpuSeconds,
        };
        log(
          `${name}: ${figure.eventsPerSec} events/s (${cpuSeconds} CPU s), re-ingest ${figure.reingestEventsPerSec} events/s`,
        );
        ingest.push(figure);
      } finally {
        await store.close();
      }
    };
    await measure("duckdb", await DuckDbEventStore.open(join(dir, "bench.duckdb")));
    const unavailable = await scratch.unavailable();
    if (unavailable) log(`skipping PostgreSQL: ${unavailable}`);
    else {
      await measure(
        "postgres-copy",
        await PostgresEventStore.open(await scratch.create(), { playWrites: "copy" }),
      );
      await measure(
        "postgres-insert",
        await PostgresEventStore.open(await scratch.create(), { playWrites: "insert" }),
      );
    }

    // The bulk paths on a Spotify-format CSV of about as many rows.
    const bulk: (IngestFigure & { steps?: BulkStepFigure[]; reingestSteps?: BulkStepFigure[] })[] = [];
    let bulkSkipped: string | null = existsSync(SPOTIFY_SOURCE) ? null : `${SPOTIFY_SOURCE} is absent`;
    if (bulkSkipped === null) {
      const csv = await spotifyCsvOfRows(world.events.length);
      log(`bulk paths on ${csv}`);
      const measureBulk = async (name: string, open: (steps: BulkStepFigure[]) => Promise<EventStore>) => {
        const steps: BulkStepFigure[] = [];
        const store = await open(steps);
        try {
          const rejectsPath = join(dir, `${name}.rejects.jsonl`);
          const options = { rejectsPath, preset: "spotify" as const };
          const t = performance.now();
          const c = cpuNow();
          const first = await ingestIntoStore(store, [csv], options);
          const seconds = (performance.now() - t) / 1000;
          const cpuSeconds = round2(cpuNow() - c);
          const firstSteps = steps.splice(0);
          const t2 = performance.now();
          const again = await ingestIntoStore(store, [csv], options);
          const againSeconds = (performance.now() - t2) / 1000;
          const figure = {
            store: name,
            events: first.accepted,
            seconds: round2(seconds),
            eventsPerSec: Math.round(first.accepted / seconds),
            reingestEventsPerSec: Math.round(again.duplicates / againSeconds),
            stored: await store.countPlays(),
            cpuSeconds,
            ...(firstSteps.length ? { steps: firstSteps, reingestSteps: steps.splice(0) } : {}),
          };
          log(
            `${name}: ${figure.eventsPerSec} events/s (${cpuSeconds} CPU s of this process), re-ingest ${figure.reingestEventsPerSec} events/s`,
          );
          for (const st of figure.steps ?? [])
            log(
              `  ${st.step}: ${st.rowsPerSec} rows/s, ${st.seconds} s wall, CPU ${st.cpu.process} s here + ${st.cpu.server ?? "?"} s server`,
            );
          bulk.push(figure);
        } finally {
          await store.close();
        }
      };
      await measureBulk("duckdb-bulk", () => DuckDbEventStore.open(join(dir, "bulk.duckdb")));
      if (!unavailable)
        for (const method of ["on-conflict", "anti-join"] as BulkInsertMethod[])
          await measureBulk(`postgres-bulk-${method}`, async (steps) =>
            PostgresEventStore.open(await scratch.create(), {
              bulkInsert: method,
              onBulkStep: (step, seconds, rows, cpu) =>
                steps.push({
                  step,
                  seconds: round2(seconds),
                  rowsPerSec: Math.round(rows / seconds),
                  cpu: {
                    process: round2(cpu.process),
                    server: cpu.server === null ? null : round2(cpu.server),
                  },
                }),
            }),
          );
    } else log(`skipping the bulk paths: ${bulkSkipped}`);
    bulkSkipped ??= unavailable;

    const rate = (name: string) => [...ingest, ...bulk].find((f) => f.store === name)?.eventsPerSec ?? null;
    const ratio = (a: string, b: string) => {
      const [x, y] = [rate(a), rate(b)];
      return x === null || y === null ? null : Math.round((x / y) * 100) / 100;
    };
    load.end = loadavg().map((x) => Math.round(x * 100) / 100);
    return {
      plays: world.events.length,
      readAndKey,
      ingest,
      ratios: {
        // The default PostgreSQL write (multi-row INSERT) against DuckDB, and COPY against it.
        postgresToDuckdb: ratio("postgres-insert", "duckdb"),
        copyToInsert: ratio("postgres-copy", "postgres-insert"),
        // The PostgreSQL bulk path against DuckDB's, on the same CSV.
        postgresBulkToDuckdbBulk: ratio("postgres-bulk-on-conflict", "duckdb-bulk"),
        bulkAntiJoinToOnConflict: ratio("postgres-bulk-anti-join", "postgres-bulk-on-conflict"),
        postgresBulkToRowByRowInsert: ratio("postgres-bulk-on-conflict", "postgres-insert"),
        postgresToReadAndKey:
          rate("postgres-insert") === null
            ? null
            : Math.round(((rate("postgres-insert") as number) / readAndKey.eventsPerSec) * 100) / 100,
      },
      bulk,
      target: {
        postgresEventsPerSec: 100_000,
        met:
          Math.max(
            rate("postgres-insert") ?? 0,
            rate("postgres-bulk-on-conflict") ?? 0,
            rate("postgres-bulk-anti-join") ?? 0,
          ) >= 100_000,
      },
      postgresSkipped: unavailable,
      bulkSkipped,
      cpuSecondsOfRun: round2(cpuNow()),
      load,
    };
  } finally {
    await scratch.dropAll().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
