/**
 * The PostgreSQL bulk path (bulk-ingest.ts) against the embedded store's (issue 14's, itself checked against
 * the JavaScript reader in spotify-csv-sql.test.ts): the same Spotify CSV full of malformed and repeated rows
 * gives the same plays with the same keys, the same catalogue, the same rejects and the same counts, in
 * batches of a few hundred lines; ingesting it again adds nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { afterAll, describe, expect, it, vi } from "vitest";
import { HEADER, ODD_ROWS, ordinaryRows, rejectsIn } from "../../ingest/spotify-csv-odd-rows.js";
import { ingestIntoStore } from "../../pipeline/ingest.js";
import { DuckDbEventStore } from "../duckdb/duckdb-store.js";
import type { BulkInsertMethod } from "./bulk-ingest.js";
import { PostgresEventStore, uuidOfKey } from "./postgres-store.js";
import { ScratchDatabases } from "./scratch-databases.js";

const scratch = new ScratchDatabases();
const unreachable = await scratch.unavailable();
if (unreachable) console.warn(`skipping the PostgreSQL bulk ingest tests: ${unreachable}`);
afterAll(() => scratch.dropAll(), 60_000);
const dir = mkdtempSync(join(tmpdir(), "tastebud-pg-bulk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Play = [key: string, user: string, item: string, endMs: number, playedMs: number, source: string];
type Item = [id: string, title: string, creators: string[], kind: string, tags: string[], attributes: string];

async function duckContents(path: string): Promise<{ plays: Play[]; items: Item[] }> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const plays = (
      await conn.runAndReadAll(
        "SELECT event_key::VARCHAR, user_id, item_id, epoch_ms(end_time)::DOUBLE, played_ms::DOUBLE, source FROM plays",
      )
    ).getRows() as [string, string, string, number, number, string][];
    const items = (
      await conn.runAndReadAll(
        "SELECT item_id, title, to_json(creators)::VARCHAR, kind, to_json(tags)::VARCHAR, attributes FROM items ORDER BY item_id",
      )
    ).getRows() as string[][];
    return {
      plays: plays.map(([k, ...rest]) => [uuidOfKey(BigInt(k)), ...rest] as Play).sort(byKey),
      items: items.map(([id, title, creators, kind, tags, attributes]) => [
        id,
        title,
        JSON.parse(creators),
        kind,
        JSON.parse(tags),
        attributes,
      ]),
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function pgContents(url: string): Promise<{ plays: Play[]; items: Item[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const plays = await client.query({
      text: `SELECT event_key::text, user_id, item_id, (extract(epoch FROM end_time) * 1000)::float8, played_ms::float8, source
             FROM plays`,
      rowMode: "array",
    });
    const items = await client.query({
      text: `SELECT item_id, title, creators, kind, tags, attributes::text FROM items ORDER BY item_id`,
      rowMode: "array",
    });
    return { plays: (plays.rows as Play[]).sort(byKey), items: items.rows as Item[] };
  } finally {
    await client.end();
  }
}

const byKey = (a: Play, b: Play) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The file ingested twice into `store`: both summaries, the rejects, and what the bulk path returned. */
async function ingestTwice(store: DuckDbEventStore | PostgresEventStore, file: string, batchSize?: number) {
  const rejectsPath = join(dir, `${Math.random().toString(36).slice(2)}.rejects.jsonl`);
  const spy = vi.spyOn(store as Pick<PostgresEventStore, "ingestFileInBulk">, "ingestFileInBulk");
  const options = { preset: "spotify" as const, rejectsPath, ...(batchSize ? { batchSize } : {}) };
  const first = await ingestIntoStore(store, [file], options);
  const second = await ingestIntoStore(store, [file], options);
  const bulkRan = await Promise.all(spy.mock.results.map((r) => r.value));
  const rejects = rejectsIn(rejectsPath);
  return {
    first: { ...first, rejectsFile: null },
    second: { ...second, rejectsFile: null },
    rejects,
    bulkRan,
  };
}

describe.skipIf(unreachable !== null)("the PostgreSQL bulk path", () => {
  const file = join(dir, "odd.csv");
  const rows = [...ordinaryRows(3000, 14), ...ODD_ROWS, ...ordinaryRows(500, 15), ...ODD_ROWS.slice(0, 3)];
  writeFileSync(file, `${HEADER}\n${rows.join("\n")}\n`);

  const embedded = (async () => {
    const path = join(dir, "bulk.duckdb");
    const store = await DuckDbEventStore.open(path);
    try {
      const run = await ingestTwice(store, file);
      return { ...run, ...(await duckContents(path)) };
    } finally {
      await store.close();
    }
  })();

  for (const method of ["on-conflict", "anti-join"] as BulkInsertMethod[]) {
    it(`stores what the embedded bulk path stores, keys, items and rejects alike (${method}); re-ingest adds nothing`, async () => {
      const duck = await embedded;
      const url = await scratch.create();
      const steps: string[] = [];
      const store = await PostgresEventStore.open(url, {
        bulkInsert: method,
        onBulkStep: (step) => steps.push(step),
      });
      let run: Awaited<ReturnType<typeof ingestTwice>>;
      try {
        // Batches of 700 lines: several transactions.
        run = await ingestTwice(store, file, 700);
      } finally {
        await store.close();
      }
      const contents = await pgContents(url);
      expect(run.bulkRan.length).toBe(2);
      expect(run.bulkRan.every((r) => r !== null)).toBe(true);
      // The first ingest's batches go straight into plays (no user of the file had a stored play); every batch
      // of the re-ingest goes through staging.
      expect(steps[2]).toBe("COPY straight into plays");
      expect(steps).toContain(`staging and insert (${method})`);
      expect(duck.plays.length).toBeGreaterThan(3000);
      expect(contents.plays).toEqual(duck.plays);
      expect(contents.items).toEqual(duck.items);
      expect(run.rejects).toEqual(duck.rejects);
      expect(run.first).toEqual(duck.first);
      expect(run.second).toEqual(duck.second);
      expect(run.second.accepted).toBe(0);
      expect(run.first.rejected).toBeGreaterThan(20);
    });
  }

  it("a batch that meets another writer's play while it is COPYed straight in is rolled back and staged instead", async () => {
    const plain = join(dir, "plain.csv");
    writeFileSync(plain, `${HEADER}\n${ordinaryRows(800, 16).join("\n")}\n`);
    // The plays the file gives, from an ingest alone, and one of them to be committed by "another writer"
    // just before the COPY of the other ingest's batch starts (after its check of the users).
    const aloneUrl = await scratch.create();
    const alone = await PostgresEventStore.open(aloneUrl);
    await ingestIntoStore(alone, [plain], {
      preset: "spotify",
      rejectsPath: join(dir, "alone.rejects.jsonl"),
    });
    await alone.close();
    const expected = await pgContents(aloneUrl);
    const url = await scratch.create();
    const steps: string[] = [];
    const store = await PostgresEventStore.open(url, { onBulkStep: (step) => steps.push(step) });
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    const inner = store as unknown as { client: <T>(body: (c: pg.PoolClient) => Promise<T>) => Promise<T> };
    const client = inner.client.bind(store);
    let written = false;
    inner.client = (body) =>
      client((c) =>
        body(
          new Proxy(c, {
            get(target, name) {
              if (name !== "query") return Reflect.get(target, name);
              // Synchronous (a COPY's query returns its stream), bound to the client.
              return (...args: unknown[]) => {
                if (written || args[0] !== "SET LOCAL TimeZone = 'UTC'")
                  return Reflect.apply(target.query, target, args);
                written = true;
                const [key, user, item, endMs, playedMs, source] = expected.plays[7];
                return other
                  .query(
                    `INSERT INTO plays (user_id, event_key, item_id, end_time, played_ms, source)
                     VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000), $5, $6)`,
                    [user, key, item, endMs, playedMs, source],
                  )
                  .then(() => Reflect.apply(target.query, target, args));
              };
            },
          }),
        ),
      );
    const run = await ingestIntoStore(store, [plain], {
      preset: "spotify",
      rejectsPath: join(dir, "raced.rejects.jsonl"),
    }).finally(() => Promise.all([store.close(), other.end()]));
    expect(written).toBe(true);
    expect(steps).not.toContain("COPY straight into plays");
    expect(steps).toContain("staging and insert (on-conflict)");
    expect(run.accepted).toBe(expected.plays.length - 1);
    expect(run.duplicates).toBe(1);
    expect((await pgContents(url)).plays).toEqual(expected.plays);
  });

  it("a file the line reading could misread goes row by row, the same plays as the embedded store", async () => {
    const multi = join(dir, "multi.csv");
    writeFileSync(
      multi,
      `${HEADER}\ns01,2021-03-11 17:34,A,"two\nlines",5\ns01,2021-03-11 17:35,A,B,5\ns01,bad,A,B,5\n`,
    );
    const path = join(dir, "multi.duckdb");
    const duckStore = await DuckDbEventStore.open(path);
    const duck = await ingestTwice(duckStore, multi).finally(() => duckStore.close());
    const url = await scratch.create();
    const pgStore = await PostgresEventStore.open(url);
    const run = await ingestTwice(pgStore, multi).finally(() => pgStore.close());
    expect(run.bulkRan).toEqual([null, null]);
    expect((await pgContents(url)).plays).toEqual((await duckContents(path)).plays);
    expect(run.rejects).toEqual(duck.rejects);
    expect(run.first).toEqual(duck.first);
    expect(run.first.accepted).toBe(2);
  });
});
