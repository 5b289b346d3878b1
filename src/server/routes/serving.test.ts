import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryBusLog } from "../../bus/memory-bus.js";
import { toTrainConfig, trainSettingsSchema } from "../../config.js";
import { simulateWorld } from "../../core/simulate/index.js";
import { Engine } from "../../engine.js";
import { catalogueItemSchema, type PlayEvent } from "../../schema/events.js";
import type { ServingReport } from "../../services/serving-report.js";
import { printableStore } from "../../services/serving-report.js";
import { OccurrenceCounter } from "../../store/event-key.js";
import { buildApp } from "../app.js";

const KEY = "serving-test-key";
const world = simulateWorld({ users: 40, items: 150, days: 10, seed: 5 });
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** An engine on the simulated world's plays in an in-memory store, not trained yet. */
async function untrainedEngine(bus?: MemoryBusLog): Promise<Engine> {
  const models = mkdtempSync(join(tmpdir(), "tastebud-serving-"));
  dirs.push(models);
  const engine = await Engine.open({ store: ":memory:", models, ...(bus ? { bus: bus.member() } : {}) });
  await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await engine.store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "simulated" })),
  );
  return engine;
}

const train = (engine: Engine) =>
  engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 3 })));

const newcomerPlay = (minute: number): PlayEvent => ({
  user: "newcomer",
  item: world.catalogue[minute].id,
  endTime: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
  playedMs: 200_000,
  itemLengthMs: 210_000,
});

describe("GET /v1/serving", () => {
  it("without a bus: the store, no bus, and each training here as a swap to the version the registry makes current", async () => {
    const engine = await untrainedEngine();
    const app = buildApp(engine, { apiKey: KEY, foldIn: true });
    try {
      await app.ready();
      const report = async () => {
        const res = await app.inject({ url: "/v1/serving" });
        expect(res.statusCode).toBe(200);
        return res.json() as ServingReport & { eventLoop: { maxSeconds: number; windowStartedAt: string } };
      };
      const before = await report();
      expect(before).toMatchObject({
        store: { kind: "duckdb", location: ":memory:" },
        bus: null,
        model: null,
        registryCurrent: null,
        swapInProgress: false,
        swaps: [],
        registry: [],
        registryVersions: 0,
        foldIn: { enabled: true, users: 0, maxUsers: engine.models.maxFoldedInUsers },
      });
      expect(before.eventLoop.maxSeconds).toBeGreaterThanOrEqual(0);
      expect(Date.parse(before.eventLoop.windowStartedAt)).toBeLessThanOrEqual(Date.now());

      const first = await train(engine);
      const once = await report();
      const v1 = (await engine.store.currentModel())?.version;
      expect(first.version).toBe(v1);
      expect(once.model?.version).toBe(v1);
      expect(once.registryCurrent).toBe(v1);
      expect(once.swaps).toHaveLength(1);
      const [swap] = once.swaps;
      expect(swap).toMatchObject({ version: v1, previous: null, cause: "trained-here" });
      // The durations are the differences of the times given beside them.
      expect(swap.totalMs).toBe(Date.parse(swap.servingAt) - Date.parse(swap.requestedAt));
      expect(swap.waitMs).toBe(Date.parse(swap.startedAt) - Date.parse(swap.requestedAt));
      expect(swap.readMs).toBeGreaterThan(0);
      expect(swap.readMs).toBeLessThanOrEqual(swap.totalMs + 1);
      expect(once.model?.loadedAt).toBe(swap.servingAt);
      expect(once.registry).toEqual([
        expect.objectContaining({ version: v1, isCurrent: true, serving: true }),
      ]);

      // A second training: two swaps, newest first, the second replacing the first.
      const second = await train(engine);
      const twice = await report();
      expect(twice.swaps.map((s) => [s.version, s.previous])).toEqual([
        [second.version, v1],
        [v1, null],
      ]);
      expect(twice.registryVersions).toBe(2);
      expect(twice.registry.map((m) => [m.version, m.isCurrent, m.serving])).toEqual([
        [second.version, true, true],
        [v1, false, false],
      ]);

      // A play of a new user, folded in at once: the serving version holds one user folded in.
      const posted = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { authorization: `Bearer ${KEY}` },
        payload: { events: [newcomerPlay(1)] },
      });
      expect(posted.statusCode).toBe(202);
      expect((await report()).foldIn.users).toBe(1);

      // The health check names the same version.
      const health = await app.inject({ url: "/healthz" });
      expect(health.json().model).toBe(twice.model?.version);
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it("with a bus: its stream and connection, what this replica published and applied", async () => {
    const log = new MemoryBusLog();
    const engine = await untrainedEngine(log);
    await train(engine);
    await engine.replication.start({ foldIn: true });
    const app = buildApp(engine, { apiKey: KEY, foldIn: true });
    try {
      const idle = (await app.inject({ url: "/v1/serving" })).json() as ServingReport;
      expect(idle.bus).toEqual({
        location: "memory",
        stream: "memory",
        state: "connected",
        published: 0,
        publishFailures: 0,
        applied: 0,
        lastAppliedAt: null,
        applyDelayP99Ms: null,
        applyDelaysMeasured: 0,
      });
      const startedMs = Date.now();
      const posted = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { authorization: `Bearer ${KEY}` },
        payload: { events: [newcomerPlay(2), newcomerPlay(3)] },
      });
      expect(posted.statusCode).toBe(202);
      // Its own message comes back from the bus and is applied (the fold-in is redone from it).
      for (let k = 0; k < 100 && engine.replication.stats.applied === 0; k++)
        await new Promise((r) => setTimeout(r, 10));
      const bus = ((await app.inject({ url: "/v1/serving" })).json() as ServingReport).bus;
      expect(bus).toMatchObject({ published: 1, publishFailures: 0, applied: 1, applyDelaysMeasured: 0 });
      expect(Date.parse(bus?.lastAppliedAt ?? "")).toBeGreaterThanOrEqual(startedMs - 1);
      expect(log.entries()).toHaveLength(1);
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it("never prints a password or a user of the store's URL, nor this machine's folders", () => {
    expect(printableStore("postgres://alice:s3cret@db.example:5432/tastebud")).toBe(
      "postgres://db.example:5432/tastebud",
    );
    // What PostgresEventStore.location holds (the password already hidden).
    expect(printableStore("postgres://alice:***@db.example/tastebud")).toBe("postgres://db.example/tastebud");
    expect(printableStore("/srv/tastebud/data/plays.duckdb")).toBe("plays.duckdb");
    expect(printableStore(":memory:")).toBe(":memory:");
  });
});
