/**
 * Conformance of the Parquet bulk path (issue 14): Parquet files of the generic format, full of malformed and
 * unusual values in columns of every type the SQL rules know (and some they do not), ingested row by row in
 * JavaScript (the source of truth) and through the store's bulk path must give the same plays with the same
 * keys and stored fields, the same rejects (line, field, reason, raw) and the same counts; ingesting again adds
 * nothing on either path. The rows are drawn with a fixed seed from pools of values per column, plus edge
 * cases by hand.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { type IngestRunOptions, ingestIntoStore } from "../pipeline/ingest.js";
import { DuckDbEventStore } from "../store/duckdb/duckdb-store.js";
import { expectSameOnBothPaths as expectSameOnBoth, STORED_PLAYS_SQL } from "./bulk-conformance.js";

const dir = mkdtempSync(join(tmpdir(), "tastebud-bulk-parquet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const long = (n: number) => q("x".repeat(n));

/** A column: its DuckDB type, the ordinary values (SQL literals) most rows take, and odd ones. */
interface Column {
  type: string;
  ordinary: string[];
  odd: string[];
}

/** Writes `rows` rows drawn from the columns' pools (an odd value a fifth of the time) as a Parquet file. */
async function writeParquet(
  file: string,
  columns: Record<string, Column>,
  rows: number,
  seed: number,
  extra: string[][] = [],
): Promise<void> {
  const rng = new Random(seed);
  const next = () => rng.next();
  const pick = (list: string[]) => list[Math.floor(next() * list.length)];
  const names = Object.keys(columns);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const odd = next() < 0.35;
    lines.push(
      `(${names
        .map((n) => {
          const c = columns[n];
          const v = odd && c.odd.length > 0 && next() < 0.3 ? pick(c.odd) : pick(c.ordinary);
          return `(${v})::${c.type}`;
        })
        .join(", ")})`,
    );
  }
  for (const row of extra)
    lines.push(`(${row.map((v, k) => `(${v})::${columns[names[k]].type}`).join(", ")})`);
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const schema = names.map((n) => `"${n}" ${columns[n].type}`).join(", ");
    await conn.run(`CREATE TABLE t (${schema})`);
    for (let k = 0; k < lines.length; k += 500)
      await conn.run(`INSERT INTO t VALUES ${lines.slice(k, k + 500).join(", ")}`);
    await conn.run(`COPY t TO ${q(file)} (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** What both paths must store alike: every play's stored columns, and how many items. */
const STORED = { plays: STORED_PLAYS_SQL, items: "SELECT count(*) FROM items" };

/** Both paths over one file: the same outcome; whether the bulk path took it. */
function expectSameOnBothPaths(file: string, name: string, options: Partial<IngestRunOptions> = {}) {
  return expectSameOnBoth(file, dir, name, options, STORED);
}

const users = ["'u1'", "'u2'", "'u3'"];
const items = ["'i1'", "'i2'", "'i3'", "'i4'", "'ümlaut'"];
// Ends that String.prototype.trim removes (tab, NBSP, line and paragraph separators, ideographic space, BOM)
// and that it keeps (zero-width space, NEL, the Mongolian vowel separator).
const oddText = [
  "NULL",
  "''",
  "' padded '",
  "'\t'",
  "'a b'",
  long(201),
  long(1001),
  "' ' || repeat('y', 200)",
  "'\u00a0nbsp'",
  "'\u2028x\u3000'",
  "'\ufeffx\u2029'",
  "'\u200bx'",
  "'x\u0085'",
  "'\u180ex'",
  "'é|Ünïcode '",
];
const endReasonPool = ["NULL", "NULL", "'completed'", "'skipped'"];
const endReasonOdd = ["''", "' completed'", "'bogus'", "'Completed'"];

describe("the Parquet bulk path agrees with the JavaScript reader", () => {
  it("typed columns: timestamps, integers, doubles, structs; same plays, keys, fields, rejects, counts", async () => {
    const file = join(dir, "typed.parquet");
    await writeParquet(
      file,
      {
        user: { type: "VARCHAR", ordinary: users, odd: oddText },
        item: { type: "VARCHAR", ordinary: items, odd: oddText },
        endTime: {
          type: "TIMESTAMP",
          ordinary: ["'2021-03-11 17:34:00'", "'2021-03-11 17:35:00.123'"],
          odd: [
            "NULL",
            "'2021-03-11 17:34:00.1235'",
            "'1960-01-01 00:00:00.0005'",
            "'1960-01-01 00:00:00.001'",
            "'0001-01-01 00:00:00'",
            "'9999-12-31 23:59:59.999'",
            "'1969-12-31 23:59:59.9999'",
          ],
        },
        playedMs: {
          type: "BIGINT",
          ordinary: ["1000", "0", "60000"],
          odd: ["NULL", "-1", "604800000", "604800001", "9007199254740993"],
        },
        itemLengthMs: {
          type: "BIGINT",
          ordinary: ["NULL", "200000"],
          odd: ["0", "-5", "1", "9007199254740993", "9007199254740991"],
        },
        weight: {
          type: "DOUBLE",
          ordinary: ["NULL", "1", "3"],
          odd: ["2.5", "'-0.0'", "0.1", "1e21", "'nan'", "'infinity'", "-7", "9007199254740993"],
        },
        endReason: { type: "VARCHAR", ordinary: endReasonPool, odd: endReasonOdd },
        requestText: {
          type: "VARCHAR",
          ordinary: ["NULL", "'play something'"],
          odd: ["''", "' spaced '", long(2001), long(2000)],
        },
        requestId: { type: "VARCHAR", ordinary: ["NULL", "'r1'"], odd: ["''", "' r2 '", long(201)] },
        context: {
          type: "STRUCT(deviceType VARCHAR, hasScreen BOOLEAN)",
          ordinary: ["NULL"],
          odd: ["{'deviceType': 'phone', 'hasScreen': true}", "{'deviceType': '', 'hasScreen': NULL}"],
        },
        deviceType: { type: "VARCHAR", ordinary: ["NULL"], odd: ["''", "'speaker'", "' tv '"] },
        extraColumn: { type: "INTEGER", ordinary: ["1", "NULL"], odd: ["2"] },
      },
      3000,
      14,
    );
    const { js, bulkTook } = await expectSameOnBothPaths(file, "typed");
    expect(bulkTook).toEqual([true, true]);
    expect(js.first.rejected).toBeGreaterThan(50);
    expect(js.first.accepted).toBeGreaterThan(1000);
    // Repeated identical plays are all kept (keyed by occurrence).
    expect(js.first.accepted + js.first.rejected).toBe(3000);
  });

  it("text and numeric columns: time texts and unix times, digit strings, JSON context text, integer ids", async () => {
    const text = join(dir, "text.parquet");
    await writeParquet(
      text,
      {
        user: { type: "BIGINT", ordinary: ["1", "2", "-3"], odd: ["NULL"] },
        item: { type: "INTEGER", ordinary: ["10", "11"], odd: ["NULL", "0"] },
        endTime: {
          type: "VARCHAR",
          ordinary: ["'2021-03-11 17:34'", "'2021-03-11T17:34:56Z'", "'1615483440'", "'1615483440000'"],
          odd: [
            "NULL",
            "''",
            "' 2021-03-11 17:34'",
            "'2021-03-11T18:34+01:00'",
            "'2021-03-11 24:00'",
            "'0000-01-01 00:00'",
            "'2021-02-30 10:00'",
            "'1615483440.5'",
            "'-1'",
            "'soon'",
          ],
        },
        playedMs: {
          type: "VARCHAR",
          ordinary: ["'1000'", "'0'"],
          odd: ["NULL", "''", "' 5'", "'5.0'", "'-1'", "'604800001'", "'1e3'", "'+5'"],
        },
        itemLengthMs: {
          type: "VARCHAR",
          ordinary: ["NULL", "''", "'1000'"],
          odd: ["'0'", "'007'", "'1.5'", "' 9'", "'x'"],
        },
        weight: { type: "VARCHAR", ordinary: ["NULL", "''"], odd: ["'2'", "'0.5'", "'x'", "' 1 '"] },
        context: {
          type: "VARCHAR",
          ordinary: ["NULL", "''"],
          odd: [`'{"deviceType":"car"}'`, "'{bad json'", "'[1]'", `'{"hasScreen":"yes"}'`],
        },
        endReason: { type: "VARCHAR", ordinary: endReasonPool, odd: endReasonOdd },
      },
      2000,
      15,
    );
    const a = await expectSameOnBothPaths(text, "text");
    expect(a.bulkTook).toEqual([true, true]);
    expect(a.js.first.rejected).toBeGreaterThan(20);

    const numbers = join(dir, "numbers.parquet");
    await writeParquet(
      numbers,
      {
        user: { type: "VARCHAR", ordinary: users, odd: oddText },
        item: { type: "VARCHAR", ordinary: items, odd: oddText },
        endTime: {
          type: "BIGINT",
          ordinary: ["1615483440", "1615483440123"],
          odd: ["NULL", "-1", "99999999999", "100000000000", "-62167219200001", "253402300800000", "0"],
        },
        playedMs: {
          type: "DOUBLE",
          ordinary: ["1000", "0"],
          odd: ["NULL", "0.5", "'-0.0'", "-1", "'nan'", "'infinity'", "604800000", "604800000.5"],
        },
        itemLengthMs: { type: "FLOAT", ordinary: ["NULL", "1000"], odd: ["0.5", "0", "'nan'", "16777217"] },
        weight: { type: "FLOAT", ordinary: ["NULL", "2"], odd: ["0.1", "'-0.0'", "'infinity'", "1e10"] },
      },
      2000,
      16,
    );
    const b = await expectSameOnBothPaths(numbers, "numbers");
    expect(b.bulkTook).toEqual([true, true]);
    expect(b.js.first.rejected).toBeGreaterThan(20);
  });

  it("time zones, renamed columns, a fallback user and end time", async () => {
    const file = join(dir, "mapped.parquet");
    await writeParquet(
      file,
      {
        listener: { type: "VARCHAR", ordinary: users, odd: ["NULL", "''", "' x '"] },
        track: { type: "VARCHAR", ordinary: items, odd: ["NULL"] },
        stopped: {
          type: "TIMESTAMP WITH TIME ZONE",
          ordinary: ["'2021-03-11 17:34:00+00'", "'2021-03-11 17:34:00+05:30'"],
          odd: ["NULL", "'1960-01-01 00:00:00.0005+00'"],
        },
        ms: { type: "INTEGER", ordinary: ["1000"], odd: ["NULL", "-1"] },
      },
      1000,
      17,
    );
    const options = {
      map: { user: "listener", item: "track", endTime: "stopped", playedMs: "ms" },
      user: "fallback",
      defaultEndTime: "2020-01-01T00:00:00Z",
    };
    const { js, bulkTook } = await expectSameOnBothPaths(file, "mapped", options);
    expect(bulkTook).toEqual([true, true]);
    expect(js.plays.some((p) => p[2] === "fallback")).toBe(true);
    expect(js.plays.some((p) => p[4] === "2020-01-01 00:00:00")).toBe(true);
  });

  it("files the bulk path leaves to the row-by-row reader (event ids, an infinite time, a missing column): same result", async () => {
    const ids = join(dir, "ids.parquet");
    await writeParquet(
      ids,
      {
        eventId: { type: "VARCHAR", ordinary: ["NULL", "'e1'", "'e2'", "'e3'"], odd: ["''"] },
        user: { type: "VARCHAR", ordinary: users, odd: ["NULL"] },
        item: { type: "VARCHAR", ordinary: items, odd: ["NULL"] },
        endTime: { type: "TIMESTAMP", ordinary: ["'2021-03-11 17:34:00'"], odd: ["NULL"] },
        playedMs: { type: "BIGINT", ordinary: ["1000"], odd: ["-1"] },
      },
      300,
      18,
    );
    const a = await expectSameOnBothPaths(ids, "ids");
    expect(a.bulkTook).toEqual([false, false]);
    expect(a.js.plays.some((p) => p[1] === "e1")).toBe(true);

    // The converter refuses an infinite timestamp: the row-by-row reader fails on it, keeping the rows of the
    // DuckDB chunks (2,048 rows) before it.
    const infinite = join(dir, "infinite.parquet");
    const columns = {
      user: { type: "VARCHAR", ordinary: users, odd: [] },
      item: { type: "VARCHAR", ordinary: items, odd: [] },
      endTime: { type: "TIMESTAMP", ordinary: ["'2021-03-11 17:34:00'"], odd: [] },
      playedMs: { type: "BIGINT", ordinary: ["1000"], odd: [] },
    };
    await writeParquet(infinite, columns, 2500, 19, [["'u1'", "'i1'", "'infinity'", "5"]]);
    const stored: number[] = [];
    for (const bulk of [false, true]) {
      const store = await DuckDbEventStore.open(join(dir, `infinite-${bulk}.duckdb`));
      try {
        await expect(
          ingestIntoStore(store, [infinite], { rejectsPath: join(dir, "inf.rejects.jsonl"), bulk }),
        ).rejects.toThrow(/out of range/);
        stored.push(await store.countPlays());
      } finally {
        await store.close();
      }
    }

    expect(stored[0]).toBeGreaterThan(0);
    expect(stored[1]).toBe(stored[0]);

    const noPlayed = join(dir, "no-played.parquet");
    await writeParquet(
      noPlayed,
      { user: columns.user, item: columns.item, endTime: columns.endTime },
      10,
      20,
    );
    for (const bulk of [false, true]) {
      const store = await DuckDbEventStore.open(join(dir, `no-played-${bulk}.duckdb`));
      try {
        await expect(
          ingestIntoStore(store, [noPlayed], { rejectsPath: join(dir, "np.rejects.jsonl"), bulk }),
        ).rejects.toThrow(/missing required column "playedMs"/);
      } finally {
        await store.close();
      }
    }
  });
});
