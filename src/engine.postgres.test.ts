import { existsSync, mkdtempSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

  it("a replica on another machine follows the trainer: loads each new model from the store, swaps with no failed request", async () => {
    const world = simulateWorld({ users: 60, items: 300, days: 20, seed: 8 });
    const url = await scratch.create();
    // Separate model folders: the replica has only what the store holds.
    const trainer = await Engine.open({ store: url, models: mkdtempSync(join(tmpdir(), "tastebud-pg-t-")) });
    const replicaModels = mkdtempSync(join(tmpdir(), "tastebud-pg-r-"));
    const replica = await Engine.open({ store: url, models: replicaModels, followModels: true });
    const config = toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 5 }));
    const servedVersion = async () => (await replica.models.current())?.manifest.version;
    const until = async (done: () => Promise<boolean>) => {
      for (let k = 0; k < 200 && !(await done()); k++) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      const counter = new OccurrenceCounter();
      await trainer.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
      await trainer.store.appendPlays(
        world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
      );
      const first = await trainer.affinity.train(config);
      await until(async () => (await servedVersion()) === first.version);
      expect(await servedVersion()).toBe(first.version);
      // Requests at the replica all through the next training and swap.
      const user = world.truth.users[2];
      let stop = false;
      let answered = 0;
      const failures: unknown[] = [];
      const load = (async () => {
        while (!stop) {
          await replica.recommend.forUser(user, { n: 5 }).then(
            () => answered++,
            (err) => failures.push(err),
          );
          await new Promise((r) => setImmediate(r));
        }
      })();
      const second = await trainer.affinity.train(
        toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 5, seed: 99 })),
      );
      await until(async () => (await servedVersion()) === second.version);
      stop = true;
      await load;
      expect(failures).toEqual([]);
      expect(answered).toBeGreaterThan(0);
      expect(await servedVersion()).toBe(second.version);
      expect(await replica.recommend.forUser(user, { n: 5 })).toEqual(
        await trainer.recommend.forUser(user, { n: 5 }),
      );
      // A machine where the trainer's folder does not exist: the version comes from the store's copy.
      const trainerModels = dirname(second.path);
      renameSync(trainerModels, `${trainerModels}-away`);
      const elsewhere = await Engine.open({
        store: url,
        models: mkdtempSync(join(tmpdir(), "tastebud-pg-e-")),
      });
      try {
        expect(await elsewhere.recommend.forUser(user, { n: 5 })).toEqual(
          await replica.recommend.forUser(user, { n: 5 }),
        );
        expect(existsSync(join(elsewhere.modelsDir, second.version, "manifest.json"))).toBe(true);
      } finally {
        await elsewhere.close();
        renameSync(`${trainerModels}-away`, trainerModels);
      }
    } finally {
      await trainer.close();
      await replica.close();
    }
  });
});
