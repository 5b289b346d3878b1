import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlayEvent } from "../schema/events.js";
import {
  type IngestOptions,
  type IngestRecord,
  listSourceFiles,
  readSource,
  readSourceBatches,
} from "./index.js";

type Reject = Extract<IngestRecord, { kind: "reject" }>;
type Play = Extract<IngestRecord, { kind: "play" }>;

async function collect(paths: string[], options: IngestOptions = {}) {
  const plays: Play[] = [];
  const rejects: Reject[] = [];
  const items: Extract<IngestRecord, { kind: "item" }>[] = [];
  for await (const r of readSource(paths, options)) {
    if (r.kind === "play") plays.push(r);
    else if (r.kind === "reject") rejects.push(r);
    else items.push(r);
  }
  return { plays, rejects, items };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-ingest-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const MALFORMED = [
  "user,item,endTime,playedMs,itemLengthMs,weight,extra", // 1
  "u1,a|b,2021-03-11T17:34:12Z,1000,200000,,x", // 2 valid; the unknown column is dropped
  "u1,c,2021-03-11 17:35,abc,,,", // 3 bad number
  "u2,,2021-03-11 17:36,5,,,", // 4 empty item
  "u2,d,2021-13-45 10:00,5,,,", // 5 bad date
  "u3,e,1615484052", // 6 missing column values
  "", // 7 empty line, skipped
  'u3,"f, with comma",1615484052000,0,,1.5,', // 8 valid, unix ms, 0 ms played
  '"u4","multi', // 9 valid, a quoted field over two lines
  'line",2021-03-11T18:00:00+01:00,10,,,', // 10
  "u4,g,2021-03-11,10,0,,", // 11 itemLengthMs must be positive
  "u4,h,2021-03-11,10,,abc,", // 12 bad weight
  "u5,i,1615484052,604800001,,,", // 13 more than 7 days
].join("\n");

function checkMalformed(plays: Play[], rejects: Reject[], file: string, eol = "\n") {
  expect(plays.map((p) => p.line)).toEqual([2, 8, 9]);
  expect(plays[0].event).toEqual({
    user: "u1",
    item: "a|b",
    endTime: "2021-03-11T17:34:12.000Z",
    playedMs: 1000,
    itemLengthMs: 200000,
  } satisfies PlayEvent);
  expect(plays[1].event).toEqual({
    user: "u3",
    item: "f, with comma",
    endTime: "2021-03-11T17:34:12.000Z",
    playedMs: 0,
    weight: 1.5,
  });
  expect(plays[2].event).toMatchObject({
    user: "u4",
    item: `multi${eol}line`,
    endTime: "2021-03-11T17:00:00.000Z",
  });
  expect(rejects.map((r) => [r.line, r.field])).toEqual([
    [3, "playedMs"],
    [4, "item"],
    [5, "endTime"],
    [6, "playedMs"],
    [11, "itemLengthMs"],
    [12, "weight"],
    [13, "playedMs"],
  ]);
  for (const r of rejects) expect(r.file).toBe(file);
  expect(rejects[0].reason).toBe('expected a non-negative integer, got "abc"');
  expect(rejects[0].raw).toBe("u1,c,2021-03-11 17:35,abc,,,");
  expect(rejects[1].reason).toMatch(/missing value/);
  expect(rejects[2].reason).toMatch(/expected an ISO 8601 time.*got "2021-13-45 10:00"/);
  expect(rejects[3].reason).toBe("missing value (the row has 3 of the header's 7 columns)");
  expect(rejects[3].raw).toBe("u3,e,1615484052");
  expect(rejects[4].reason).toBe('expected a positive integer, got "0"');
  expect(rejects[5].reason).toBe('expected a finite number, got "abc"');
  expect(rejects[6].reason).toMatch(/at most 604800000 ms/);
}

describe("generic CSV", () => {
  it("yields exactly the valid rows and one reject per bad row, with line and field", async () => {
    const file = write("malformed.csv", MALFORMED);
    const { plays, rejects } = await collect([file]);
    checkMalformed(plays, rejects, file);
  });

  it("counts lines the same with CRLF line ends", async () => {
    const file = write("crlf.csv", MALFORMED.replace(/\n/g, "\r\n"));
    const { plays, rejects } = await collect([file]);
    checkMalformed(plays, rejects, file, "\r\n");
  });

  it("reads gzip by extension and by magic bytes", async () => {
    const gz = write("malformed.csv.gz", gzipSync(MALFORMED));
    const a = await collect([gz]);
    checkMalformed(a.plays, a.rejects, gz);
    const disguised = write("disguised.csv", gzipSync(MALFORMED));
    const b = await collect([disguised]);
    checkMalformed(b.plays, b.rejects, disguised);
  });

  it("maps columns, matches snake_case headers and takes user/defaultEndTime from the options", async () => {
    const a = write("mapped.csv", "uid,track,ms,end_time\nx,t1,5,2021-01-01 00:00:00\n");
    const { plays } = await collect([a], { map: { user: "uid", item: "track", playedMs: "ms" } });
    expect(plays.map((p) => p.event)).toEqual([
      { user: "x", item: "t1", endTime: "2021-01-01T00:00:00.000Z", playedMs: 5 },
    ]);
    const b = write("nouser.tsv", "item\tplayedMs\nt1\t7\n");
    const r = await collect([b], { user: "me", defaultEndTime: "2020-01-01" });
    expect(r.plays.map((p) => p.event)).toEqual([
      { user: "me", item: "t1", endTime: "2020-01-01T00:00:00.000Z", playedMs: 7 },
    ]);
  });

  it("reads context JSON, deviceType and endReason columns", async () => {
    const file = write(
      "ctx.csv",
      'user,item,endTime,playedMs,context,deviceType,endReason,eventId\nu,i,0,1,"{""extra"":{""a"":1}}",tv,skipped,e1\n' +
        "u,i,0,1,not json,,,\nu,i,0,1,,,nope,\n",
    );
    const { plays, rejects } = await collect([file]);
    expect(plays[0].event).toEqual({
      user: "u",
      item: "i",
      endTime: "1970-01-01T00:00:00.000Z",
      playedMs: 1,
      context: { extra: { a: 1 }, deviceType: "tv" },
      endReason: "skipped",
      eventId: "e1",
    });
    expect(rejects.map((r) => [r.line, r.field])).toEqual([
      [3, "context"],
      [4, "endReason"],
    ]);
  });

  it("throws a one-line error naming the file for whole-file problems", async () => {
    const noCol = write("nocol.csv", "user,item,endTime\nu,i,0\n");
    await expect(collect([noCol])).rejects.toThrow(`${noCol}: missing required column "playedMs"`);
    await expect(collect([noCol], { map: { playedMs: "ms" } })).rejects.toThrow(
      /column "ms" \(mapped to playedMs\) is not in the CSV header/,
    );
    const missing = join(dir, "nope.csv");
    await expect(collect([missing])).rejects.toThrow(`${missing}: no such file or directory`);
    await expect(collect([noCol], { map: { colour: "x" } })).rejects.toThrow(/unknown field "colour"/);
    const badGzip = write("bad.csv.gz", Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await expect(collect([badGzip])).rejects.toThrow(`${badGzip}: not a valid gzip file`);
    const err = await collect([noCol]).catch((e: Error) => e);
    expect((err as Error).message).not.toContain("\n");
  });
});

describe("generic JSONL and JSON", () => {
  it("reads JSONL with per-line rejects and strips unknown fields", async () => {
    const file = write(
      "events.jsonl",
      [
        JSON.stringify({
          user: "u",
          item: "i",
          endTime: "2021-03-11T17:34:12+02:00",
          playedMs: 5,
          mood: "x",
        }),
        "",
        "{not json",
        JSON.stringify({
          user: 7,
          item: "i",
          endTime: 1615484052,
          playedMs: 5,
          context: { deviceType: "car" },
        }),
        JSON.stringify({ user: "u", item: "i", endTime: "2021-03-11", playedMs: 5, endReason: "bored" }),
        "[1]",
        JSON.stringify({
          user: "u",
          item: "i",
          endTime: "2021-03-11",
          playedMs: 5,
          context: { colour: "red" },
        }),
      ].join("\n"),
    );
    const { plays, rejects } = await collect([file]);
    expect(plays.map((p) => [p.line, p.event])).toEqual([
      [1, { user: "u", item: "i", endTime: "2021-03-11T15:34:12.000Z", playedMs: 5 }],
      [
        4,
        {
          user: "7",
          item: "i",
          endTime: "2021-03-11T17:34:12.000Z",
          playedMs: 5,
          context: { deviceType: "car" },
        },
      ],
    ]);
    expect(rejects.map((r) => [r.line, r.field])).toEqual([
      [3, "row"],
      [5, "endReason"],
      [6, "row"],
      [7, "context"],
    ]);
    expect(rejects[0].raw).toBe("{not json");
    expect(rejects[1].reason).toMatch(/expected one of completed, skipped.*got "bored"/);
  });

  it("reads a JSON array; line is the element's index + 1 and the reason says so", async () => {
    const file = write(
      "events.json",
      JSON.stringify([
        { user: "u", item: "i", endTime: "2021-03-11 17:34", playedMs: 5 },
        { user: "u", item: "i", endTime: "2021-03-11 17:34", playedMs: -1 },
      ]),
    );
    const { plays, rejects } = await collect([file]);
    expect(plays).toHaveLength(1);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ line: 2, field: "playedMs" });
    expect(rejects[0].reason).toContain("JSON array element 2");
    expect(JSON.parse(rejects[0].raw)).toMatchObject({ playedMs: -1 });
    const broken = write("broken.json", '[{"user": "u",');
    await expect(collect([broken])).rejects.toThrow(`${broken}: not a valid JSON document`);
  });

  it("truncates the raw text of a reject to 2,000 characters", async () => {
    const file = write(
      "long.jsonl",
      JSON.stringify({ user: "u", item: "x".repeat(5000), endTime: "bad", playedMs: 1 }),
    );
    const { rejects } = await collect([file]);
    expect(rejects[0].field).toBe("endTime");
    expect(rejects[0].raw).toHaveLength(2000);
  });

  it("rejects lines that are not UTF-8 or hold a lone surrogate, line by line, and keeps a real U+FFFD", async () => {
    const ok = (user: string) =>
      `{"user":"${user}","item":"i","endTime":"2024-01-01T00:00:00Z","playedMs":5}`;
    const bytes = (s: string) => Buffer.from(s, "utf8");
    // Line 2 has the bytes FF FE, line 3 a "\ud800" escape; line 4 spells U+FFFD as valid UTF-8 (EF BF BD).
    const jsonl = write(
      "utf8.jsonl",
      Buffer.concat([
        bytes(`${ok("a")}\n`),
        bytes('{"user":"b'),
        Buffer.from([0xff, 0xfe]),
        bytes(`","item":"i","endTime":"2024-01-01T00:00:00Z","playedMs":5}\n`),
        bytes(`${ok("c\\ud800")}\n${ok("d\ufffd")}\n`),
      ]),
    );
    const csv = write(
      "utf8.csv",
      Buffer.concat([
        bytes("user,item,endTime,playedMs\nx,i,2024-01-01,5\ny,"),
        Buffer.from([0xc3]),
        bytes(",2024-01-01,5\nz,i,2024-01-01,5\n"),
      ]),
    );
    const { plays, rejects } = await collect([jsonl, csv]);
    expect(plays.map((p) => [p.file === csv, p.line, p.event.user])).toEqual([
      [true, 2, "x"],
      [true, 4, "z"],
      [false, 1, "a"],
      [false, 4, "d\ufffd"],
    ]);
    expect(rejects.map((r) => [r.file === csv, r.line, r.field])).toEqual([
      [true, 3, "row"],
      [false, 2, "row"],
      [false, 3, "user"],
    ]);
    expect(rejects[0].reason).toMatch(/not valid UTF-8/);
  });
});

describe("generic Parquet", () => {
  it("reads a Parquet file written by DuckDB, with a mapped column", async () => {
    const file = join(dir, "events.parquet");
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    await conn.run(
      `COPY (SELECT * FROM (VALUES
         ('u1', 'a|b', TIMESTAMP '2021-03-11 17:34:12', 1000::BIGINT, 'completed'),
         ('u2', 'c', TIMESTAMP '2021-03-11 17:35:00', -5::BIGINT, NULL),
         ('u3', 'd', TIMESTAMP '2021-03-11 17:36:00', 0::BIGINT, NULL)
       ) t(uid, item, endTime, playedMs, endReason)) TO '${file}' (FORMAT parquet)`,
    );
    conn.closeSync();
    instance.closeSync();
    const { plays, rejects } = await collect([file], { map: { user: "uid" } });
    expect(plays.map((p) => [p.line, p.event])).toEqual([
      [
        1,
        {
          user: "u1",
          item: "a|b",
          endTime: "2021-03-11T17:34:12.000Z",
          playedMs: 1000,
          endReason: "completed",
        },
      ],
      [3, { user: "u3", item: "d", endTime: "2021-03-11T17:36:00.000Z", playedMs: 0 }],
    ]);
    expect(rejects.map((r) => [r.line, r.field])).toEqual([[2, "playedMs"]]);
    expect(JSON.parse(rejects[0].raw)).toMatchObject({ uid: "u2", playedMs: -5 });
    await expect(collect([file])).rejects.toThrow(/missing required column "user" in the Parquet columns/);
  });
});

describe("listSourceFiles", () => {
  it("expands folders to the preset's files, sorted with numbers compared as numbers", async () => {
    const folder = join(dir, "list");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(folder, "sub"), { recursive: true });
    for (const name of [
      "StreamingHistory10.json",
      "StreamingHistory2.json",
      "Streaming_History_Video_2021.json",
      "Streaming_History_Audio_2021_3.json",
      "notes.txt",
      "plays.csv.gz",
      "sub/endsong_0.json",
    ]) {
      writeFileSync(join(folder, name), "[]");
    }
    const spotify = await listSourceFiles([folder], { preset: "spotify" });
    expect(spotify.map((p) => p.slice(folder.length + 1))).toEqual([
      "StreamingHistory2.json",
      "StreamingHistory10.json",
      "Streaming_History_Audio_2021_3.json",
      "plays.csv.gz",
      "sub/endsong_0.json",
    ]);
    const generic = await listSourceFiles([folder, join(folder, "notes.txt")]);
    expect(generic.map((p) => p.slice(folder.length + 1))).toEqual([
      "StreamingHistory2.json",
      "StreamingHistory10.json",
      "Streaming_History_Audio_2021_3.json",
      "Streaming_History_Video_2021.json",
      "notes.txt",
      "plays.csv.gz",
    ]);
  });
});

describe("readSourceBatches", () => {
  it("yields the same records as readSource, in non-empty batches", async () => {
    const file = write("batches.csv", MALFORMED);
    const flat: IngestRecord[] = [];
    for await (const r of readSource([file])) flat.push(r);
    const batched: IngestRecord[] = [];
    for await (const b of readSourceBatches([file])) {
      expect(b.length).toBeGreaterThan(0);
      batched.push(...b);
    }
    expect(batched).toEqual(flat);
  });

  it("throws for a folder without source files", async () => {
    const { mkdirSync } = await import("node:fs");
    const empty = join(dir, "empty");
    mkdirSync(empty);
    await expect(collect([empty], { preset: "lastfm" })).rejects.toThrow(`${empty}: no source files found`);
  });
});
