/**
 * The bulk paths' conformance check (issue 14), shared by the tests of the Spotify CSV, Parquet and JSON lines
 * plans: a file ingested twice (the second time every row a duplicate) row by row and in bulk, each into a
 * store of its own, must leave the same stored rows, summaries and rejects. Test support, like
 * store/event-store-conformance.ts: only the tests import it.
 */
import { join } from "node:path";
import { DuckDBInstance, type Json } from "@duckdb/node-api";
import { expect, vi } from "vitest";
import { type IngestRunOptions, type IngestSummary, ingestIntoStore } from "../pipeline/ingest.js";
import { DuckDbEventStore } from "../store/duckdb/duckdb-store.js";
import { rejectsIn } from "./spotify-csv-odd-rows.js";

/** Every stored column of the plays but those an ingest's clock or order sets (ingested_at, the codes). */
export const STORED_PLAYS_SQL = `SELECT * EXCLUDE (ingested_at, user_code, item_code)
  REPLACE (event_key::VARCHAR AS event_key, end_time::VARCHAR AS end_time) FROM plays ORDER BY event_key`;

/** The rows of each named query over a store file (closed), read with an instance of its own. */
export async function storeRows<K extends string>(
  path: string,
  queries: Record<K, string>,
): Promise<Record<K, Json[][]>> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const rows = {} as Record<K, Json[][]>;
    for (const name of Object.keys(queries) as K[])
      rows[name] = (await conn.runAndReadAll(queries[name])).getRowsJson();
    return rows;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** One path's run: both summaries, the rejects (the file named "(file)"), what each bulk call returned. */
export interface IngestedTwice {
  first: IngestSummary;
  second: IngestSummary;
  rejects: { reason: string; [field: string]: unknown }[];
  /** What the store's ingestFileInBulk returned per call (null: it left the file to the row-by-row path). */
  bulkRan: unknown[];
}

/** Ingests `file` twice into `<dir>/<name>.duckdb` on one path, then reads the store with `queries`. */
export async function ingestTwice<K extends string>(
  file: string,
  bulk: boolean,
  dir: string,
  name: string,
  options: Partial<IngestRunOptions>,
  queries: Record<K, string>,
): Promise<IngestedTwice & Record<K, Json[][]>> {
  const path = join(dir, `${name}.duckdb`);
  const rejectsPath = join(dir, `${name}.rejects.jsonl`);
  const store = await DuckDbEventStore.open(path);
  const spy = vi.spyOn(store, "ingestFileInBulk");
  let first: IngestSummary;
  let second: IngestSummary;
  try {
    first = await ingestIntoStore(store, [file], { ...options, rejectsPath, bulk });
    second = await ingestIntoStore(store, [file], { ...options, rejectsPath, bulk });
  } finally {
    await store.close();
  }
  const bulkRan = await Promise.all(spy.mock.results.map((r) => r.value));
  return {
    first: { ...first, rejectsFile: null },
    second: { ...second, rejectsFile: null },
    rejects: rejectsIn(rejectsPath).map((r) => ({ ...r, file: r.file === file ? "(file)" : r.file })),
    bulkRan,
    ...(await storeRows(path, queries)),
  };
}

/**
 * Both paths over one file: the same stored rows (each of `queries`), rejects and summaries, nothing added
 * again; the row-by-row run never called the bulk path. Returns that run and whether the bulk path took the
 * file on each of its two ingests.
 */
export async function expectSameOnBothPaths<K extends string>(
  file: string,
  dir: string,
  name: string,
  options: Partial<IngestRunOptions>,
  queries: Record<K, string>,
): Promise<{ js: IngestedTwice & Record<K, Json[][]>; bulkTook: boolean[] }> {
  const js = await ingestTwice(file, false, dir, `${name}-js`, options, queries);
  const bulk = await ingestTwice(file, true, dir, `${name}-bulk`, options, queries);
  expect(js.bulkRan).toEqual([]);
  for (const query of Object.keys(queries) as K[]) expect(bulk[query]).toEqual(js[query]);
  expect(bulk.rejects).toEqual(js.rejects);
  expect(bulk.first).toEqual(js.first);
  expect(bulk.second).toEqual(js.second);
  expect(js.second.accepted).toBe(0);
  return { js, bulkTook: bulk.bulkRan.map((r) => r !== null) };
}
