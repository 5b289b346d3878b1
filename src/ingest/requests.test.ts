import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ingestRequestsIntoStore } from "../pipeline/ingest.js";
import { DuckDbEventStore } from "../store/duckdb/duckdb-store.js";
import { type RequestRecord, readRequestSource } from "./requests.js";

const good = (id: string, extra: object = {}) =>
  JSON.stringify({ requestId: id, user: "u1", time: "2024-03-01T08:00:00Z", text: "play hello", ...extra });

async function collect(paths: string[]): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  for await (const batch of readRequestSource(paths)) out.push(...batch);
  return out;
}

describe("readRequestSource", () => {
  it("reads JSON lines and arrays, rejecting bad rows by line and field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-req-"));
    writeFileSync(
      join(dir, "a.jsonl"),
      [
        good("r1", { asrConfidence: 0.8, bargeIn: true }),
        "{not json",
        good("r2", { asrConfidence: 1.5 }),
        "",
        good("r3", { responseKind: "shrug" }),
        good("r4", { context: { deviceType: "tv", hasScreen: true, deviceState: "playing" } }),
      ].join("\n"),
    );
    writeFileSync(join(dir, "b.json"), `[${good("r5")}, 7]`);
    const records = await collect([dir]);
    const ok = records.filter((r) => r.kind === "request");
    const bad = records.filter((r) => r.kind === "reject");
    expect(ok.map((r) => r.kind === "request" && r.event.requestId)).toEqual(["r1", "r4", "r5"]);
    expect(ok[0].kind === "request" && ok[0].event.responseKind).toBe("play");
    expect(bad.map((r) => r.kind === "reject" && [r.line, r.field])).toEqual([
      [2, "row"],
      [3, "asrConfidence"],
      [5, "responseKind"],
      [2, "row"],
    ]);
  });

  it("says which file has no request events", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-req-"));
    writeFileSync(join(dir, "x.csv"), "a,b\n");
    await expect(collect([join(dir, "x.csv")])).rejects.toThrow(/x\.csv.*jsonl or \.json/);
  });
});

describe("ingestRequestsIntoStore", () => {
  it("stores valid rows, writes rejects, and adds nothing on a re-ingest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tb-req-"));
    const file = join(dir, "r.jsonl");
    writeFileSync(file, [good("r1"), good("r2", { playedMs: -3 }), good("r3")].join("\n"));
    const store = await DuckDbEventStore.open(":memory:");
    try {
      const rejectsPath = join(dir, "rejects.jsonl");
      const first = await ingestRequestsIntoStore(store, [file], { rejectsPath, batchSize: 1 });
      expect(first).toMatchObject({ accepted: 2, rejected: 1, duplicates: 0, rejectsFile: rejectsPath });
      const [header, reject] = readFileSync(rejectsPath, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(header).toMatchObject({ sources: [file] });
      expect(reject).toMatchObject({ line: 2, field: "playedMs" });
      const again = await ingestRequestsIntoStore(store, [file], { rejectsPath: join(dir, "r2.jsonl") });
      expect(again).toMatchObject({ accepted: 0, duplicates: 2 });
      expect(await store.countRequests()).toBe(2);
    } finally {
      await store.close();
    }
  });
});
