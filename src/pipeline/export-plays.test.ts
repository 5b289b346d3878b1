import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { simulateWorld } from "../core/simulate/index.js";
import { DuckDbEventStore } from "../store/duckdb/duckdb-store.js";
import { OccurrenceCounter } from "../store/event-key.js";
import type { EventStore, PlayColumns } from "../store/event-store.js";
import { PostgresEventStore } from "../store/postgres/postgres-store.js";
import { ScratchDatabases } from "../store/postgres/scratch-databases.js";
import { exportPlaysToParquet } from "./export-plays.js";
import { ingestIntoStore } from "./ingest.js";

const world = simulateWorld({ users: 30, items: 150, days: 10, seed: 11 });
const dir = mkdtempSync(join(tmpdir(), "tastebud-export-"));
const scratch = new ScratchDatabases();
const unreachable = await scratch.unavailable();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await scratch.dropAll();
}, 60_000);

async function filled(store: EventStore): Promise<EventStore> {
  const counter = new OccurrenceCounter();
  await store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
  );
  return store;
}

/** The file's rows as DuckDB reads them back, in file order. */
async function rowsOf(path: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT "user", item, epoch_ms("endTime") AS "endMs", "playedMs", "itemLengthMs", weight, "userIndex", "itemIndex" FROM read_parquet('${path}')`,
    );
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The same plays straight from the scan's columns, one object a play, in the file's order (slow, plain). */
function expectedRows(c: PlayColumns): Record<string, unknown>[] {
  const rows = Array.from(c.userIndex, (u, k) => ({
    user: c.users[u],
    item: c.items[c.itemIndex[k]],
    endMs: BigInt(c.endTimeMs[k]),
    playedMs: BigInt(c.playedMs[k]),
    itemLengthMs: c.itemLengthMs[k] > 0 ? BigInt(c.itemLengthMs[k]) : null,
    weight: Number.isNaN(c.weight[k]) ? null : c.weight[k],
    userIndex: u,
    itemIndex: c.itemIndex[k],
  }));
  return rows.sort(
    (a, b) => Number(a.endMs - b.endMs) || a.userIndex - b.userIndex || a.itemIndex - b.itemIndex,
  );
}

describe("exporting the plays to Parquet", () => {
  it("writes every play the scan reads, field for field, in time order, with dense ids", async () => {
    const store = await filled(await DuckDbEventStore.open(":memory:"));
    try {
      const path = join(dir, "plays.parquet");
      const summary = await exportPlaysToParquet(store, path);
      const columns = await store.scanPlays();
      expect(summary.plays).toBe(world.events.length);
      expect(summary.users).toBe(columns.users.length);
      const rows = await rowsOf(path);
      expect(rows).toEqual(expectedRows(columns));
      expect(readdirSync(dir).filter((n) => n.includes("partial"))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("reads back through `ingest` into an empty store, which exports the same bytes", async () => {
    const source = await filled(await DuckDbEventStore.open(":memory:"));
    const copy = await DuckDbEventStore.open(":memory:");
    try {
      const first = join(dir, "first.parquet");
      const second = join(dir, "second.parquet");
      await exportPlaysToParquet(source, first);
      const ingested = await ingestIntoStore(copy, [first], { rejectsPath: join(dir, "rejects.jsonl") });
      expect(ingested.rejected).toBe(0);
      await exportPlaysToParquet(copy, second);
      expect(Buffer.compare(readFileSync(first), readFileSync(second))).toBe(0);
    } finally {
      await source.close();
      await copy.close();
    }
  });

  it("exports only the plays of a time window", async () => {
    const store = await filled(await DuckDbEventStore.open(":memory:"));
    try {
      const times = world.events.map((e) => Date.parse(e.endTime)).sort((a, b) => a - b);
      const fromMs = times[Math.floor(times.length / 3)];
      const toMs = times[Math.floor((2 * times.length) / 3)];
      const path = join(dir, "window.parquet");
      const summary = await exportPlaysToParquet(store, path, { window: { fromMs, toMs } });
      expect(summary.plays).toBe(times.filter((t) => t >= fromMs && t < toMs).length);
      const rows = await rowsOf(path);
      expect(rows.length).toBe(summary.plays);
      expect(rows.every((r) => Number(r.endMs) >= fromMs && Number(r.endMs) < toMs)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("fails without leaving a file when the destination cannot be written", async () => {
    const store = await filled(await DuckDbEventStore.open(":memory:"));
    try {
      const path = join(dir, "missing-folder", "plays.parquet");
      await expect(exportPlaysToParquet(store, path)).rejects.toThrow();
      expect(existsSync(join(dir, "missing-folder"))).toBe(false);
    } finally {
      await store.close();
    }
  });

  it.skipIf(unreachable !== null)(
    "exports a PostgreSQL store byte for byte as the embedded one",
    async () => {
      const duck = await filled(await DuckDbEventStore.open(":memory:"));
      const pg = await filled(await PostgresEventStore.open(await scratch.create()));
      try {
        await exportPlaysToParquet(duck, join(dir, "duck.parquet"));
        await exportPlaysToParquet(pg, join(dir, "pg.parquet"));
        expect(
          Buffer.compare(readFileSync(join(dir, "duck.parquet")), readFileSync(join(dir, "pg.parquet"))),
        ).toBe(0);
      } finally {
        await duck.close();
        await pg.close();
      }
    },
  );
});
