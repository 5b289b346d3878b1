import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Random } from "../../core/random.js";
import type { PlayEvent } from "../../schema/events.js";
import { DuckDbEventStore } from "../duckdb/duckdb-store.js";
import { OccurrenceCounter } from "../event-key.js";
import { type KeyedPlayEvent, StoreError } from "../event-store.js";
import { testEventStore } from "../event-store-conformance.js";
import { latestSchemaVersion, migrations } from "./migrations.js";
import { PostgresEventStore } from "./postgres-store.js";
import { ScratchDatabases } from "./scratch-databases.js";

// Every store below opens a fresh empty schema of its own, in a database made for this run and dropped
// when the file's tests end. Without a
// server (TASTEBUD_TEST_POSTGRES, default the local one) the tests skip, saying why.
const scratch = new ScratchDatabases();
const unreachable = await scratch.unavailable();
if (unreachable) console.warn(`skipping the PostgreSQL store tests: ${unreachable}`);
afterAll(() => scratch.dropAll(), 60_000);

const fresh = async () => PostgresEventStore.open(await scratch.create());

describe.skipIf(unreachable !== null)("PostgresEventStore", () => {
  testEventStore("postgres (COPY)", fresh);
  testEventStore("postgres (multi-row INSERT)", async () =>
    PostgresEventStore.open(await scratch.create(), { playWrites: "insert" }),
  );

  /** `n` plays of `users` users over `items` items, some of them identical twice (kept as two). */
  function randomPlays(seed: number, n: number, users = 40, items = 60): KeyedPlayEvent[] {
    const random = new Random(seed);
    const counter = new OccurrenceCounter();
    const out: KeyedPlayEvent[] = [];
    for (let k = 0; k < n; k++) {
      const event: PlayEvent = {
        user: `u${random.int(users)}`,
        item: `i${random.int(items)}`,
        endTime: new Date(Date.UTC(2024, 0, 1) + random.int(86_400) * 60_000).toISOString(),
        playedMs: random.int(4) * 1000,
        ...(random.next() < 0.3 ? { itemLengthMs: 180_000 } : {}),
        ...(random.next() < 0.1 ? { weight: random.int(5) + 1 } : {}),
      };
      out.push({ key: counter.keyFor(event), event, source: "random" });
    }
    return out;
  }

  it("hands the trainer the same columns as the DuckDB store, streamed a few rows at a time", async () => {
    const plays = randomPlays(7, 3_000);
    const duck = await DuckDbEventStore.open(":memory:");
    const pg = await PostgresEventStore.open(await scratch.create(), { scanBatchRows: 97 });
    try {
      expect(await pg.appendPlays(plays)).toEqual(await duck.appendPlays(plays));
      for (const window of [{}, { fromMs: Date.UTC(2024, 1, 1), toMs: Date.UTC(2024, 5, 1) }]) {
        const [a, b] = [await duck.scanPlays(window), await pg.scanPlays(window)];
        expect(b.userIndex.length).toBeGreaterThan(0);
        expect(b).toEqual(a);
      }
    } finally {
      await duck.close();
      await pg.close();
    }
  });

  it("several writers at once, each on its own connections, lose nothing and store nothing twice", async () => {
    // Four writers send overlapping halves of the same plays in different batch sizes and orders, as
    // replicas receiving retried requests would; each also sends plays only it has.
    const url = await scratch.create();
    const shared = randomPlays(11, 4_000, 200, 300);
    const writers = await Promise.all([0, 1, 2, 3].map(() => PostgresEventStore.open(url)));
    try {
      const own = writers.map((_, w) =>
        randomPlays(100 + w, 500, 50, 50).map((p) => ({
          ...p,
          event: { ...p.event, user: `w${w}-${p.event.user}` },
        })),
      );
      const results = await Promise.all(
        writers.map(async (store, w) => {
          const mine = [...shared.slice(w % 2 ? 0 : 1_500, w % 2 ? 2_500 : 4_000), ...own[w]];
          if (w >= 2) mine.reverse();
          const size = [97, 500, 1_000, 4_000][w];
          let inserted = 0;
          let duplicates = 0;
          const runs: Promise<void>[] = [];
          for (let k = 0; k < mine.length; k += size) {
            // Two batches of one writer in flight at once, too.
            runs.push(
              store.appendPlays(mine.slice(k, k + size)).then((r) => {
                inserted += r.inserted;
                duplicates += r.duplicates;
              }),
            );
            if (runs.length === 2) await Promise.all(runs.splice(0));
          }
          await Promise.all(runs);
          return { inserted, duplicates, sent: mine.length };
        }),
      );
      const distinct = new Set([...shared, ...own.flat()].map((p) => p.key)).size;
      expect(await writers[0].countPlays()).toBe(distinct);
      expect(results.reduce((s, r) => s + r.inserted, 0)).toBe(distinct);
      for (const r of results) expect(r.inserted + r.duplicates).toBe(r.sent);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  it("migrates a new database once when several replicas start at once, and reopens it", async () => {
    const url = await scratch.create();
    const stores = await Promise.all([0, 1, 2, 3].map(() => PostgresEventStore.open(url)));
    try {
      for (const s of stores) expect(await s.schemaVersion()).toBe(latestSchemaVersion);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const again = await PostgresEventStore.open(url);
    expect(await again.schemaVersion()).toBe(latestSchemaVersion);
    await again.close();
  });

  it("upgrades a version-1 database in place, keeping its plays", async () => {
    const url = await scratch.create();
    const pg = (await import("pg")).default;
    const client = new pg.Client(url);
    await client.connect();
    await client.query(
      "CREATE TABLE schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    await client.query(migrations[0].sql);
    await client.query("INSERT INTO schema_migrations (version, description) VALUES (1, 'v1')");
    await client.query(
      "INSERT INTO plays (user_id, event_key, item_id, end_time, played_ms) VALUES ('a', gen_random_uuid(), 'x', '2024-01-01T10:00:00Z', 5000)",
    );
    await client.end();
    const store = await PostgresEventStore.open(url);
    try {
      expect(await store.schemaVersion()).toBe(latestSchemaVersion);
      expect(await store.countPlays()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("refuses a database of a newer schema, and creates a missing one", async () => {
    const url = await scratch.create();
    const store = await PostgresEventStore.open(url);
    const pg = (await import("pg")).default;
    const client = new pg.Client(url);
    await client.connect();
    await client.query("INSERT INTO schema_migrations (version, description) VALUES (999, 'future')");
    await client.end();
    await store.close();
    await expect(PostgresEventStore.open(url)).rejects.toThrow(
      /schema version 999, newer than this tastebud/,
    );
    const missing = new URL(scratch.adminUrl);
    missing.pathname = `/${scratch.name}_created`;
    const created = await PostgresEventStore.open(missing.toString());
    try {
      expect(await created.countPlays()).toBe(0);
    } finally {
      await created.close();
      await scratch.dropDatabase(`${scratch.name}_created`);
    }
  });

  it("stores a version's files byte for byte, streamed in, and a re-registration replaces them", async () => {
    const store = await fresh();
    const root = mkdtempSync(join(tmpdir(), "tastebud-pg-files-"));
    try {
      const random = new Random(11);
      const files: Record<string, Buffer> = {
        "manifest.json": Buffer.from('{"v":"é ✓"}'),
        "empty.bin": Buffer.alloc(0),
        // Every byte value, and more than one read chunk (64 KiB) so the stream has several pieces.
        "index/items.f32": Buffer.from(
          Array.from({ length: 300_000 }, (_, k) => (k * 7 + random.int(3)) % 256),
        ),
      };
      const write = (dir: string, contents: Record<string, Buffer>) => {
        for (const [name, bytes] of Object.entries(contents)) {
          mkdirSync(dirname(join(dir, name)), { recursive: true });
          writeFileSync(join(dir, name), bytes);
        }
      };
      const saved = join(root, "v1");
      write(saved, files);
      const entry = {
        version: "v1",
        path: saved,
        createdAt: new Date(Date.UTC(2024, 0, 1)),
        config: {},
        metrics: {},
        isCurrent: true,
      };
      await store.registerModel(entry);
      const fetched = join(root, "fetched");
      expect(await store.materializeModel("v1", fetched)).toBe(true);
      for (const [name, bytes] of Object.entries(files))
        expect(readFileSync(join(fetched, name)).equals(bytes)).toBe(true);

      rmSync(saved, { recursive: true });
      write(saved, { "manifest.json": Buffer.from("{}") });
      await store.registerModel(entry);
      const again = join(root, "again");
      expect(await store.materializeModel("v1", again)).toBe(true);
      expect(readdirSync(again)).toEqual(["manifest.json"]);
      expect(readFileSync(join(again, "manifest.json"), "utf8")).toBe("{}");
    } finally {
      rmSync(root, { recursive: true, force: true });
      await store.close();
    }
  });

  it("reports an unreachable server as the store being unavailable, naming it without its password", async () => {
    const err = await PostgresEventStore.open("postgres://tb:secret@127.0.0.1:1/x").catch((e) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe("io");
    expect(err.message).toContain("postgres://tb:***@127.0.0.1:1/x");
    expect(err.message).not.toContain("secret");
  });
});

if (unreachable) {
  describe("PostgresEventStore without a server", () => {
    it.skip(`skipped: ${unreachable}`, () => {});
  });
}
