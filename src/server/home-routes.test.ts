import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { catalogueItemSchema } from "../schema/events.js";
import { buildApp } from "./app.js";

const KEY = "home-key";
const auth = { authorization: `Bearer ${KEY}` };
let engine: Engine;
let app: FastifyInstance;

beforeAll(async () => {
  engine = await Engine.open({ store: ":memory:", seed: 2 });
  await engine.store.upsertItems(
    Array.from({ length: 30 }, (_, k) =>
      catalogueItemSchema.parse({ id: `mix-${k}`, title: `Mix ${k}`, tags: ["jazz"] }),
    ),
  );
  app = buildApp(engine, { apiKey: KEY });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await engine?.close();
});

describe("home routes", () => {
  it("serves shelves, logs them, and learns from feedback on them", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/users/u9/home?slots=5&context=tv" });
    expect(res.statusCode).toBe(200);
    const page = res.json();
    expect(page.shelves).toHaveLength(5);
    expect(page.shelves[0]).toMatchObject({
      slot: 0,
      title: expect.stringMatching(/^Mix /),
      explanation: expect.any(String),
    });
    expect(page.shelves[0].propensity).toBeGreaterThan(0);
    // The impressions are logged behind the store lock; wait until they are in.
    for (let t = 0; t < 50 && (await engine.store.scanImpressions({ pageId: page.pageId })).length < 5; t++)
      await new Promise((r) => setTimeout(r, 10));
    const fb = await app.inject({
      method: "POST",
      url: "/v1/feedback",
      headers: auth,
      payload: {
        feedback: [
          {
            impressionId: page.shelves[1].impressionId,
            time: "2024-05-01T10:00:00Z",
            kind: "stream",
            playedMs: 31_000,
          },
          { impressionId: page.shelves[1].impressionId, time: "not a time", kind: "stream" },
        ],
      },
    });
    expect(fb.statusCode).toBe(202);
    expect(fb.json()).toMatchObject({ accepted: 1, rejected: 1, learnedPages: 1 });
    expect(fb.json().rejects[0].path).toBe("feedback[1].time");
    // The batch is kept as an ingest run, so its reject counts in the overview like a file's.
    expect((await app.inject({ url: "/v1/overview" })).json().store.ingest).toMatchObject({
      runs: 1,
      accepted: 1,
      rejected: 1,
    });
    expect((await engine.home.status())[0]).toMatchObject({ displays: 2, streams: 1 });
    const report = await app.inject({ url: "/v1/home/report?arms=5" });
    expect(report.statusCode).toBe(200);
    expect(report.json()).toEqual(JSON.parse(JSON.stringify(await engine.home.report({ arms: 5 }))));
    expect(report.json().log).toMatchObject({ impressions: 5, pages: 1, rewarded: 1 });
    expect((await app.inject({ url: "/v1/home/report?arms=0" })).statusCode).toBe(400);
  });

  it("takes impressions logged elsewhere, rejecting a bad propensity by its row", async () => {
    const row = {
      impressionId: "ext-1",
      user: "u1",
      time: "2024-05-01T10:00:00Z",
      slot: 0,
      item: "mix-3",
      policy: "other",
      propensity: 0.2,
    };
    const res = await app.inject({
      method: "POST",
      url: "/v1/impressions",
      headers: auth,
      payload: { impressions: [row, { ...row, impressionId: "ext-2", propensity: 0 }] },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.json().rejects[0].path).toBe("impressions[1].propensity");
    // After the feedback batch above (one run, one reject): this batch's run and its reject.
    expect((await app.inject({ url: "/v1/overview" })).json().store.ingest).toMatchObject({
      runs: 2,
      accepted: 2,
      rejected: 2,
    });
    expect(
      (await app.inject({ method: "POST", url: "/v1/impressions", payload: { impressions: [row] } }))
        .statusCode,
    ).toBe(401);
  });

  it("answers 503 with a clear code when there is nothing to make shelves of", async () => {
    const empty = await Engine.open({ store: ":memory:" });
    const emptyApp = buildApp(empty, {});
    try {
      const res = await emptyApp.inject({ method: "GET", url: "/v1/users/u1/home" });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().error).toBe("no-shelves");
    } finally {
      await emptyApp.close();
      await empty.close();
    }
  });
});
