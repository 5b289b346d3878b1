import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../../config.js";
import { detectDefects } from "../../core/rewriting/defects.js";
import { simulateVoice } from "../../core/simulate/index.js";
import { turnFromEvent } from "../../core/voice/turn.js";
import { Engine } from "../../engine.js";
import { playEventSchema } from "../../schema/events.js";
import { OccurrenceCounter } from "../../store/event-key.js";
import { storeVoiceWorld } from "../../store/voice-world-store.js";
import { buildApp } from "../app.js";

/** The insights routes over a simulated voice assistant's store: every figure checked against the raw data. */
describe("insights routes", () => {
  const world = simulateVoice({ users: 80, days: 8, items: 400, seed: 4 });
  let engine: Engine;
  let app: FastifyInstance;

  beforeAll(async () => {
    engine = await Engine.open({
      store: ":memory:",
      models: mkdtempSync(join(tmpdir(), "tb-insights-")),
      seed: 1,
    });
    await storeVoiceWorld(engine.store, world);
    app = buildApp(engine, { apiKey: "k" });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  const get = async (url: string) => {
    const res = await app.inject({ url });
    return { status: res.statusCode, body: res.json() };
  };

  it("answers the overview before any model, then names the model after training", async () => {
    const before = await get("/v1/overview");
    expect(before.status).toBe(200);
    expect(before.body.model).toBeNull();
    expect(before.body.job).toBeNull();
    expect(before.body.store.plays).toBe(world.plays.length);
    expect(before.body.store.requests).toBe(world.requests.length);
    const perDay = before.body.store.perDay as Array<{ plays: number; requests: number }>;
    expect(perDay.reduce((s, d) => s + d.plays, 0)).toBe(world.plays.length);
    expect(perDay.reduce((s, d) => s + d.requests, 0)).toBe(world.requests.length);
    expect(before.body.weighting.filter((w: { name: string }) => w.name === "convex")[10].weight).toBeCloseTo(
      0.25,
    );
    expect((await get("/v1/items/map")).status).toBe(503);

    await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 5 })));
    const after = await get("/v1/overview");
    expect(after.body.model.version).toMatch(/^v/);
    expect(after.body.model.dataWindow.plays).toBe(world.plays.length);
    // Five epochs of the calibration fit (with a validation loss) and five of the final fit.
    const curve = after.body.model.trainingCurve as Array<{ phase: string; validationLoss?: number }>;
    expect(curve.map((p) => p.phase)).toEqual([...Array(5).fill("calibration"), ...Array(5).fill("final")]);
    expect(curve.filter((p) => p.validationLoss !== undefined)).toHaveLength(5);
    const current = await engine.models.require();
    expect(after.body.model.topN?.name ?? null).toBe(current.manifest.topN?.name ?? null);
    expect(after.body.models).toEqual([
      expect.objectContaining({ version: after.body.model.version, isCurrent: true }),
    ]);
  });

  it("lists a user's plays newest first, skips as the model's threshold says", async () => {
    const user = world.plays[0].user;
    const own = world.plays.filter((p) => p.user === user);
    const { status, body } = await get(`/v1/users/${user}/history?limit=1000`);
    expect(status).toBe(200);
    expect(body.plays).toHaveLength(own.length);
    const times = body.plays.map((p: { endTime: string }) => Date.parse(p.endTime));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const p of body.plays) expect(p.skip).toBe(p.playedMs < 30_000);
    expect((await get(`/v1/users/${user}/history?limit=2`)).body.plays).toHaveLength(Math.min(2, own.length));
    expect((await get("/v1/users/nobody/history")).body.plays).toEqual([]);
    expect((await get(`/v1/users/${user}/history?limit=0`)).status).toBe(400);
  });

  it("titles each play as the store's catalogue does, also items described or played after the model loaded", async () => {
    const user = world.plays[0].user;
    await engine.models.require();
    const at = Date.UTC(2030, 0, 1);
    await engine.store.upsertItems([
      { id: "new-song", title: "New Song", creators: ["Newcomer"], kind: "song", tags: [], attributes: {} },
    ]);
    const counter = new OccurrenceCounter();
    const later = [
      { user, item: "new-song", endTime: new Date(at).toISOString(), playedMs: 100_000 },
      { user, item: "Nobody|Undescribed", endTime: new Date(at + 1000).toISOString(), playedMs: 5_000 },
    ];
    await engine.store.appendPlays(
      later.map((e) => {
        const event = playEventSchema.parse(e);
        return { key: counter.keyFor(event), event, source: "test" };
      }),
    );
    const { body } = await get(`/v1/users/${user}/history?limit=1000`);
    const plays = body.plays as Array<{ item: string; title: string; creators: string[] }>;
    expect(plays.slice(0, 2).map((p) => [p.item, p.title, p.creators])).toEqual([
      ["Nobody|Undescribed", "Nobody|Undescribed", []],
      ["new-song", "New Song", ["Newcomer"]],
    ]);
    const described = new Map((await engine.store.getItems()).map((i) => [i.id, i]));
    for (const p of plays) {
      const item = described.get(p.item);
      expect([p.title, p.creators]).toEqual(item ? [item.title, item.creators] : [p.item, []]);
    }
  });

  it("maps the most played items onto two axes that keep most of the factor variance", async () => {
    const { status, body } = await get("/v1/items/map?limit=100");
    expect(status).toBe(200);
    expect(body.points).toHaveLength(100);
    const [a, b] = body.explained;
    expect(a).toBeGreaterThanOrEqual(b);
    expect(a + b).toBeLessThanOrEqual(1 + 1e-9);
    const popularity = body.points.map((p: { popularity: number }) => p.popularity);
    expect(popularity).toEqual([...popularity].sort((x, y) => y - x));
    const xs = body.points.map((p: { x: number }) => p.x);
    expect(Math.abs(xs.reduce((s: number, x: number) => s + x, 0) / xs.length)).toBeLessThan(1e-3);
  });

  it("counts defective turns per day as the rewrite miner judges them", async () => {
    const turns = world.requests.map(turnFromEvent).sort((a, b) => a.timeMs - b.timeMs);
    const defective = detectDefects(turns).filter((v) => v.defective).length;
    const { body } = await get("/v1/requests/daily");
    const days = body.days as Array<{ turns: number; defective: number; defectRate: number }>;
    expect(days.reduce((s, d) => s + d.turns, 0)).toBe(world.requests.length);
    expect(days.reduce((s, d) => s + d.defective, 0)).toBe(defective);
    expect(defective).toBeGreaterThan(0);
    for (const d of days) expect(d.defectRate).toBeCloseTo(d.defective / d.turns, 5);
  });

  it("reports failure points over the stored request log, answering other requests while its classifier trains", async () => {
    // The first report trains the simulated classifier; on the serving thread that stalled every request
    // behind it. Now it trains on a worker: a health probe sent after it is answered before it.
    const order: string[] = [];
    const failures = get("/v1/requests/failures").then((r) => {
      order.push("failures");
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await app.inject({ url: "/healthz" }).then(() => order.push("healthz"));
    const { status, body } = await failures;
    expect(order).toEqual(["healthz", "failures"]);
    expect(status).toBe(200);
    expect(body.turns).toBe(world.requests.length);
    expect(Object.values(body.byStage as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      body.failures,
    );
  });

  it("keeps evaluation records and lists them newest first, by kind", async () => {
    engine.insights.recordEvaluation("affinity", "tastebud eval", { model: { spearman: 0.3 } });
    engine.insights.recordEvaluation("ablation", "tastebud eval --ablation", { ablation: [] });
    const all = (await get("/v1/evaluations")).body.evaluations;
    expect(all.map((e: { kind: string }) => e.kind)).toEqual(["ablation", "affinity"]);
    const one = (await get("/v1/evaluations?kind=affinity")).body.evaluations;
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ command: "tastebud eval", report: { model: { spearman: 0.3 } } });
    expect((await get("/v1/overview")).body.evaluations).toBe(2);
  });

  it("answers the daily counts from its cache until new requests arrive, then rescans", async () => {
    const scans = vi.spyOn(engine.store, "scanRequests");
    const first = (await get("/v1/requests/daily")).body;
    const again = (await get("/v1/requests/daily")).body;
    expect(again).toEqual(first);
    const before = scans.mock.calls.length;
    const last = world.requests[world.requests.length - 1];
    const next = { ...last, requestId: `${last.requestId}-later`, time: "2030-01-02T10:00:00.000Z" };
    await engine.store.appendRequests([{ event: next, source: "test" }]);
    const after = (await get("/v1/requests/daily")).body;
    expect(scans.mock.calls.length).toBe(before + 1);
    expect(after.days.at(-1)).toMatchObject({ day: "2030-01-02", turns: 1 });
    scans.mockRestore();
  });

  it("documents every insights route under its tag", async () => {
    const doc = (await get("/openapi.json")).body;
    for (const path of [
      "/v1/overview",
      "/v1/users/{id}/history",
      "/v1/items/map",
      "/v1/evaluations",
      "/v1/requests/daily",
      "/v1/requests/failures",
    ])
      expect(doc.paths[path].get.tags).toEqual(["insights"]);
  });
});

describe("insights of an empty store", () => {
  it("answers zeros, not errors", async () => {
    const engine = await Engine.open({ store: ":memory:", models: mkdtempSync(join(tmpdir(), "tb-empty-")) });
    const app = buildApp(engine);
    try {
      const failures = (await app.inject({ url: "/v1/requests/failures" })).json();
      expect(failures).toMatchObject({ turns: 0, failures: 0, worstStage: null, classifier: "none" });
      expect((await app.inject({ url: "/v1/requests/daily" })).json()).toEqual({ days: [], reasons: {} });
      const overview = (await app.inject({ url: "/v1/overview" })).json();
      expect(overview.store).toMatchObject({ plays: 0, requests: 0, firstPlayMs: null });
      expect((await app.inject({ url: "/v1/evaluations" })).json()).toEqual({ evaluations: [] });
    } finally {
      await app.close();
      await engine.close();
    }
  });
});
