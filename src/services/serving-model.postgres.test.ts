import * as fs from "node:fs";
import { mkdtempSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it, vi } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { buildCatalogueView } from "../core/serving/catalogue-view.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import { ScratchDatabases } from "../store/postgres/scratch-databases.js";

// Every synchronous file call of this thread goes through these spies (worker threads load their own fs).
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const spied = { ...real, readFileSync: vi.fn(real.readFileSync), writeFileSync: vi.fn(real.writeFileSync) };
  return { ...spied, default: spied };
});

const scratch = new ScratchDatabases();
const unreachable = await scratch.unavailable();
if (unreachable) console.warn(`skipping the model-swap tests on PostgreSQL: ${unreachable}`);
afterAll(() => scratch.dropAll(), 60_000);

/** Paths of the arrays of model versions (the big files of a swap) among the calls of a spied fs function. */
function arrayFilesIn(spy: unknown): string[] {
  return (spy as { mock: { calls: unknown[][] } }).mock.calls
    .map((call) => String(call[0]))
    .filter((path) => /\.(f32|i32|f64)$/.test(path));
}

describe.skipIf(unreachable !== null)("swapping in a model version on a PostgreSQL store", () => {
  it("a replica elsewhere fetches and reads the version's arrays and the catalogue off the serving thread, and answers as the trainer", async () => {
    const world = simulateWorld({ users: 80, items: 400, days: 20, seed: 12 });
    const url = await scratch.create();
    const trainer = await Engine.open({
      store: url,
      models: mkdtempSync(join(tmpdir(), "tastebud-swap-t-")),
    });
    const replica = await Engine.open({
      store: url,
      models: mkdtempSync(join(tmpdir(), "tastebud-swap-r-")),
    });
    // What this thread asks the database, as text.
    const queries: string[] = [];
    const realQuery = pg.Client.prototype.query;
    const query = vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (
      this: pg.Client,
      ...args: unknown[]
    ) {
      const config = args[0] as string | { text?: string } | undefined;
      queries.push(typeof config === "string" ? config : (config?.text ?? ""));
      return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    try {
      const counter = new OccurrenceCounter();
      await trainer.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
      await trainer.store.appendPlays(
        world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
      );
      const trained = await trainer.affinity.train(
        toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 4 })),
      );
      // Another machine: the trainer's folder is not there, so the files come from the store's copy.
      renameSync(dirname(trained.path), `${dirname(trained.path)}-away`);
      vi.mocked(fs.readFileSync).mockClear();
      vi.mocked(fs.writeFileSync).mockClear();
      queries.length = 0;
      const served = await replica.models.reload();
      expect(served?.manifest.version).toBe(trained.version);
      expect(served?.model.factors.itemFactors.length).toBeGreaterThan(0);
      // Nothing of the version's arrays was read or written by this thread, and no query brought a file
      // as a row (a bytea row is hex text, decoded in one piece).
      expect(arrayFilesIn(fs.readFileSync)).toEqual([]);
      expect(arrayFilesIn(fs.writeFileSync)).toEqual([]);
      expect(queries.filter((q) => /\bbytes\b/.test(q) && !q.trimStart().startsWith("COPY"))).toEqual([]);
      // Nor the catalogue: read and aligned with the model on the reading thread, as this thread would.
      expect(queries.filter((q) => /\bFROM items\b/.test(q))).toEqual([]);
      expect(served?.view).toEqual(buildCatalogueView(served!.model, await replica.store.getItems()));
      const user = world.truth.users[5];
      expect(await replica.recommend.forUser(user, { n: 5 })).toEqual(
        await trainer.recommend.forUser(user, { n: 5 }),
      );
    } finally {
      query.mockRestore();
      await trainer.close();
      await replica.close();
    }
  });
});
