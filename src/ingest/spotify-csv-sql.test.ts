/**
 * Conformance of the bulk path (issue 14): the same Spotify CSV, full of malformed and unusual rows, ingested
 * row by row in JavaScript (the source of truth) and through the store's bulk path must give the same plays
 * with the same keys, the same catalogue, the same rejects (line, field, reason, raw) and the same counts;
 * ingesting it again adds nothing on either path.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it, vi } from "vitest";
import { Random } from "../core/random.js";
import { ingestIntoStore } from "../pipeline/ingest.js";
import { DuckDbEventStore } from "../store/duckdb/duckdb-store.js";

const dir = mkdtempSync(join(tmpdir(), "tastebud-bulk-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = "user_id,end_time,artist_name,track_name,ms_played";

/** Rows that probe every rule: each is a whole CSV line. */
const ODD_ROWS = [
  's01,2021-03-11 17:34,Capital Cities,"Safe, And Sound",15990',
  's01,2021-03-11 17:35,Quote,"He said ""hi""",100',
  "s01,2021-03-11 17:36,AC|DC \\ Friends,Back\\Slash | Pipe,100",
  " s02 ,2021-03-11 17:34,A,B,5",
  ",2021-03-11 17:34,A,B,5",
  `${"u".repeat(201)},2021-03-11 17:34,A,B,5`,
  "s03,2021-03-11 17:34,,B,5",
  "s03,2021-03-11 17:34,   ,B,5",
  "s03,2021-03-11 17:34,\u00a0,B,5",
  "s03,2021-03-11 17:34,A",
  "s03,2021-03-11 17:34,A,B",
  "s03,bad,A,B,5",
  "s03,2021-02-30 10:00,A,B,5",
  "s03,2021-02-29 10:00,A,B,5",
  "s03,2020-02-29 23:59,A,B,5",
  "s03,2021-03-11T17:34:12.5+01:00,A,B,5",
  "s03,2021-03-11T17:34:12,123456789Z,A,B,5",
  '"s03","2021-03-11T17:34:12.1234567890Z",A,B,5',
  "s03,2021-03-11 24:00,A,B,5",
  "s03,2021-03-11T17:34-0130,A,B,5",
  "s03,2021-03-11T17:34:05-00:30,A,B,5",
  "s03,1615483452,A,B,5",
  "s03,1615483452000,A,B,5",
  "s03,-5,A,B,5",
  "s03,1615483452.5,A,B,5",
  "s03,0000-01-01,A,B,5",
  "s03,0001-01-01,A,B,5",
  "s03,9999-12-31T23:59:59.999-01:00,A,B,5",
  "s03,2021-03-11t17:34z,A,B,5",
  "s03,2021-03-11 17:34  Z,A,B,5",
  "s03, 2021-03-11 17:34,A,B,5",
  "s03,2021-03-11 17:34 ,A,B,5",
  "s03,2021-03-11,A,B,5",
  "s04,2021-03-11 17:34,A,B,100.0",
  "s04,2021-03-11 17:34,A,B,-5",
  "s04,2021-03-11 17:34,A,B,1e3",
  "s04,2021-03-11 17:34,A,B,604800001",
  "s04,2021-03-11 17:34,A,B,604800000",
  "s04,2021-03-11 17:34,A,B,",
  "s04,2021-03-11 17:34,A,B,007",
  "s04,2021-03-11 17:34,A,B,5,extra,columns",
  "s05,2021-03-11 17:34,Beyoncé,🎵 Halo,5",
  "s05,2021-03-11 17:34,Beyoncé,🎵 Halo,5",
  "s05,2021-03-11 17:34,Beyoncé,🎵 Halo,5",
  "",
  "   ",
  `s06,2021-03-11 17:34,${"x".repeat(600)},${"y".repeat(600)},5`,
  's06,2021-03-11 17:34,"",B,5',
  "s06,2021-03-11 17:34,\t,B,5",
  // Rejects among and after blank lines, quoted fields that are rejected or repeat a plain row, a quoted
  // unused column, empty fields after the header's count.
  "",
  "",
  's07,"2021-03-11, 17:34",A,B,5',
  's07,2021-03-11 17:34,"A",B,5',
  "s07,2021-03-11 17:34,A,B,5",
  's07,2021-03-11 17:34,"A",B,5,"x,y"',
  "s07,2021-03-11 17:34,A,B,",
  "s07,2021-03-11 17:34,A,B,x,",
  "s07,2021-03-11 17:34,A,B,6,,",
  "s07,2021-03-11 17:34,,B,6,,",
];

/** Ordinary rows with repeats (genuinely repeated plays), from a fixed seed. */
function ordinaryRows(n: number, seed: number): string[] {
  const rng = new Random(seed);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const minute = Math.floor(rng.next() * 3000);
    const t = new Date(Date.UTC(2021, 0, 1) + minute * 60_000).toISOString().slice(0, 16).replace("T", " ");
    rows.push(
      `u${Math.floor(rng.next() * 20)},${t},Artist ${Math.floor(rng.next() * 30)},Track ${Math.floor(rng.next() * 5)},${Math.floor(rng.next() * 300_000)}`,
    );
  }
  return rows;
}

async function storeContents(path: string) {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const plays = await conn.runAndReadAll(
      "SELECT event_key::VARCHAR, user_id, item_id, end_time::VARCHAR, played_ms, source FROM plays ORDER BY event_key",
    );
    const items = await conn.runAndReadAll(
      "SELECT item_id, title, creators::VARCHAR, kind, attributes, tags::VARCHAR FROM items ORDER BY item_id",
    );
    return { plays: plays.getRowsJson(), items: items.getRowsJson() };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Ingests the file twice on one path; the store's contents, both summaries, the rejects and whether bulk ran. */
async function ingestTwice(file: string, bulk: boolean, name: string) {
  const path = join(dir, `${name}.duckdb`);
  const rejectsPath = join(dir, `${name}.rejects.jsonl`);
  const store = await DuckDbEventStore.open(path);
  const spy = vi.spyOn(store, "ingestCsvInBulk");
  let first: Awaited<ReturnType<typeof ingestIntoStore>>;
  let second: Awaited<ReturnType<typeof ingestIntoStore>>;
  try {
    first = await ingestIntoStore(store, [file], { preset: "spotify", rejectsPath, bulk });
    second = await ingestIntoStore(store, [file], { preset: "spotify", rejectsPath, bulk });
  } finally {
    await store.close();
  }
  const bulkRan = await Promise.all(spy.mock.results.map((r) => r.value));
  const rejects = (existsSync(rejectsPath) ? readFileSync(rejectsPath, "utf8") : "")
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l))
    .filter((r) => r.reason !== undefined);
  return {
    first: { ...first, rejectsFile: null },
    second: { ...second, rejectsFile: null },
    rejects,
    bulkRan,
    ...(await storeContents(path)),
  };
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
