import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryBusLog } from "../bus/memory-bus.js";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema, type PlayEvent } from "../schema/events.js";
import { buildApp } from "../server/app.js";
import { OccurrenceCounter } from "../store/event-key.js";
import { ScratchDatabases } from "../store/postgres/scratch-databases.js";

// Replicas on one PostgreSQL store and one bus (in memory here; NATS in `npm run test:cluster`): what one
// accepts, every one applies, and they answer alike.
const scratch = new ScratchDatabases();
const unreachable = await scratch.unavailable();
if (unreachable) console.warn(`skipping the replication tests: ${unreachable}`);
afterAll(() => scratch.dropAll(), 60_000);

const KEY = "replication-test-key";
const until = async (done: () => Promise<boolean>) => {
  for (let k = 0; k < 200 && !(await done()); k++) await new Promise((r) => setTimeout(r, 25));
};

describe.skipIf(unreachable !== null)("replicas on a bus", () => {
  it("plays, preferences and restarts: every replica answers as the one that accepted them", async () => {
    const world = simulateWorld({ users: 50, items: 200, days: 15, seed: 11 });
    const url = await scratch.create();
    const bus = new MemoryBusLog();
    const open = () =>
      Engine.open({
        store: url,
        models: mkdtempSync(join(tmpdir(), "tastebud-repl-")),
        followModels: true,
        bus: bus.member(),
      });
    const a = await open();
    const engines = [a];
    try {
      const counter = new OccurrenceCounter();
      await a.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
      await a.store.appendPlays(
        world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
      );
      await a.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 4 })));
      const b = await open();
      engines.push(b);
      for (const e of engines) await e.replication.start({ foldIn: true });
      const apps = engines.map((e) => buildApp(e, { apiKey: KEY, foldIn: true, logger: false }));
      const post = (k: number, plays: PlayEvent[]) =>
        apps[k].inject({
          method: "POST",
          url: "/v1/events",
          headers: { authorization: `Bearer ${KEY}` },
          payload: { events: plays },
        });
      const items = world.catalogue.map((c) => c.id);
      const known = world.truth.users[4];
      const play = (user: string, k: number, minute: number): PlayEvent => ({
        user,
        item: items[k],
        endTime: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
        playedMs: 200_000,
        itemLengthMs: 210_000,
      });
      // Interleaved writes at both replicas, for a new user and a known one; one batch sent to both.
      expect((await post(0, [play("newcomer", 3, 1), play(known, 7, 2)])).statusCode).toBe(202);
      expect((await post(1, [play("newcomer", 9, 3), play(known, 11, 4)])).statusCode).toBe(202);
      const both = [play("newcomer", 15, 5)];
      expect((await post(0, both)).json().accepted).toBe(1);
      expect((await post(1, both)).json().accepted).toBe(0);
      const answers = (e: Engine) =>
        Promise.all([
          e.recommend.forUser("newcomer", { n: 8 }),
          e.recommend.forUser(known, { n: 8 }),
          e.affinity.score("newcomer", [items[20], items[3]]),
        ]);
      await until(async () => JSON.stringify(await answers(a)) === JSON.stringify(await answers(b)));
      const [, , scored] = await answers(a);
      expect(scored.items.map((s) => s.source)).toEqual(["folded-in", "folded-in"]);
      expect(await answers(b)).toEqual(await answers(a));

      // A taught preference at one replica applies at the other.
      const taught = await apps[1].inject({
        method: "POST",
        url: `/v1/users/${known}/preferences`,
        headers: { authorization: `Bearer ${KEY}` },
        payload: { text: `I don't like ${world.catalogue[0].title}` },
      });
      expect(taught.statusCode).toBe(201);
      await until(async () => (await a.preferences.list(known)).length > 0);
      expect(await a.preferences.list(known)).toEqual(await b.preferences.list(known));

      // A replica started later (a restart) replays the fold-ins since the model and answers alike.
      const c = await open();
      engines.push(c);
      await c.replication.start({ foldIn: true });
      await until(async () => JSON.stringify(await answers(c)) === JSON.stringify(await answers(a)));
      expect(await answers(c)).toEqual(await answers(a));
      expect(await c.preferences.list(known)).toEqual(await a.preferences.list(known));

      // A new model: the folded-in plays made before it drop out everywhere alike.
      await a.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 4 })));
      const version = (await a.store.currentModel())?.version;
      for (const e of engines)
        await until(async () => (await e.models.current())?.manifest.version === version);
      expect(await answers(b)).toEqual(await answers(a));
      expect(await answers(c)).toEqual(await answers(a));
      // Replica b's serving page: the shared store (no user or password shown), the bus it applied a's
      // messages from, and the two versions it swapped in from the registry (at start, then announced).
      const first = (await a.store.listModels()).find((m) => m.version !== version)?.version;
      const report = (await apps[1].inject({ url: "/v1/serving" })).json();
      expect(report.store.kind).toBe("postgres");
      expect(report.store.location).not.toMatch(/@/);
      expect(report.bus).toMatchObject({ stream: "memory", state: "connected", publishFailures: 0 });
      expect(report.bus.applied).toBeGreaterThan(0);
      expect(report.bus.applyDelaysMeasured).toBeGreaterThan(0);
      expect(
        report.swaps.map((s: { version: string; previous: string | null; cause: string }) => [
          s.version,
          s.previous,
          s.cause,
        ]),
      ).toEqual([
        [version, first, "registry"],
        [first, null, "registry"],
      ]);
      expect(report.model.version).toBe(version);
      expect(report.registryCurrent).toBe(version);
      for (const app of apps) await app.close();
    } finally {
      for (const e of engines) await e.close();
    }
  }, 120_000);
});
