import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "./config.js";
import { simulateWorld } from "./core/simulate/index.js";
import { Engine } from "./engine.js";
import { catalogueItemSchema } from "./schema/events.js";
import { OccurrenceCounter } from "./store/event-key.js";
import { ScratchDatabases } from "./store/postgres/scratch-databases.js";

// The engine on a PostgreSQL store, as `--store postgres://...` opens it: two engines (a trainer and a
// replica) on one database at once, which the embedded store does not allow.
const scratch = new ScratchDatabases();
const unreachable = await scratch.unavailable();
if (unreachable) console.warn(`skipping the engine-on-PostgreSQL tests: ${unreachable}`);
afterAll(() => scratch.dropAll(), 60_000);

describe.skipIf(unreachable !== null)("Engine on a PostgreSQL store", () => {
  it("a trainer and a replica share one database: the replica serves what the trainer published", async () => {
    const world = simulateWorld({ users: 60, items: 300, days: 20, seed: 5 });
    const url = await scratch.create();
    const models = mkdtempSync(join(tmpdir(), "tastebud-pg-models-"));
    const trainer = await Engine.open({ store: url, models });
    const replica = await Engine.open({ store: url, models });
    try {
      expect(trainer.store.location).toBe(url);
      const counter = new OccurrenceCounter();
      await trainer.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
      await trainer.store.appendPlays(
        world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
      );
      expect(await replica.store.countPlays()).toBe(world.events.length);
      const trained = await trainer.affinity.train(
        toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 5 })),
      );
      expect((await replica.store.currentModel())?.version).toBe(trained.version);
      await replica.models.reload();
      const user = world.truth.users[3];
      const answer = await replica.recommend.forUser(user, { n: 5 });
      expect(answer.source).toBe("personal");
      expect(answer.items).toHaveLength(5);
      expect(answer).toEqual(await trainer.recommend.forUser(user, { n: 5 }));
    } finally {
      await trainer.close();
      await replica.close();
    }
  });
});
