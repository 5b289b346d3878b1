import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { simulateWorld } from "../core/simulate/index.js";
import { DuckDbEventStore } from "../store/duckdb/duckdb-store.js";
import { type IngestProgress, ingestIntoStore } from "./ingest.js";

describe("ingestIntoStore", () => {
  it("reports progress in bytes against the files' total size, known from the start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-progress-"));
    const world = simulateWorld({ users: 60, items: 300, days: 20, seed: 2 });
    const lines = world.events.map((e) => JSON.stringify(e));
    const half = lines.length >> 1;
    const plain = join(dir, "a.jsonl");
    const packed = join(dir, "b.jsonl.gz");
    writeFileSync(plain, `${lines.slice(0, half).join("\n")}\n`);
    writeFileSync(packed, gzipSync(`${lines.slice(half).join("\n")}\n`));
    const total = statSync(plain).size + statSync(packed).size;
    const reports: IngestProgress[] = [];
    const s = await DuckDbEventStore.open(":memory:");
    try {
      await ingestIntoStore(s, [dir], {
        rejectsPath: join(dir, "r.jsonl"),
        batchSize: 500,
        onProgress: (p) => reports.push(p),
      });
    } finally {
      await s.close();
    }
    expect(reports.length).toBeGreaterThan(1);
    expect(new Set(reports.map((r) => r.bytesTotal))).toEqual(new Set([total]));
    // The first report comes within the first file: less than its size, well short of the total.
    expect(reports[0].bytesRead).toBeGreaterThan(0);
    expect(reports[0].bytesRead).toBeLessThanOrEqual(statSync(plain).size);
    for (let k = 1; k < reports.length; k++)
      expect(reports[k].bytesRead).toBeGreaterThanOrEqual(reports[k - 1].bytesRead);
    expect(reports.at(-1)?.bytesRead).toBe(total);
    expect(reports.at(-1)?.rowsRead).toBe(lines.length);
  });

  it("keeps the catalogue facts a source carries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-items-"));
    const file = join(dir, "StreamingHistory0.json");
    writeFileSync(
      file,
      JSON.stringify([
        { endTime: "2024-02-01 10:00", artistName: "Adele", trackName: "Hello", msPlayed: 200_000 },
        { endTime: "2024-02-01 10:05", artistName: "AC|DC", trackName: "T.N.T.", msPlayed: 3_000 },
      ]),
    );
    const s = await DuckDbEventStore.open(":memory:");
    try {
      const summary = await ingestIntoStore(s, [file], {
        preset: "spotify",
        user: "me",
        rejectsPath: join(dir, "r.jsonl"),
      });
      expect(summary).toMatchObject({ accepted: 2, rejected: 0, duplicates: 0, rejectsFile: null });
      const items = await s.getItems();
      expect(items.map((i) => i.id).sort()).toEqual(["AC\\|DC|T.N.T.", "Adele|Hello"]);
      expect(items.find((i) => i.id === "Adele|Hello")).toMatchObject({
        title: "Hello",
        creators: ["Adele"],
      });
    } finally {
      await s.close();
    }
  });
});
