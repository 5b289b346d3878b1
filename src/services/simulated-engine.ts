import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import type { SimulatedWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";

/**
 * An in-memory engine holding a simulated world's plays and catalogue, trained with the given settings:
 * what tests and evaluations on a world with known tastes start from. Model versions go to a fresh
 * temporary folder unless `modelsDir` is given.
 */
export async function engineOnSimulatedWorld(
  world: SimulatedWorld,
  settings: { factors?: number; epochs?: number } = {},
  modelsDir = mkdtempSync(join(tmpdir(), "tastebud-sim-")),
): Promise<Engine> {
  const engine = await Engine.open({ store: ":memory:", models: modelsDir });
  await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await engine.store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "simulated" })),
  );
  await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse(settings)));
  return engine;
}
