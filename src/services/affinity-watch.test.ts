import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import type { TrainResult } from "./affinity.js";

describe("AffinityService.watch (train --watch)", () => {
  it("trains at once on a store without a model, then again once enough new plays are stored", async () => {
    const world = simulateWorld({ users: 40, items: 150, days: 10, seed: 3 });
    const engine = await Engine.open({ store: ":memory:", models: mkdtempSync(join(tmpdir(), "tb-watch-")) });
    try {
      await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
      const counter = new OccurrenceCounter();
      const keyed = world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" }));
      const half = Math.floor(keyed.length / 2);
      await engine.store.appendPlays(keyed.slice(0, half));
      const trained: TrainResult[] = [];
      const count = await engine.affinity.watch(
        toTrainConfig(trainSettingsSchema.parse({ factors: 4, epochs: 2 })),
        {
          afterPlays: 50,
          pollMs: 10,
          maxTrainings: 2,
          onTrained: (r) => {
            trained.push(r);
            // The second half arrives after the first model: enough for another.
            if (trained.length === 1) void engine.store.appendPlays(keyed.slice(half));
          },
        },
      );
      expect(count).toBe(2);
      expect(trained.map((r) => r.plays)).toEqual([half, keyed.length]);
      expect((await engine.store.currentModel())?.version).toBe(trained[1].version);
    } finally {
      await engine.close();
    }
  });

  it("an aborted watch with nothing new returns without training", async () => {
    const engine = await Engine.open({ store: ":memory:", models: mkdtempSync(join(tmpdir(), "tb-watch-")) });
    try {
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 50);
      const config = toTrainConfig(trainSettingsSchema.parse({}));
      expect(await engine.affinity.watch(config, { afterPlays: 1, pollMs: 10, signal: stop.signal })).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
