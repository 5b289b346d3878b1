import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../../config.js";
import { Engine } from "../../engine.js";
import { playTableFromColumns } from "../../pipeline/train.js";
import { catalogueItemSchema } from "../../schema/events.js";
import { OccurrenceCounter } from "../../store/event-key.js";
import { buildCatalogueView } from "../serving/catalogue-view.js";
import { simulateWorld } from "../simulate/index.js";
import { defaultPlaylistEvaluationConfig, evaluatePlaylists } from "./playlists.js";
import { splitAtPerUserQuantile } from "./split.js";

const world = simulateWorld({ users: 60, items: 400, days: 30, seed: 5 });
const train = toTrainConfig(trainSettingsSchema.parse({ factors: 12, epochs: 15 }));
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.open({ store: ":memory:" });
  await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await engine.store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "simulated" })),
  );
});
afterAll(() => engine.close());

describe("eval --playlists", () => {
  it("judges each list on held-out long plays, with every pair and trio of 8 listeners in the Blends", async () => {
    const report = await engine.playlists.evaluate({ splitPerUser: 0.8 }, train, {
      truth: world.truth,
      maxUsers: 8,
    });
    expect(report.split.users).toBe(8);
    expect(report.blend.map((b) => b.groups)).toEqual([28, 56]);
    const { discover, mix, ownTop, popularNew } = report.playlists;
    // Known by construction: discover and "popular new" hold only tracks new to the listener, own top only
    // known ones (so it makes no discoveries), a mix half and half.
    expect(discover.familiarShare).toBe(0);
    expect(popularNew.familiarShare).toBe(0);
    expect(ownTop.familiarShare).toBe(1);
    expect(ownTop.newHits).toBe(0);
    expect(mix.familiarShare).toBeCloseTo(0.5, 6);
    for (const m of Object.values(report.playlists)) {
      expect(m.precision).toBeLessThanOrEqual(m.hitRate);
      expect(m.diversity).toBeGreaterThan(0);
    }
    // The simulator's truth is read for every list (src/services/playlists.test.ts checks, on a larger world,
    // that discover's new tracks are truly liked more than the charts').
    for (const m of Object.values(report.playlists)) expect(m.trueAffinity).toBeGreaterThan(0);
    expect(report.blend[0].policies.blend.trueWorst).toBeLessThanOrEqual(
      report.blend[0].policies.blend.trueJoy as number,
    );
    // Similar creators are judged against the truly alike ones, for the taste space and its baseline.
    expect(report.creators?.creators).toBeGreaterThan(10);
    for (const scores of [report.creators?.tasteSpace, report.creators?.coListening]) {
      expect(scores?.ndcg).toBeGreaterThanOrEqual(0);
      expect(scores?.ndcg).toBeLessThanOrEqual(1);
    }
    // Every candidate weight was scored on validation, and the chosen one is the best scored.
    for (const choice of Object.values(report.selection)) {
      expect(choice.values).toHaveLength(choice.grid.length);
      expect(choice.values[choice.grid.indexOf(choice.chosen)]).toBe(Math.max(...choice.values));
    }
  });

  it("chooses the weights without looking at the test side: wiping the held-out plays changes no choice", async () => {
    const columns = await engine.store.scanPlays();
    const plays = playTableFromColumns(columns);
    const split = splitAtPerUserQuantile(plays, 0.8);
    const catalogue = buildCatalogueView(
      { items: columns.items },
      await engine.store.getItems(),
    ).byModelIndex;
    const config = { ...defaultPlaylistEvaluationConfig, train, maxUsers: 20, maxGroups: 10 };
    const before = evaluatePlaylists(plays, columns.users, columns.items, catalogue, split, config);
    // Every held-out play becomes a skip: the test figures must change, the validation ones must not.
    const wiped = {
      ...plays,
      playedMs: Float64Array.from(plays.playedMs, (ms, r) => (split.isTrain[r] ? ms : 0)),
    };
    const after = evaluatePlaylists(wiped, columns.users, columns.items, catalogue, split, config);
    expect(after.selection).toEqual(before.selection);
    expect(after.split.heldOutLongPlays).toBe(0);
    expect(before.split.heldOutLongPlays).toBeGreaterThan(0);
  });
});
