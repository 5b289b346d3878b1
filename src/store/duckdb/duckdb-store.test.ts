import { spawn } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it, vi } from "vitest";
import { Random } from "../../core/random.js";
import { HEADER, ordinaryRows } from "../../ingest/spotify-csv-odd-rows.js";
import { ingestIntoStore } from "../../pipeline/ingest.js";
import type { PlayEvent } from "../../schema/events.js";
import { OccurrenceCounter } from "../event-key.js";
import { StoreError } from "../event-store.js";
import { testEventStore } from "../event-store-conformance.js";
import { DuckDbEventStore } from "./duckdb-store.js";
import { latestSchemaVersion, migrations } from "./migrations.js";
import { type PlaysShape, playsShape } from "./scan-plays.js";

testEventStore("duckdb in memory", () => DuckDbEventStore.open(":memory:"));
testEventStore("duckdb file", () =>
  DuckDbEventStore.open(join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb")),
);

/**
 * Opens a file store holding one play that ended at `endTime` (reopened, so the store's key filter is built
 * with that play as the newest): plays without an event id that end later then go straight into plays, those
 * that end at or before it through the staging table.
 */
async function storeWithNewestPlay(file: string, endTime: string): Promise<DuckDbEventStore> {
  const first = await DuckDbEventStore.open(file);
  try {
    const event: PlayEvent = { user: "anchor", item: "anchor", endTime, playedMs: 1 };
    await first.appendPlays([{ key: new OccurrenceCounter().keyFor(event), event, source: "anchor" }]);
  } finally {
    await first.close();
  }
  return DuckDbEventStore.open(file);
}

describe("DuckDbEventStore", () => {
  it("migrates a new file to the latest schema and reopens it", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    const first = await DuckDbEventStore.open(path);
    const v = await first.schemaVersion();
    await first.close();
    const again = await DuckDbEventStore.open(path);
    expect(await again.schemaVersion()).toBe(v);
    await again.close();
  });

  it("upgrades a version-1 store in place, keeping its plays", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    const old = await DuckDBInstance.create(path);
    const conn = await old.connect();
    await conn.run(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)",
    );
    await conn.run(migrations[0].sql);
    await conn.run("INSERT INTO schema_migrations (version, description) VALUES (1, 'v1')");
    await conn.run(
      "INSERT INTO plays (event_key, user_id, item_id, end_time, played_ms) VALUES (1, 'a', 'x', TIMESTAMP '2024-01-01 10:00:00', 5000)",
    );
    conn.closeSync();
    old.closeSync();
    const store = await DuckDbEventStore.open(path);
    try {
      expect(await store.schemaVersion()).toBe(latestSchemaVersion);
      expect(await store.countPlays()).toBe(1);
      const event = { user: "b", item: "y", endTime: "2024-01-02T10:00:00Z", playedMs: 1, requestId: "r" };
      const keyed = [{ key: new OccurrenceCounter().keyFor(event), event, source: "t" }];
      await store.appendPlays(keyed);
      // Schema 7 rebuilt plays without its key index: a replay is still a duplicate.
      expect(await store.appendPlays(keyed)).toEqual({ inserted: 0, duplicates: 1 });
      const cols = await store.scanPlays();
      expect(cols.users).toEqual(["a", "b"]);
    } finally {
      await store.close();
    }
  });

  it("gives each user and item one code, dense from 0, whichever path stored its plays", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-"));
    const path = join(dir, "s.duckdb");
    const csv = (name: string, rows: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, `${HEADER}\n${rows.join("\n")}\n`);
      return file;
    };
    const counter = new OccurrenceCounter();
    const play = (user: string, item: string, minute: number, eventId?: string) => {
      const event = {
        ...(eventId ? { eventId } : {}),
        user,
        item,
        endTime: new Date(Date.UTC(2024, 0, 1) + minute * 60_000).toISOString(),
        playedMs: 1000,
      };
      return { key: counter.keyFor(event), event, source: "t" };
    };
    let store = await DuckDbEventStore.open(path);
    try {
      const options = { preset: "spotify" as const, rejectsPath: join(dir, "rejects.jsonl"), bulk: true };
      await ingestIntoStore(store, [csv("a.csv", ordinaryRows(300, 1))], options);
      const known = await store.scanPlays();
      // Row by row: known and new ids, with and without event ids, several writers at once, and again.
      const writes = [0, 1, 2, 3].map((w) => [
        play(known.users[w], known.items[w], 10 + w),
        play(`new-user-${w % 2}`, known.items[0], 20 + w, `e-${w}`),
        play(known.users[0], `new-item-${w % 3}`, 30 + w),
        play(`new-user-${w}`, `new-item-${w}`, 40, `e-shared`),
      ]);
      await Promise.all(writes.map((batch) => store.appendPlays(batch)));
      for (const batch of writes) expect((await store.appendPlays(batch)).inserted).toBe(0);
      // The bulk path again, with users and items both stored and new.
      await ingestIntoStore(
        store,
        [
          csv("b.csv", [
            ...ordinaryRows(50, 1),
            "zz,2021-01-05 10:00,Artist 99,Track 9,1000",
            ...ordinaryRows(50, 2),
          ]),
        ],
        options,
      );
      await store.appendPlays([play("zz", known.items[1], 50), play("after-bulk", "new-item-9", 51)]);
      // An id may hold a code and no play (the losers of "e-shared": codes are given before the duplicate
      // check); the scan names only the ids of the plays it returns.
      const cols = await store.scanPlays();
      await store.close();
      const instance = await DuckDBInstance.create(path);
      const conn = await instance.connect();
      const one = async (sql: string) => (await conn.runAndReadAll(sql)).getRowsJson();
      for (const [table, code, id] of [
        ["user_codes", "user_code", "user_id"],
        ["item_codes", "item_code", "item_id"],
      ]) {
        // One code per id and one id per code, 0 to n - 1, and every play's code is its id's.
        const [[n, codes, ids, first, end]] = await one(
          `SELECT count(*)::INTEGER, count(DISTINCT ${code})::INTEGER, count(DISTINCT ${id})::INTEGER, min(${code}), max(${code}) + 1 FROM ${table}`,
        );
        expect([codes, ids, first, end]).toEqual([n, n, 0, n]);
        expect(
          await one(
            `SELECT count(*) FROM plays p LEFT JOIN ${table} c USING (${code}) WHERE c.${id} IS DISTINCT FROM p.${id}`,
          ),
        ).toEqual([["0"]]);
      }
      const names = await one("SELECT user_id, item_id, epoch_ms(end_time)::DOUBLE FROM plays ORDER BY ALL");
      conn.closeSync();
      instance.closeSync();
      const scanned = Array.from(cols.userIndex, (u, k) => [
        cols.users[u],
        cols.items[cols.itemIndex[k]],
        cols.endTimeMs[k],
      ]);
      expect(scanned.sort()).toEqual(names.map(([u, i, t]) => [u, i, Number(t)]).sort());
      expect(cols.users).toEqual([...new Set(names.map((r) => r[0] as string))].sort());
      store = await DuckDbEventStore.open(path);
      expect(await store.scanPlays()).toEqual(cols);
    } finally {
      await store.close();
    }
  }, 60_000);

  it("takes 200,000 plays without event ids in one call (more than a call's arguments can hold)", async () => {
    const store = await DuckDbEventStore.open(":memory:");
    try {
      const counter = new OccurrenceCounter();
      const plays = Array.from({ length: 200_000 }, (_, k) => {
        const event = {
          user: `u${k % 97}`,
          item: `i${k % 1_009}`,
          endTime: new Date(Date.UTC(2024, 0, 1) + k * 1000).toISOString(),
          playedMs: 10,
        };
        return { key: counter.keyFor(event), event, source: "t" };
      });
      expect(await store.appendPlays(plays)).toEqual({ inserted: 200_000, duplicates: 0 });
      expect(await store.countPlays()).toBe(200_000);
    } finally {
      await store.close();
    }
  }, 60_000);

  it("stores every field as given, through the staging table and straight into plays alike", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-fields-"));
    const file = join(dir, "s.duckdb");
    const rng = new Random(3);
    const pick = <T>(xs: readonly T[]): T => xs[rng.nextUint32() % xs.length];
    const maybe = <T>(x: T): T | undefined => (rng.nextUint32() % 3 ? x : undefined);
    // More than one chunk (2,048 rows), so the second chunk's rows and NULLs are placed right too.
    const events: PlayEvent[] = Array.from({ length: 5000 }, (_, k) => ({
      ...(k % 2 ? { eventId: pick(["e", "é", "😀", "a\u0000b"]) + k } : {}),
      user: pick(["u", "ü", "a\u0000b", "😀", "x".repeat(200)]) + (k % 7),
      item: pick(["a|b", "item"]) + k,
      endTime: new Date(Date.UTC(2024, 0, 1) + k * 997).toISOString(),
      playedMs: rng.nextUint32() % 604_800_000,
      itemLengthMs: maybe(1 + (rng.nextUint32() % 1_000_000)),
      weight: maybe(pick([-1.5, 0, 1e300, 3])),
      endReason: maybe(pick(["skipped", "completed"] as const)),
      requestText: maybe(pick(["", "play it", "x\u0000y"])),
      requestId: maybe(`r${k}`),
      context: maybe({
        deviceType: maybe("tv"),
        hasScreen: maybe(k % 5 === 0),
        deviceState: maybe("idle"),
        activity: maybe("cooking"),
        extra: maybe({ a: k }),
      }),
    }));
    for (const e of events) {
      for (const [k, v] of Object.entries(e)) if (v === undefined) delete (e as Record<string, unknown>)[k];
      if (e.context)
        for (const [k, v] of Object.entries(e.context))
          if (v === undefined) delete (e.context as Record<string, unknown>)[k];
    }
    // New event ids go straight into plays; plays without one through the staging table up to the stored
    // play's time, straight in after it.
    const store = await storeWithNewestPlay(file, events[2500].endTime);
    const counter = new OccurrenceCounter();
    const keyed = events.map((event) => ({ key: counter.keyFor(event), event, source: "src" }));
    try {
      expect(await store.appendPlays(keyed)).toEqual({ inserted: 5000, duplicates: 0 });
    } finally {
      await store.close();
    }
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    try {
      const rows = (
        await conn.runAndReadAll(
          `SELECT event_key, event_id, p.user_id, p.item_id, epoch_ms(end_time), played_ms, item_length_ms, weight,
             device_type, has_screen, context_extra, request_text, end_reason, source, request_id, device_state,
             activity, u.user_id = p.user_id AND i.item_id = p.item_id
           FROM plays p JOIN user_codes u USING (user_code) JOIN item_codes i USING (item_code)
           WHERE source = 'src'`,
        )
      ).getRows();
      const stored = new Map(rows.map((r) => [r[0] as bigint, r.slice(1)]));
      expect(stored.size).toBe(5000);
      for (const { key, event: e } of keyed)
        expect(stored.get(key)).toEqual([
          e.eventId ?? null,
          e.user,
          e.item,
          BigInt(Date.parse(e.endTime)),
          BigInt(e.playedMs),
          e.itemLengthMs === undefined ? null : BigInt(e.itemLengthMs),
          e.weight ?? null,
          e.context?.deviceType ?? null,
          e.context?.hasScreen ?? null,
          e.context?.extra ? JSON.stringify(e.context.extra) : null,
          e.requestText ?? null,
          e.endReason ?? null,
          "src",
          e.requestId ?? null,
          e.context?.deviceState ?? null,
          e.context?.activity ?? null,
          true,
        ]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }, 60_000);

  it("stores times before 1970 and past 2255 and lengths past 2^32 exactly, through both paths", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tb-times-")), "s.duckdb");
    // In microseconds, times past 2255 (and before 1685) are no longer safe integers: written as BigInts.
    const times = ["0001-01-01T00:00:00.001Z", "1685-06-01T12:00:00.999Z", "1969-12-31T23:59:59.999Z"];
    times.push("1970-01-01T00:00:00.000Z", "2255-06-05T23:47:34.740Z", "2255-06-05T23:47:34.741Z");
    times.push("2300-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z");
    const lengths = [1, 2 ** 31 + 1, 2 ** 32 + 3, 2 ** 53 - 1];
    const events: PlayEvent[] = times.flatMap((endTime, k) =>
      [true, false].map((withId) => ({
        ...(withId ? { eventId: `t-${k}` } : {}),
        user: "u",
        item: `i${k}-${withId}`,
        endTime,
        playedMs: 604_800_000 - k,
        itemLengthMs: lengths[k % lengths.length],
      })),
    );
    // Plays without an event id up to 1970 through the staging table, later ones straight into plays.
    const store = await storeWithNewestPlay(file, "1970-01-01T00:00:00.000Z");
    const counter = new OccurrenceCounter();
    try {
      const keyed = events.map((event) => ({ key: counter.keyFor(event), event, source: "t" }));
      expect(await store.appendPlays(keyed)).toEqual({ inserted: events.length, duplicates: 0 });
    } finally {
      await store.close();
    }
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    try {
      const rows = (
        await conn.runAndReadAll("SELECT item_id, epoch_ms(end_time), played_ms, item_length_ms FROM plays")
      ).getRows();
      const stored = new Map(rows.map((r) => [r[0] as string, r.slice(1)]));
      for (const e of events)
        expect(stored.get(e.item), e.item).toEqual([
          BigInt(Date.parse(e.endTime)),
          BigInt(e.playedMs),
          BigInt(e.itemLengthMs as number),
        ]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }, 60_000);

  it("stamps ingested_at with the write's own time, new event ids and staged plays alike", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tb-ingested-")), "s.duckdb");
    const play = (k: number, withId: boolean): PlayEvent => ({
      ...(withId ? { eventId: `i-${k}` } : {}),
      user: "u",
      item: `x${k}`,
      endTime: new Date(Date.UTC(2024, 0, 1) + k * 1000).toISOString(),
      playedMs: 10,
    });
    // Two sources in one write: the chunk's source column is then not one value for every row.
    const keyed = (events: PlayEvent[]) => {
      const counter = new OccurrenceCounter();
      return events.map((event, k) => ({ key: counter.keyFor(event), event, source: `t${k}` }));
    };
    // The plays without an event id end before the stored one: through the staging table.
    const store = await storeWithNewestPlay(file, "2100-01-01T00:00:00.000Z");
    const windows: Array<[number, number]> = [];
    try {
      // Three writes over two seconds, each with new event ids (straight into plays) and plays without.
      for (let w = 0; w < 3; w++) {
        if (w > 0) await new Promise((r) => setTimeout(r, 1000));
        const before = Date.now();
        await store.appendPlays(keyed([play(2 * w, true), play(2 * w + 1, false)]));
        windows.push([before, Date.now()]);
      }
    } finally {
      await store.close();
    }
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    try {
      const rows =
        // ingested_at is the session time zone's wall time: less its offset from UTC, epoch time.
        (
          await conn.runAndReadAll(
            `SELECT item_id, epoch_ms(ingested_at) - (epoch_ms(current_timestamp::TIMESTAMP) - epoch_ms(current_timestamp)),
               source
             FROM plays WHERE source <> 'anchor' ORDER BY item_id`,
          )
        ).getRows();
      expect(rows.map((r) => [r[0], r[2]])).toEqual([
        ["x0", "t0"],
        ["x1", "t1"],
        ["x2", "t0"],
        ["x3", "t1"],
        ["x4", "t0"],
        ["x5", "t1"],
      ]);
      for (let w = 0; w < 3; w++) {
        const [withId, without] = [rows[2 * w][1], rows[2 * w + 1][1]].map(Number);
        // One transaction, one time, within the write's call.
        expect(withId).toBe(without);
        expect(withId).toBeGreaterThanOrEqual(windows[w][0] - 1);
        expect(withId).toBeLessThanOrEqual(windows[w][1] + 1);
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }, 60_000);

  it("commits writes that queue together in one group, each answered as if it had run alone in turn", async () => {
    const groups: Array<{ writes: number; rows: number }> = [];
    const store = await DuckDbEventStore.open(join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb"), {
      onPlayCommit: (group) => groups.push(group),
    });
    try {
      const one = (id: number) => {
        const event = {
          eventId: `g-${id}`,
          user: `u${id % 3}`,
          item: "x",
          endTime: new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString(),
          playedMs: 10,
        };
        return [{ key: new OccurrenceCounter().keyFor(event), event, source: "t" }];
      };
      await store.appendPlays([0, 1, 2, 3, 4].flatMap(one));
      groups.length = 0;
      // 50 writers at once, writer k sending event id k % 35: the first writer of an id stores it (ids 0-4
      // were stored before), the later ones are its duplicates, whichever commit each lands in.
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, k) => store.appendPlays(one(k % 35), { listInserted: true })),
      );
      expect(answers).toEqual(
        Array.from({ length: 50 }, (_, k) =>
          k < 35 && k >= 5
            ? { inserted: 1, duplicates: 0, insertedRows: [0] }
            : { inserted: 0, duplicates: 1, insertedRows: [] },
        ),
      );
      expect(await store.countPlays()).toBe(35);
      // Fewer commits than writers, every writer in exactly one.
      expect(groups.length).toBeLessThan(50);
      expect(groups.reduce((n, g) => n + g.writes, 0)).toBe(50);
      // A writer whose play cannot be written fails alone; the others that queued with it are stored.
      const bad = one(100);
      bad[0].event.playedMs = 1.5;
      const mixed = await Promise.allSettled([
        store.appendPlays(one(101)),
        store.appendPlays(bad),
        store.appendPlays(one(102)),
      ]);
      expect(mixed.map((m) => m.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(await store.countPlays()).toBe(37);
      // A play that fails inside the kept appender, half a row in: nothing of it is stored later, and the
      // writes that queued with it and after it are stored whole.
      const broken = one(103);
      (broken[0].event as { item: unknown }).item = undefined;
      const afterBroken = await Promise.allSettled([
        store.appendPlays(one(104)),
        store.appendPlays(broken),
        store.appendPlays(one(105)),
      ]);
      expect(afterBroken.map((m) => m.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(await store.appendPlays(one(106))).toEqual({ inserted: 1, duplicates: 0 });
      const stored = await store.scanPlays();
      expect(stored.userIndex.length).toBe(40);
      expect(new Set(stored.items)).toEqual(new Set(["x"]));
    } finally {
      await store.close();
    }
  });

  it("checkpoints a file store when its writes pause, and what was written survives a reopen", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    let checkpoints = 0;
    const play = (id: number) => {
      const event = {
        eventId: `c-${id}`,
        user: "u",
        item: "x",
        endTime: "2024-01-01T00:00:00Z",
        playedMs: 10,
      };
      return [{ key: new OccurrenceCounter().keyFor(event), event, source: "t" }];
    };
    const runOf = () => ({ startedAt: new Date(), sources: ["t"], preset: "t", rejected: 0 });
    const store = await DuckDbEventStore.open(path, {
      idleCheckpointBytes: 1,
      onCheckpoint: () => checkpoints++,
    });
    try {
      await Promise.all([0, 1, 2].map((id) => store.appendPlays(play(id), { run: runOf() })));
      await vi.waitFor(() => expect(checkpoints).toBeGreaterThan(0), { timeout: 10_000 });
      // The log is empty after a checkpoint: DuckDB truncates or removes it.
      expect(statSync(`${path}.wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
      await store.appendPlays(play(3), { run: runOf() });
    } finally {
      await store.close();
    }
    const db = await DuckDBInstance.create(path);
    try {
      const counts = await (await db.connect()).runAndReadAll(
        "SELECT (SELECT count(*) FROM plays)::INTEGER, (SELECT count(*) FROM ingest_runs)::INTEGER",
      );
      expect(counts.getRows()).toEqual([[4, 4]]);
    } finally {
      db.closeSync();
    }
  });

  it("answers a read while a long write is in flight, from the last committed state", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    const counter = new OccurrenceCounter();
    // Play n ends n seconds before 2024: the long write's plays end before the first ten.
    const keyed = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => {
        const event = {
          user: `u${(from + k) % 997}`,
          item: `i${(from + k) % 1009}`,
          endTime: new Date(Date.UTC(2024, 0, 1) - (from + k) * 1000).toISOString(),
          playedMs: 30_000,
        };
        return { key: counter.keyFor(event), event, source: "t" };
      });
    // The first ten, then the store reopened: its key filter's horizon is the newest of them, so the long
    // write's plays (all earlier) take the staging table and the anti-join, as plays sent late do.
    const first = await DuckDbEventStore.open(path);
    await first.appendPlays(keyed(0, 10));
    await first.close();
    const store = await DuckDbEventStore.open(path);
    try {
      // A batch that takes the write connection for a long while (staging, then one transaction).
      const order: string[] = [];
      const write = store.appendPlays(keyed(10, 60_000)).then((r) => {
        order.push("write");
        return r;
      });
      const read = store.countPlays().then((n) => {
        order.push("read");
        return n;
      });
      const history = store.recentPlays("u3", 5).then((plays) => {
        order.push("history");
        return plays;
      });
      // With one connection for everything the reads queued behind the write and finished after it.
      expect(await read).toBe(10);
      expect((await history).map((p) => p.item)).toEqual(["i3"]);
      expect((await write).inserted).toBe(60_000);
      expect(order.indexOf("read")).toBeLessThan(order.indexOf("write"));
      expect(order.indexOf("history")).toBeLessThan(order.indexOf("write"));
      // Once committed, the next read sees the write.
      expect(await store.countPlays()).toBe(60_010);
    } finally {
      await store.close();
    }
  });

  it("tells a second process that the store is held, naming the holder", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    const holder = await DuckDbEventStore.open(path);
    try {
      // DuckDB's lock is per process, so the second opener must be another process.
      const script = `
        import { DuckDbEventStore } from ${JSON.stringify(new URL("./duckdb-store.ts", import.meta.url).pathname)};
        try { await DuckDbEventStore.open(${JSON.stringify(path)}); console.log("opened"); }
        catch (e) { console.log(e.name + ": " + e.message); }`;
      const out = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        let text = "";
        child.stdout.on("data", (d) => (text += d));
        child.stderr.on("data", (d) => (text += d));
        child.on("close", () => resolve(text));
      });
      expect(out).toContain("StoreError");
      expect(out).toContain(`PID ${process.pid}`);
    } finally {
      await holder.close();
    }
    expect(new StoreError("locked", "x").code).toBe("locked");
  });

  it("keeps an event id a duplicate however the key filter was built: as it grew, after a reopen", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    const played = (id: number, day: number) => {
      const event = {
        eventId: `e${id}`,
        user: `u${id % 101}`,
        item: `i${id % 103}`,
        endTime: new Date(Date.UTC(2024, 0, day) + id * 1000).toISOString(),
        playedMs: 30_000,
      };
      return { key: new OccurrenceCounter().keyFor(event), event, source: "t" };
    };
    const ids = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);
    let store = await DuckDbEventStore.open(path);
    try {
      // More ids than the first filter's room (100,000), so the next write builds a larger one from the store.
      expect(await store.appendPlays(ids(0, 150_000).map((id) => played(id, 1)))).toEqual({
        inserted: 150_000,
        duplicates: 0,
      });
      // Stored ids sent again with other times (an id alone makes the event), mixed with new ones.
      const mixed = [...ids(0, 1_000), ...ids(149_000, 1_000), ...ids(150_000, 1_000)].map((id) =>
        played(id, 9),
      );
      expect(await store.appendPlays(mixed)).toEqual({ inserted: 1_000, duplicates: 2_000 });
      await store.close();
      store = await DuckDbEventStore.open(path);
      expect(await store.appendPlays(ids(149_500, 2_000).map((id) => played(id, 20)))).toEqual({
        inserted: 500,
        duplicates: 1_500,
      });
      expect(await store.countPlays()).toBe(151_500);
    } finally {
      await store.close();
    }
  });

  it("keeps a play keyed by its fields a duplicate on either side of the filter's horizon, as it grew, after a reopen", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    // Play n ends n seconds into 2024: the fields, and so the key, depend on n alone.
    const played = (n: number) => {
      const event = {
        user: `u${n % 101}`,
        item: `i${n % 103}`,
        endTime: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString(),
        playedMs: 30_000,
      };
      return { key: new OccurrenceCounter().keyFor(event), event, source: "t" };
    };
    const plays = (from: number, n: number) => Array.from({ length: n }, (_, k) => played(from + k));
    let store = await DuckDbEventStore.open(path);
    try {
      // An empty store: every play is in the filter. More than its first room (100,000), so the next write
      // builds a larger one from the store, with play 149,999 the newest.
      expect(await store.appendPlays(plays(0, 150_000))).toEqual({ inserted: 150_000, duplicates: 0 });
      // Stored plays sent again from before the horizon and at it (the look-up), mixed with new ones after it.
      const mixed = [...plays(0, 1_000), ...plays(149_000, 1_000), ...plays(150_000, 1_000)];
      expect(await store.appendPlays(mixed)).toEqual({ inserted: 1_000, duplicates: 2_000 });
      // Plays after the horizon stored by this store, sent again: the filter holds them.
      expect(await store.appendPlays(plays(150_500, 1_000))).toEqual({ inserted: 500, duplicates: 500 });
      await store.close();
      // Reopened: the horizon is play 151,499; plays up to it are looked up, later ones are new.
      store = await DuckDbEventStore.open(path);
      expect(await store.appendPlays(plays(151_000, 1_000))).toEqual({ inserted: 500, duplicates: 500 });
      expect(await store.appendPlays(plays(151_000, 1_000))).toEqual({ inserted: 0, duplicates: 1_000 });
      expect(await store.countPlays()).toBe(152_000);
    } finally {
      await store.close();
    }
  });
});

describe("DuckDbEventStore.scanPlays", () => {
  /**
   * 400 plays with few distinct times, names and lengths (many ties, broken in turn by each later sort key),
   * `time(r)` the end time of one with r in [0, 1), scanned and compared with a slow sort of the events.
   */
  async function scansInOrder(
    time: (r: number) => number,
    itemLengthMs: number,
    playedStep = 1000,
  ): Promise<PlaysShape> {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    const store = await DuckDbEventStore.open(path);
    try {
      let seed = 7;
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const names = ["b", "a", "B", "ab", "a b", "Z", "b1"];
      const counter = new OccurrenceCounter();
      const batch = Array.from({ length: 400 }, () => {
        const event = {
          user: names[Math.floor(next() * names.length)],
          item: `i-${names[Math.floor(next() * names.length)]}`,
          endTime: new Date(time(next())).toISOString(),
          playedMs: Math.floor(next() * 3) * playedStep,
          ...(next() < 0.5 ? { itemLengthMs } : {}),
          ...(next() < 0.3 ? { weight: Math.floor(next() * 3) } : {}),
        };
        return { key: counter.keyFor(event), event, source: "t" };
      });
      await store.appendPlays(batch);
      const cols = await store.scanPlays();
      const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      const expected = [...batch].sort(
        (x, y) =>
          Date.parse(x.event.endTime) - Date.parse(y.event.endTime) ||
          byName(x.event.user, y.event.user) ||
          byName(x.event.item, y.event.item) ||
          x.event.playedMs - y.event.playedMs ||
          (x.event.itemLengthMs ?? 0) - (y.event.itemLengthMs ?? 0) ||
          (x.event.weight ?? Number.POSITIVE_INFINITY) - (y.event.weight ?? Number.POSITIVE_INFINITY),
      );
      expect(cols.userIndex.length).toBe(batch.length);
      const got = Array.from(cols.userIndex, (u, k) => [
        cols.users[u],
        cols.items[cols.itemIndex[k]],
        cols.endTimeMs[k],
        cols.playedMs[k],
        cols.itemLengthMs[k],
        cols.weight[k],
      ]);
      expect(got).toEqual(
        expected.map((b) => [
          b.event.user,
          b.event.item,
          Date.parse(b.event.endTime),
          b.event.playedMs,
          b.event.itemLengthMs ?? 0,
          b.event.weight ?? Number.NaN,
        ]),
      );
      expect(cols.users).toEqual([...new Set(batch.map((b) => b.event.user))].sort(byName));
    } finally {
      await store.close();
    }
    // Which columns the scan read narrow, by the same query it chose by.
    const instance = await DuckDBInstance.create(path);
    try {
      return await playsShape(await instance.connect(), "");
    } finally {
      instance.closeSync();
    }
  }

  it("orders plays by time, then user and item name, played ms, item length and weight, as a slow sort does", async () => {
    // Four whole minutes: the times are read as 32-bit steps of a minute, lengths as 32-bit integers.
    await scansInOrder((r) => Date.UTC(2024, 0, 1) + Math.floor(r * 4) * 60_000, 180_000);
  });

  it("reads times and item lengths past 32 bits as they are", async () => {
    // Times to the second over 20 years (32-bit steps of a second); to the ms over 3 years (past 2^32 ms);
    // item lengths past 2^31 ms.
    await scansInOrder((r) => Date.UTC(2004, 0, 1) + Math.floor(r * 6) * 116_683_201_000, 5e9);
    await scansInOrder((r) => Date.UTC(2021, 0, 1) + Math.floor(r * 5) * 2.1e10 + 7, 180_000);
  });

  it("reads 32-bit columns where the values fit and doubles where they do not, in the same order", async () => {
    // Which columns the scan reads narrow (the query it chooses by), on the stores the scans above compare
    // with a slow sort: whole minutes; seconds over 22 years with item lengths past 2^31 ms; ms over 3 years
    // (past 2^32 steps); whole minutes from 7 ms past one; played ms past 2^31.
    const minutes = await scansInOrder((r) => Date.UTC(2024, 0, 1) + Math.floor(r * 4) * 60_000, 180_000);
    expect(minutes).toMatchObject({
      timeSteps: { step: 60_000, max: 3 },
      playedFits: true,
      lengthsFit: true,
    });
    const seconds = await scansInOrder(
      (r) => Date.UTC(2004, 0, 1) + Math.floor(r * 6) * 116_683_201_000,
      5e9,
    );
    expect(seconds).toMatchObject({ timeSteps: { step: 1000, max: 583_416_005 }, lengthsFit: false });
    const ms = await scansInOrder((r) => Date.UTC(2021, 0, 1) + Math.floor(r * 5) * (2.1e10 + 7), 180_000);
    expect(ms).toMatchObject({ timeSteps: null, playedFits: true, lengthsFit: true });
    const offset = await scansInOrder((r) => Date.UTC(2021, 0, 1) + Math.floor(r * 5) * 2.1e10 + 7, 180_000);
    expect(offset).toMatchObject({
      timeSteps: { min: Date.UTC(2021, 0, 1) + 7, step: 60_000, max: 1_400_000 },
    });
    const played = await scansInOrder((r) => Date.UTC(2024, 0, 1) + Math.floor(r * 4) * 1000, 180_000, 1.5e9);
    expect(played).toMatchObject({ timeSteps: { step: 1000, max: 3 }, playedFits: false, lengthsFit: true });
  });
});
