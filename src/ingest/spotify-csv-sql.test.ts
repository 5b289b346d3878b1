/**
 * Conformance of the bulk path (issue 14): the same Spotify CSV, full of malformed and unusual rows, ingested
 * row by row in JavaScript (the source of truth) and through the store's bulk path must give the same plays
 * with the same keys, the same catalogue, the same rejects (line, field, reason, raw) and the same counts;
 * ingesting it again adds nothing on either path.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { DuckDBConnection } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { ingestIntoStore } from "../pipeline/ingest.js";
import { DuckDbEventStore } from "../store/duckdb/duckdb-store.js";
import { eventKey } from "../store/event-key.js";
import { ingestTwice as ingestTwiceOn, storeRows } from "./bulk-conformance.js";
import { HEADER, ODD_ROWS, ordinaryRows, rejectsIn } from "./spotify-csv-odd-rows.js";

const dir = mkdtempSync(join(tmpdir(), "tastebud-bulk-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What both paths must store alike: the plays and their keys, and the catalogue. */
const STORED = {
  plays:
    "SELECT event_key::VARCHAR, user_id, item_id, end_time::VARCHAR, played_ms, source FROM plays ORDER BY event_key",
  items:
    "SELECT item_id, title, creators::VARCHAR, kind, attributes, tags::VARCHAR FROM items ORDER BY item_id",
};

/** Ingests the file twice on one path (bulk-conformance.ts): both summaries, rejects, stored rows. */
function ingestTwice(file: string, bulk: boolean, name: string) {
  return ingestTwiceOn(file, bulk, dir, name, { preset: "spotify" }, STORED);
}

describe("the Spotify CSV bulk path agrees with the JavaScript reader", () => {
  it("same plays and keys, catalogue, rejects and counts; re-ingest adds nothing; repeats kept", async () => {
    const file = join(dir, "odd.csv");
    const rows = [...ordinaryRows(3000, 14), ...ODD_ROWS, ...ordinaryRows(500, 15), ...ODD_ROWS.slice(0, 3)];
    writeFileSync(file, `${HEADER}\n${rows.join("\n")}\n`);
    const js = await ingestTwice(file, false, "js");
    const bulk = await ingestTwice(file, true, "bulk");

    expect(js.bulkRan).toEqual([]);
    expect(bulk.bulkRan.every((r) => r !== null)).toBe(true);
    expect(bulk.bulkRan.length).toBe(2);
    expect(bulk.plays).toEqual(js.plays);
    expect(bulk.items).toEqual(js.items);
    expect(bulk.rejects).toEqual(js.rejects);
    expect(bulk.first).toEqual(js.first);
    expect(bulk.second).toEqual(js.second);
    expect(js.second.accepted).toBe(0);
    expect(js.first.rejected).toBeGreaterThan(20);
    // The three identical Beyoncé plays, and the ODD_ROWS repeated at the end, are all kept.
    expect(js.plays.filter((p) => p[1] === "s05").length).toBe(3);
  });

  it("a play another write stores between two batches of new users' plays is not stored twice", async () => {
    // The users are new to the store, so the batches skip their anti-join until another write stores plays.
    const file = join(dir, "between.csv");
    const rows = Array.from({ length: 300 }, (_, k) => `n${k % 3},2021-03-11 17:34,Artist,Track ${k},1000`);
    writeFileSync(file, `${HEADER}\n${rows.join("\n")}\n`);
    // The file's last play, as another writer (a POST of the same play) would key it.
    const last = {
      user: "n2",
      item: "Artist|Track 299",
      endTime: "2021-03-11T17:34:00.000Z",
      playedMs: 1000,
    };
    const store = await DuckDbEventStore.open(join(dir, "between.duckdb"));
    try {
      let other: Promise<{ inserted: number }> | undefined;
      const summary = await ingestIntoStore(store, [file], {
        preset: "spotify",
        rejectsPath: join(dir, "between.rejects.jsonl"),
        batchSize: 100,
        onProgress: (p) => {
          // Queued after the first batch's commit, before the second batch.
          if (p.phase === "storing" && !other)
            other = store.appendPlays([{ key: eventKey(last), event: last, source: "http" }]);
        },
      });
      expect(await other).toMatchObject({ inserted: 1 });
      expect(summary).toMatchObject({ accepted: 299, duplicates: 1, rejected: 0 });
      expect(await store.countPlays()).toBe(300);
    } finally {
      await store.close();
    }
  });

  it("under a memory limit below its staged rows it spills to disk and stores the same; the store's limit and threads are put back", async () => {
    const file = join(dir, "limit.csv");
    const rows = [...ordinaryRows(20_000, 17), ...ODD_ROWS];
    writeFileSync(file, `${HEADER}\n${rows.join("\n")}\n`);
    /** The database's memory limit, threads and temporary files, on the store's read connection. */
    const probe = async (store: DuckDbEventStore) => {
      const reader = (store as unknown as { reader: { connection: DuckDBConnection } }).reader.connection;
      const r = await reader.runAndReadAll(
        "SELECT current_setting('memory_limit'), (SELECT count(*) FROM duckdb_temporary_files())::INTEGER, current_setting('threads')::INTEGER",
      );
      const [limit, files, threads] = r.getRows()[0] as [string, number, number];
      return { limit, files, threads };
    };
    const ingestUnder = async (name: string, memoryLimit?: string) => {
      const path = join(dir, `${name}.duckdb`);
      const store = await DuckDbEventStore.open(path);
      const during: Promise<{ limit: string; files: number; threads: number }>[] = [];
      try {
        const before = await probe(store);
        const summary = await ingestIntoStore(store, [file], {
          preset: "spotify",
          rejectsPath: join(dir, `${name}.rejects.jsonl`),
          batchSize: 5000,
          memoryLimit,
          // Between two batches the write connection is idle; the read connection sees the same database.
          onProgress: (p) => {
            if (p.phase === "storing") during.push(probe(store));
          },
        });
        // Again under the same limit (the staged rows spill, every one a duplicate), for the tight limit only.
        const again =
          memoryLimit === "40MB"
            ? await ingestIntoStore(store, [file], {
                preset: "spotify",
                rejectsPath: join(dir, `${name}.rejects-again.jsonl`),
                memoryLimit,
              })
            : null;
        return { before, during: await Promise.all(during), after: await probe(store), summary, again };
      } finally {
        await store.close();
      }
    };
    const free = await ingestUnder("limit-none", "4GB");
    const tight = await ingestUnder("limit-tight", "40MB");
    expect(tight.during.length).toBeGreaterThan(1);
    expect(tight.during.every((d) => d.limit !== tight.before.limit)).toBe(true);
    expect(tight.during.some((d) => d.files > 0)).toBe(true);
    expect(free.during.every((d) => d.files === 0)).toBe(true);
    expect(tight.after.limit).toBe(tight.before.limit);
    expect(free.after.limit).toBe(free.before.limit);
    // A first ingest (no user known to the store) inserts on one thread, and the store's threads come back.
    expect(free.during.every((d) => d.threads === 1)).toBe(true);
    expect(free.after.threads).toBe(free.before.threads);
    expect(tight.after.threads).toBe(tight.before.threads);
    expect({ ...tight.summary, rejectsFile: null }).toEqual({ ...free.summary, rejectsFile: null });
    expect(tight.again).toMatchObject({ accepted: 0, duplicates: free.summary.accepted });
    expect(rejectsIn(join(dir, "limit-tight.rejects.jsonl"))).toEqual(
      rejectsIn(join(dir, "limit-none.rejects.jsonl")),
    );
    const [a, b] = [
      await storeRows(join(dir, "limit-tight.duckdb"), STORED),
      await storeRows(join(dir, "limit-none.duckdb"), STORED),
    ];
    expect(a.plays.length).toBe(free.summary.accepted);
    expect(a).toEqual(b);

    // Under a limit too small for DuckDB's read buffers the ingest fails naming the limit, stores nothing, and
    // the store's own limit is back.
    const path = join(dir, "limit-too-small.duckdb");
    const store = await DuckDbEventStore.open(path);
    try {
      const before = await probe(store);
      await expect(
        ingestIntoStore(store, [file], {
          preset: "spotify",
          rejectsPath: join(dir, "limit-too-small.rejects.jsonl"),
          memoryLimit: "8MB",
        }),
      ).rejects.toThrow(/memory limit of 8MB/);
      expect(await store.countPlays()).toBe(0);
      expect((await probe(store)).limit).toBe(before.limit);
    } finally {
      await store.close();
    }
  });

  it("a gzip file: the same result", async () => {
    const file = join(dir, "odd.csv.gz");
    const rows = [...ordinaryRows(200, 16), ...ODD_ROWS];
    writeFileSync(file, gzipSync(`${HEADER}\n${rows.join("\n")}\n`));
    const js = await ingestTwice(file, false, "gz-js");
    const bulk = await ingestTwice(file, true, "gz-bulk");
    expect(bulk.bulkRan.every((r) => r !== null)).toBe(true);
    expect(bulk.plays).toEqual(js.plays);
    expect(bulk.rejects).toEqual(js.rejects);
    expect(bulk.first).toEqual(js.first);
  });

  it("a file the line reading could misread (a quoted field over two lines, bytes not UTF-8, carriage returns) goes row by row, same result", async () => {
    const multi = join(dir, "multi.csv");
    writeFileSync(multi, `${HEADER}\ns01,2021-03-11 17:34,A,"two\nlines",5\ns01,2021-03-11 17:35,A,B,5\n`);
    // DuckDB's line reading breaks lines at a lone carriage return and counts a CRLF blank line as several.
    const crlf = join(dir, "crlf.csv");
    writeFileSync(crlf, `${HEADER}\r\ns01,2021-03-11 17:34,A,B,5\r\ns01,2021-03-11 17:35,A,B,5\r\n`);
    const crlfBlank = join(dir, "crlf-blank.csv");
    writeFileSync(
      crlfBlank,
      `${HEADER}\ns01,2021-03-11 17:34,A,B,5\r\n\r\ns01,bad,A,B,5\r\ns01,2021-03-11 17:35,A,B,5\r\n`,
    );
    const loneCr = join(dir, "cr.csv");
    writeFileSync(loneCr, `${HEADER}\ns01,2021-03-11 17:34,A,B\r,5\ns01,2021-03-11 17:35,A,B,5\r4\n`);
    const notUtf8 = join(dir, "bytes.csv");
    writeFileSync(
      notUtf8,
      Buffer.concat([
        Buffer.from(`${HEADER}\ns01,2021-03-11 17:34,A,`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(",5\ns01,2021-03-11 17:35,A,B,5\n"),
      ]),
    );
    for (const file of [multi, notUtf8, crlf, crlfBlank, loneCr]) {
      const name = basename(file, ".csv");
      const js = await ingestTwice(file, false, `${name}-js`);
      const bulk = await ingestTwice(file, true, `${name}-bulk`);
      expect(bulk.plays.length).toBeGreaterThan(0);
      expect(bulk.plays).toEqual(js.plays);
      expect(bulk.rejects).toEqual(js.rejects);
      expect(bulk.first).toEqual(js.first);
      // Row by row, but for the CRLF file (DuckDB's line reading takes it).
      expect(bulk.bulkRan.map((r) => r === null)).toEqual(name === "crlf" ? [false, false] : [true, true]);
    }
  });
});
