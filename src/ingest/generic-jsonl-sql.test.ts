/**
 * Conformance of the JSON lines bulk path (issue 14): JSON lines files of the generic format, full of malformed
 * and unusual lines (what DuckDB's JSON parser accepts and JSON.parse does not, keys given twice, escapes,
 * numbers against numeric strings, nested contexts, blank lines), ingested row by row in JavaScript (the
 * source of truth) and through the store's bulk path must give the same plays with the same keys and stored
 * fields, the same rejects (line, field, reason, raw) and the same counts; ingesting again adds nothing.
 * Lines are drawn with a fixed seed from pools of values per field, plus whole odd lines by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import type { IngestRunOptions } from "../pipeline/ingest.js";
import { expectSameOnBothPaths as expectSameOnBoth, STORED_PLAYS_SQL } from "./bulk-conformance.js";

const dir = mkdtempSync(join(tmpdir(), "tastebud-bulk-jsonl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Per key: the JSON texts most lines take, and odd ones (undefined: the key left out). */
type Pools = Record<string, { ordinary: (string | undefined)[]; odd: (string | undefined)[] }>;

const long = (n: number) => JSON.stringify("x".repeat(n));
const pools: Pools = {
  user: {
    ordinary: ['"u1"', '"u2"', '"ü3"'],
    odd: [
      undefined,
      "null",
      '""',
      '" padded "',
      '"\\t"',
      '"\\u00a0nbsp"',
      '"\\u2028x\\u3000"',
      '"\\u200bx"',
      '"x\\u0085"',
      '"\\ud800"',
      '"\\ud83d\\ude00"',
      '"\\u0000x"',
      '"\\u0075"',
      "7",
      "-0",
      "1e3",
      "1.5",
      "9007199254740993",
      "true",
      "[]",
      "{}",
      long(201),
    ],
  },
  item: {
    ordinary: ['"i1"', '"i2"', '"Radiolab|Loops "', '"é|Ünïcode"'],
    odd: [undefined, "null", '""', '"  "', "12", long(1001), '"a\\"b"'],
  },
  endTime: {
    ordinary: ['"2021-03-11T17:34:00.000Z"', '"2021-03-11 17:34"', "1615483440", "1615483440123"],
    odd: [
      undefined,
      "null",
      '""',
      '" 2021-03-11 17:34"',
      '"2021-03-11T18:34+01:00"',
      '"2021-02-30 10:00"',
      '"0000-01-01 00:00"',
      '"1615483440"',
      "1615483440.5",
      "-1",
      "99999999999",
      "1e400",
      "NaN",
      '"soon"',
      "-0",
    ],
  },
  playedMs: {
    ordinary: ["1000", "0", '"60000"'],
    odd: [
      undefined,
      "null",
      '""',
      "-1",
      "604800001",
      "1e3",
      "1000.0",
      '" 5"',
      '"5.0"',
      '"+5"',
      "-0",
      "Infinity",
      "1.0000000000000001",
    ],
  },
  itemLengthMs: {
    ordinary: [undefined, "200000"],
    odd: ["null", '""', "0", "-5", '"007"', '"0"', "1.5", "9007199254740993", "9007199254740991", "true"],
  },
  weight: {
    ordinary: [undefined, "1", "3"],
    odd: ["null", '""', "2.5", "-0", "0", "0.1", "1e21", '"2"', "-7", "9007199254740993", "nan", "-Infinity"],
  },
  endReason: {
    ordinary: [undefined, '"completed"', '"skipped"'],
    odd: ['""', '" completed"', '"bogus"', "1", "null"],
  },
  requestText: { ordinary: [undefined, '"play something"'], odd: ['""', '" spaced "', long(2001), "5"] },
  requestId: { ordinary: [undefined, '"r1"'], odd: ['""', '" r2 "', "42", long(201)] },
  context: {
    ordinary: [undefined],
    odd: ['{"deviceType":"phone","hasScreen":true}', "{}", "[1]", '"{}"', "null", '{"bogus":1}'],
  },
  deviceType: { ordinary: [undefined], odd: ['""', '"speaker"', "3", "null"] },
};

/** Whole lines by hand: what JSON.parse refuses and DuckDB may accept, and lines of every other odd shape. */
const ODD_LINES = [
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000,}',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":NaN}',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000,"weight":Infinity}',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000,"weight":[1,]}',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000,"user":"u2"}',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000,"\\u0075ser":"u9"}',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000} trailing',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000 /* c */}',
  "{'user':'u1'}",
  "[1,2]",
  "null",
  '"text"',
  "   ",
  "\u00a0",
  "",
  '  {"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000}  ',
  '\u00a0{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000}',
  '{"user":"u1","item":"i\u0002","endTime":1615483440,"playedMs":1000}',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000,"extra":{"nested":[1,{"a":null}]}}',
  '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000,"eventId":null}',
  '{"user":"banana","item":"infinite","endTime":1615483440,"playedMs":1000}',
];

function lines(count: number, seed: number): string[] {
  const rng = new Random(seed);
  const next = () => rng.next();
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const odd = next() < 0.35;
    const parts: string[] = [];
    for (const [key, pool] of Object.entries(pools)) {
      const v = odd && next() < 0.3 ? pick(pool.odd) : pick(pool.ordinary);
      if (v !== undefined) parts.push(`"${key}":${v}`);
    }
    out.push(`{${parts.join(next() < 0.5 ? "," : ", ")}}`);
  }
  return out;
}

/** Both paths over one file: the same stored plays, rejects and counts; whether the bulk path took it. */
function expectSameOnBothPaths(file: string, name: string, options: Partial<IngestRunOptions> = {}) {
  return expectSameOnBoth(file, dir, name, options, { plays: STORED_PLAYS_SQL });
}

describe("the JSON lines bulk path agrees with the JavaScript reader", () => {
  it("seeded and hand-picked lines: same plays, keys, fields, rejects and counts", async () => {
    const file = join(dir, "odd.jsonl");
    const all = [...lines(2500, 21), ...ODD_LINES, ...lines(500, 22), ...ODD_LINES.slice(0, 5)];
    // A byte order mark before the first line, which the row-by-row reader drops.
    writeFileSync(file, `\ufeff${all.join("\n")}\n`);
    const { js, bulkTook } = await expectSameOnBothPaths(file, "odd");
    expect(bulkTook).toEqual([true, true]);
    expect(js.first.rejected).toBeGreaterThan(100);
    expect(js.first.accepted).toBeGreaterThan(1000);
  });

  it("a gzip file, renamed keys, a fallback user and end time: the same result", async () => {
    const file = join(dir, "mapped.ndjson.gz");
    const rename = (l: string) => l.replace('"user":', '"listener":').replace('"endTime":', '"at":');
    // CRLF line ends (an empty CRLF line would send the file row by row: DuckDB numbers lines otherwise).
    const all = [...lines(800, 23), ...ODD_LINES.filter((l) => l !== "")];
    writeFileSync(file, gzipSync(`${all.map(rename).join("\r\n")}\r\n`));
    const options = {
      map: { user: "listener", endTime: "at" },
      user: "fallback",
      defaultEndTime: "2020-01-01T00:00:00Z",
    };
    const { js, bulkTook } = await expectSameOnBothPaths(file, "mapped", options);
    expect(bulkTook).toEqual([true, true]);
    expect(js.plays.some((p) => p[2] === "fallback")).toBe(true);
  });

  it("files left to the row-by-row reader (event ids, bytes not UTF-8, a lone carriage return, \\x01): same result", async () => {
    const ok = '{"user":"u1","item":"i1","endTime":1615483440,"playedMs":1000}';
    const ids = join(dir, "ids.jsonl");
    writeFileSync(ids, `${ok}\n${ok.replace("{", '{"eventId":"e1",')}\n${ok}\n`);
    const bytes = join(dir, "bytes.jsonl");
    writeFileSync(
      bytes,
      Buffer.concat([Buffer.from(`${ok}\n{"user":"`), Buffer.from([0xff]), Buffer.from(`"}\n${ok}\n`)]),
    );
    const cr = join(dir, "cr.jsonl");
    writeFileSync(cr, `${ok}\n${ok}\r${ok}\n`);
    // The byte DuckDB's line reading takes for its delimiter.
    const x01 = join(dir, "x01.jsonl");
    writeFileSync(x01, `${ok}\n${ok.replace("i1", "i\u0001")}\n${ok}\n`);
    for (const [file, name] of [
      [ids, "ids"],
      [bytes, "bytes"],
      [cr, "cr"],
      [x01, "x01"],
    ]) {
      const { js, bulkTook } = await expectSameOnBothPaths(file, name);
      expect(bulkTook).toEqual([false, false]);
      expect(js.first.accepted).toBeGreaterThan(0);
    }
  });
});
