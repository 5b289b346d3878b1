import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryBusLog } from "../bus/memory-bus.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { OccurrenceCounter } from "../store/event-key.js";

describe("ingest on an engine with a bus", () => {
  it("publishes each play it stored once, with its key, in messages of at most 1,000; a re-ingest publishes nothing", async () => {
    const world = simulateWorld({ users: 30, items: 200, days: 10, seed: 3 });
    const dir = mkdtempSync(join(tmpdir(), "tastebud-ingest-bus-"));
    const events = world.events.slice(0, 2_500);
    const file = join(dir, "plays.jsonl");
    // The first 100 again at the end: stored once, so published once.
    writeFileSync(file, `${[...events, ...events.slice(0, 100)].map((e) => JSON.stringify(e)).join("\n")}\n`);
    const log = new MemoryBusLog();
    const engine = await Engine.open({ store: join(dir, "store.duckdb"), bus: log.member() });
    try {
      const options = { rejectsPath: join(dir, "rejects.jsonl"), batchSize: 1_200 };
      const first = await engine.events.ingest([file], options);
      expect(first.accepted).toBe(events.length);
      const messages = log.entries().map((e) => e.message);
      expect(messages.every((m) => m.kind === "plays")).toBe(true);
      const published = messages.flatMap((m) => (m.kind === "plays" ? m.plays : []));
      expect(Math.max(...messages.map((m) => (m.kind === "plays" ? m.plays.length : 0)))).toBeLessThanOrEqual(
        1_000,
      );
      // The keys the store deduplicates by (occurrence-counted per file, as ingest keys them).
      const counter = new OccurrenceCounter();
      const keys = [...events, ...events.slice(0, 100)].map((e) => counter.keyFor(e).toString());
      expect(published.map((p) => p.key).sort()).toEqual(keys.slice(0, events.length).sort());
      expect(new Set(published.map((p) => p.key)).size).toBe(events.length);
      expect(published.find((p) => p.key === keys[7])?.event).toEqual(events[7]);

      const again = await engine.events.ingest([file], options);
      expect(again.accepted).toBe(0);
      expect(log.entries().length).toBe(messages.length);
    } finally {
      await engine.close();
    }
  });

  it("publishes the request events it stored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-ingest-bus-"));
    const file = join(dir, "requests.jsonl");
    const requests = Array.from({ length: 5 }, (_, k) => ({
      requestId: `r${k}`,
      user: `u${k % 2}`,
      time: `2026-01-0${k + 1}T10:00:00Z`,
      text: `play song ${k}`,
    }));
    writeFileSync(file, `${requests.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const log = new MemoryBusLog();
    const engine = await Engine.open({ store: join(dir, "store.duckdb"), bus: log.member() });
    try {
      await engine.events.ingestRequests([file], { rejectsPath: join(dir, "rejects.jsonl") });
      await engine.events.ingestRequests([file], { rejectsPath: join(dir, "rejects.jsonl") });
      const published = log.entries().flatMap((e) => (e.message.kind === "requests" ? e.message.events : []));
      expect(published.map((r) => r.requestId)).toEqual(requests.map((r) => r.requestId));
    } finally {
      await engine.close();
    }
  });
});
