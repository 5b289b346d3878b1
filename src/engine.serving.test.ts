import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "./config.js";
import { spearman } from "./core/metrics/index.js";
import { simulateWorld } from "./core/simulate/index.js";
import { Engine, NoModelError } from "./engine.js";
import { catalogueItemSchema } from "./schema/events.js";
import { OccurrenceCounter } from "./store/event-key.js";

describe("Engine serving on a simulated world", () => {
  const world = simulateWorld({ users: 200, items: 1000, days: 40, seed: 11 });
  let engine: Engine;
  const config = toTrainConfig(trainSettingsSchema.parse({ factors: 24, epochs: 30 }));

  beforeAll(async () => {
    engine = await Engine.open({
      store: ":memory:",
      models: mkdtempSync(join(tmpdir(), "tastebud-serving-")),
    });
    await expect(engine.recommend.forUser("u0001")).rejects.toBeInstanceOf(NoModelError);
    const counter = new OccurrenceCounter();
    await engine.store.appendPlays(
      world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
    );
    await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
    await engine.affinity.train(config);
  });
  afterAll(() => engine.close());

  it("recommends unplayed items to a known user, best first, naming the top-N model that ranked them", async () => {
    const user = world.truth.users[5];
    const answer = await engine.recommend.forUser(user, { n: 10 });
    expect(answer.source).toBe("personal");
    expect(answer.items).toHaveLength(10);
    const played = new Set(world.events.filter((e) => e.user === user).map((e) => e.item));
    for (const r of answer.items) expect(played.has(r.item)).toBe(false);
    const scores = answer.items.map((r) => Number(r.score));
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // The top-N model chosen at training, as the version's manifest records it.
    const current = await engine.models.require();
    expect(current.manifest.topN?.name).toBeTruthy();
    expect(answer.recommender).toBe(current.manifest.topN?.name);
    expect(current.manifest.topN?.validation.best[0]["ndcg@10"]).toBeGreaterThan(0);
    const withPlayed = await engine.recommend.forUser(user, { n: 10, exclude: "none" });
    expect(withPlayed.items.some((r) => played.has(r.item))).toBe(true);
  });

  it("falls back to popularity for an unknown user, and says so", async () => {
    const answer = await engine.recommend.forUser("someone-new", { n: 5 });
    expect(answer.source).toBe("popularity");
    expect(answer.items).toHaveLength(5);
  });

  it("honours filters by kind, tag and creator", async () => {
    const user = world.truth.users[7];
    const videos = await engine.recommend.forUser(user, { n: 5, filter: { kind: "video" } });
    for (const r of videos.items) expect(r.kind).toBe("video");
    const tag = world.catalogue[0].tags?.[0] ?? "pop";
    const tagged = await engine.recommend.forUser(user, { n: 5, filter: { tags: [tag] } });
    const byId = new Map(world.catalogue.map((c) => [c.id, c]));
    for (const r of tagged.items) expect(byId.get(r.item)?.tags).toContain(tag);
    const adele = await engine.recommend.forUser(user, {
      n: 5,
      exclude: "none",
      filter: { creators: ["adele"] },
    });
    for (const r of adele.items) expect(r.creators).toContain("Adele");
  });

  it("finds similar items and explains an affinity", async () => {
    const item = world.events[0].item;
    const similar = await engine.recommend.similar(item, { n: 5 });
    expect(similar.source).toBe("personal");
    expect(similar.items).toHaveLength(5);
    expect(similar.items.map((r) => r.item)).not.toContain(item);
    expect((await engine.recommend.similar("no-such-item", { n: 3 })).source).toBe("unknown-item");
    const e = await engine.affinity.explain(world.events[0].user, item);
    expect(e.source).toBe("personal");
    expect(e.history.plays).toBeGreaterThan(0);
    expect(e.becauseOf.length).toBeGreaterThan(0);
  });

  it("ranks the random baseline from its seed: the same seed gives the same answer", async () => {
    const user = world.truth.users[3];
    const draw = (seed: number) =>
      engine.voice.resolve(user, "play hello", { strategy: "random", seed, rewrite: false });
    const first = await draw(3);
    expect(first.candidates.length).toBeGreaterThan(1);
    expect(await draw(3)).toEqual(first);
    const scores = (answer: typeof first) => answer.candidates.map((c) => [c.item, c.score]);
    expect(scores(await draw(4))).not.toEqual(scores(first));
  });

  it('resolves "play hello" to both Hellos, ranked, with reasons', async () => {
    const answer = await engine.voice.resolve(world.truth.users[3], "play hello");
    const hellos = answer.candidates.filter((c) => c.title === "Hello");
    expect(hellos.map((c) => c.creators[0]).sort()).toEqual(["Adele", "Lionel Richie"]);
    expect(answer.candidates[0].title).toBe("Hello");
    for (const c of hellos) {
      // The prior (the item's popularity), and the user's affinity that moves it.
      expect(c.reasons.map((r) => r.factor)).toEqual(["text", "popularity", "personal-affinity"]);
      expect(c.matchedSpan).toEqual([5, 10]);
    }
    expect(answer.candidates[0].confidence).toBeGreaterThanOrEqual(answer.candidates[1].confidence);
    const named = await engine.voice.resolve(world.truth.users[3], "play hello by lionel richie");
    expect(named.candidates[0].item).toBe("Lionel Richie|Hello");
    const stranger = await engine.voice.resolve("someone-new", "play hello");
    expect(stranger.source).toBe("popularity");
    expect(stranger.candidates[0].reasons.map((r) => r.factor)).toContain("popularity");
  });

  it("plays when the top candidate is sure enough, else asks, listing the candidates in order", async () => {
    const stranger = await engine.voice.resolve("someone-new", "play hello");
    const top = stranger.candidates[0].confidence;
    expect(top).toBeLessThan(0.9);
    expect(stranger.decision).toBe("ask");
    expect(stranger.question).toMatch(/^Hello by .+ or Hello by .+/);
    expect(stranger.decisionBasis).toMatchObject({
      minPrecision: 0.9,
      uncertainty: 1,
      thresholds: "confidence",
    });
    const lenient = await engine.voice.resolve("someone-new", "play hello", { minPrecision: top });
    expect(lenient.decision).toBe("play");
    expect(lenient.question).toBeNull();
  });

  it("folds a new user's plays in without retraining: recommendations move toward what they played", async () => {
    // The newcomer plays what an existing listener loved: their recommendations should come to resemble
    // that listener's, and stop being the popularity list an unknown user gets.
    const model = (await engine.models.current())!;
    const mentor = world.truth.users[9];
    const loved = world.events.filter((e) => e.user === mentor && e.playedMs > 120_000).slice(0, 30);
    const before = await engine.recommend.forUser("newcomer", { n: 20 });
    expect(before.source).toBe("popularity");
    const answer = await engine.affinity.foldIn(
      "newcomer",
      loved.map((e) => ({ ...e, user: "newcomer", eventId: undefined })),
    );
    expect(answer).toMatchObject({ source: "folded-in", model: model.manifest.version, unknownItems: 0 });
    // Its cost is a benchmark figure (README, fold-in); here only that it is reported.
    expect(answer.ms).toBeGreaterThan(0);
    const after = await engine.recommend.forUser("newcomer", { n: 20 });
    expect(after.source).toBe("folded-in");
    // Compared with the ranking the model gives the listener whose plays were copied, over every item:
    // the newcomer's affinities move from the popularity prior to that listener's.
    const all = model.model.items;
    const mentorScores = (await engine.affinity.score(mentor, all)).items.map((r) => r.affinity);
    const agreement = (answer: Awaited<ReturnType<Engine["affinity"]["score"]>>) =>
      spearman(
        answer.items.map((r) => r.affinity),
        mentorScores,
      );
    const beforeAgreement = agreement(await engine.affinity.score("stranger", all));
    const afterAgreement = agreement(await engine.affinity.score("newcomer", all));
    expect(afterAgreement).toBeGreaterThan(beforeAgreement + 0.2);
    expect(afterAgreement).toBeGreaterThan(0.5);
    const played = new Set(loved.map((e) => e.item));
    for (const r of after.items) expect(played.has(r.item)).toBe(false);
    expect((await engine.affinity.score("newcomer", [loved[0].item])).items[0].source).toBe("folded-in");
    // The served model itself is unchanged, and the overlay goes with the next model.
    expect((await engine.models.current())!.manifest.version).toBe(model.manifest.version);
  });

  it("resolves held-out requests better than popularity-only and random (simulator truth)", async () => {
    const report = await engine.voice.evaluateResolution({ splitPerUser: 0.8 }, config, {
      truth: world.truth,
    });
    expect(report.requests).toBeGreaterThan(1000);
    expect(report.candidateRecall).toBeGreaterThan(0.95);
    expect(report.accuracy.tastebud).toBeGreaterThan(report.accuracy.popularity);
    expect(report.ambiguousAccuracy.tastebud).toBeGreaterThan(report.ambiguousAccuracy.popularity + 0.03);
    expect(report.ambiguousAccuracy.popularity).toBeGreaterThan(report.ambiguousAccuracy.random);
  });
});
