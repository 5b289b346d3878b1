import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { DuckDbEventStore, tastebud } from "./processes.js";

/**
 * A hostile corpus through `tastebud ingest`: every bad row is named in the rejects file with its line and
 * field, every valid row is stored exactly as written (ids at their length limits, emoji, a NUL, a quoted
 * line break), and nothing else is.
 */
const dir = mkdtempSync(join(tmpdir(), "tastebud-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A row of the corpus: its bytes, and either the play it must be stored as or the field it is rejected on. */
type Row = { bytes: Buffer; keep?: { user: string; item: string; playedMs: number }; reject?: string };

const T = "2024-03-01T10:00:00Z";
const text = (s: string) => Buffer.from(s, "utf8");
const play = (user: string, item: string, playedMs: number): Row => ({
  bytes: text(JSON.stringify({ user, item, endTime: T, playedMs })),
  keep: { user, item, playedMs },
});
const bad = (field: string, bytes: Buffer | string): Row => ({
  bytes: typeof bytes === "string" ? text(bytes) : bytes,
  reject: field,
});
const json = (value: unknown) => JSON.stringify(value);
/** "u" and two bytes that start no UTF-8 character. */
const notUtf8 = Buffer.from([0x75, 0xff, 0xfe]);

const jsonlRows: Row[] = [
  play("plain", "a", 1000),
  bad("row", '{"user":"u1","item":"b","endTime":"2024-03-01T10:00:00Z","playedMs":'),
  bad("playedMs", json({ user: "u1", item: "c", endTime: T, playedMs: "abc" })),
  bad("playedMs", json({ user: "u1", item: "c", endTime: T, playedMs: -1 })),
  bad("playedMs", json({ user: "u1", item: "c", endTime: T, playedMs: 1.5 })),
  bad("playedMs", json({ user: "u1", item: "c", endTime: T })),
  bad("endTime", json({ user: "u1", item: "c", endTime: "2024-13-45T10:00:00Z", playedMs: 5 })),
  play("u".repeat(200), "at the user limit", 5),
  bad("user", json({ user: "u".repeat(201), item: "c", endTime: T, playedMs: 5 })),
  play("item limit", "i".repeat(1000), 5),
  bad("item", json({ user: "u2", item: "i".repeat(1001), endTime: T, playedMs: 5 })),
  bad("item", json({ user: "u2", item: "h".repeat(2_000_000), endTime: T, playedMs: 5 })),
  bad(
    "row",
    Buffer.concat([text('{"user":"'), notUtf8, text(`","item":"d","endTime":"${T}","playedMs":5}`)]),
  ),
  bad("item", `{"user":"u3","item":"\\ud800","endTime":"${T}","playedMs":5}`),
  bad("user", json({ user: ["a"], item: "d", endTime: T, playedMs: 5 })),
  bad("user", json({ user: { $gt: "" }, item: "d", endTime: T, playedMs: 5 })),
  bad("user", "{}"),
  bad("row", "[1,2,3]"),
  bad("row", "null"),
  bad("row", '"a string"'),
  bad("row", "42"),
  bad("row", "[".repeat(100_000)),
  bad("row", `${"[".repeat(20_000)}${"]".repeat(20_000)}`),
  play("emoji 🎧", "Beyoncé|Café del Mar ̧", 7),
  play("nul\u0000inside", "e", 8),
  play("../../etc/passwd", "<script>alert(1)</script>", 9),
  play("plain", "a", 1000), // a second identical play: a genuine repeat, kept
];

const csvRows: Row[] = [
  { bytes: text("user,item,endTime,playedMs") },
  { bytes: text(`csv plain,x,${T},100`), keep: { user: "csv plain", item: "x", playedMs: 100 } },
  bad("endTime", "only,two"),
  bad("playedMs", `u,x,${T},abc`),
  bad("row", Buffer.concat([text("u,"), notUtf8, text(`,${T},5`)])),
  bad("item", `u,${"h".repeat(2_000_000)},${T},5`),
  bad("user", `${"u".repeat(201)},x,${T},5`),
  {
    bytes: text(`quoted,"line\nbreak, and comma",${T},101`),
    keep: { user: "quoted", item: "line\nbreak, and comma", playedMs: 101 },
  },
  { bytes: text(`crlf,y,${T},102\r`), keep: { user: "crlf", item: "y", playedMs: 102 } },
  // An opening quote never closed swallows the rest of the file: it comes last, and is one reject.
  bad("row", `u,"never closed,${T},5`),
];

function write(name: string, rows: Row[], bom = false): string {
  const path = join(dir, name);
  const body = Buffer.concat(rows.flatMap((r) => [r.bytes, text("\n")]));
  writeFileSync(path, bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body);
  return path;
}

/** The 1-based line each row starts on (a row's bytes may hold line breaks). */
function lines(rows: Row[]): number[] {
  let line = 1;
  return rows.map((r) => {
    const at = line;
    line += 1 + r.bytes.toString("latin1").split("\n").length - 1;
    return at;
  });
}

it("names every bad row in the rejects file and stores every valid row exactly", async () => {
  const jsonl = write("hostile.jsonl", jsonlRows, true);
  const csv = write("hostile.csv", csvRows);
  const store = join(dir, "h.duckdb");
  const rejectsPath = join(dir, "rejects.jsonl");
  const run = await tastebud(["ingest", jsonl, csv, "--store", store, "--rejects", rejectsPath]);
  // Exit code 3: some rows rejected, the rest stored.
  expect(run.code, run.stderr).toBe(3);

  const expected = (file: string, rows: Row[]) =>
    lines(rows).flatMap((line, k) => (rows[k].reject ? [{ file, line, field: rows[k].reject }] : []));
  const [header, ...rejects] = readFileSync(rejectsPath, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(header.sources).toEqual([jsonl, csv]);
  // Files are read in name order: the CSV first.
  expect(rejects.map(({ file, line, field }) => ({ file, line, field }))).toEqual([
    ...expected(csv, csvRows),
    ...expected(jsonl, jsonlRows),
  ]);
  for (const r of rejects) {
    expect(r.reason.length).toBeGreaterThan(0);
    // The raw row is kept for the reader, cut short: a 2 MB field must not make a 2 MB rejects line.
    expect(r.raw.length).toBeLessThanOrEqual(2_001);
  }
  expect(run.stdout).toContain(`${rejects.length} rejected`);

  const kept = [...jsonlRows, ...csvRows].flatMap((r) => (r.keep ? [r.keep] : []));
  const s = await DuckDbEventStore.open(store);
  try {
    const c = await s.scanPlays();
    const stored = Array.from(c.userIndex, (u, k) => ({
      user: c.users[u],
      item: c.items[c.itemIndex[k]],
      playedMs: c.playedMs[k],
    }));
    const order = (a: { user: string; item: string; playedMs: number }[]) =>
      a.map((p) => JSON.stringify(p)).sort();
    expect(order(stored)).toEqual(order(kept));
  } finally {
    await s.close();
  }
});
