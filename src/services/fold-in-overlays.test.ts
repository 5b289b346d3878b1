import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema, type PlayEvent } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";

/** Fold-in overlays are bounded (issue 12, point 7): the least recently used users go, and answer as before. */

let dir: string;
let engine: Engine;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-overlays-"));
  engine = await Engine.open({ store: ":memory:", models: join(dir, "models"), maxFoldedInUsers: 3 });
  const world = simulateWorld({ users: 30, items: 120, days: 10, seed: 5 });
  await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await engine.store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "test" })),
  );
  await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 5 })));
});

afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("fold-in overlays", () => {
  it("keeps the most recently used users up to the cap; an evicted user answers as the model knows them", async () => {
    const current = await engine.models.require();
    const items = current.model.items;
    const known = current.model.users[0];
    const plays = (user: string): PlayEvent[] =>
      items.slice(0, 5).map((item, k) => ({
        user,
        item,
        endTime: `2024-06-01T10:0${k}:00Z`,
        playedMs: 190_000,
        itemLengthMs: 200_000,
      }));
    const asModel = await engine.affinity.score(known, items);
    const asStranger = await engine.affinity.score("never-seen", items);

    await engine.affinity.foldIn(known, plays(known));
    expect((await engine.affinity.score(known, items.slice(0, 1))).items[0].source).toBe("folded-in");
    for (const user of ["new-1", "new-2"]) await engine.affinity.foldIn(user, plays(user));
    // Reading new-1 makes it recent: the next fold-in pushes out the known user, the least recently used.
    expect((await engine.affinity.score("new-1", items.slice(0, 1))).items[0].source).toBe("folded-in");
    await engine.affinity.foldIn("new-3", plays("new-3"));

    expect(current.overlays.size).toBe(3);
    expect([...current.overlays.keys()].sort()).toEqual(["new-1", "new-2", "new-3"]);
    // Evicted: the trained row again, exactly as before the fold-in ...
    expect(await engine.affinity.score(known, items)).toEqual(asModel);
    // ... and a new user pushed out answers like any unknown user.
    await engine.affinity.foldIn("new-4", plays("new-4"));
    expect(current.overlays.has("new-2")).toBe(false);
    const evictedNewcomer = await engine.affinity.score("new-2", items);
    expect(evictedNewcomer.items).toEqual(asStranger.items);
    expect((await engine.recommend.forUser("new-2", { n: 5 })).source).toBe(
      (await engine.recommend.forUser("never-seen", { n: 5 })).source,
    );
  });
});
