import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema, type PlayEvent } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import { buildApp, isLoopbackHost, ServerConfigError, serverState } from "./app.js";
import { jsonPath, publicMessage } from "./errors.js";

const KEY = "test-key-123";
const auth = { authorization: `Bearer ${KEY}` };

let dir: string;
let engine: Engine;
let app: FastifyInstance;
let knownUser: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-server-"));
  engine = await Engine.open({ store: ":memory:", models: join(dir, "models") });
  const world = simulateWorld({ users: 60, items: 300, days: 20, seed: 3 });
  await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await engine.store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "test" })),
  );
  await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 16, epochs: 10 })));
  const current = await engine.models.current();
  knownUser = current!.model.users[0];
  app = buildApp(engine, { apiKey: KEY, bodyLimit: 64 * 1024, maxBatch: 100 });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const play = (over: Partial<PlayEvent> = {}): PlayEvent => ({
  user: "http-user",
  item: "Adele|Hello",
  endTime: "2024-03-01T10:00:00Z",
  playedMs: 200_000,
  ...over,
});

/** No stack traces, file paths or internal names in an answer. */
function expectClean(body: string) {
  expect(body).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
  expect(body).not.toContain(dir);
  expect(body).not.toContain("/work/");
  expect(body).not.toContain("node_modules");
}

describe("serving", () => {
  it("recommends for a known user from their model (source personal)", async () => {
    const res = await app.inject({ url: `/v1/users/${encodeURIComponent(knownUser)}/recommendations?n=5` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.source).toBe("personal");
    expect(body.user).toBe(knownUser);
    expect(body.items).toHaveLength(5);
    expect(body.model).toMatch(/^v/);
    for (const item of body.items) {
      expect(typeof item.item).toBe("string");
      expect(item.affinity).toBeGreaterThanOrEqual(0);
      expect(item.affinity).toBeLessThanOrEqual(1);
    }
  });

  it("answers an unknown user with popular items (200, source popularity)", async () => {
    const res = await app.inject({ url: "/v1/users/nobody-at-all/recommendations" });
    expect(res.statusCode).toBe(200);
    expect(res.json().source).toBe("popularity");
    expect(res.json().items).toHaveLength(10);
  });

  it("filters recommendations and validates the query with paths", async () => {
    const res = await app.inject({
      url: `/v1/users/${knownUser}/recommendations?n=3&exclude=none&creators=Adele,Lionel%20Richie`,
    });
    expect(res.statusCode).toBe(200);
    for (const item of res.json().items)
      expect(item.creators.some((c: string) => /Adele|Lionel/.test(c))).toBe(true);

    const bad = await app.inject({ url: `/v1/users/${knownUser}/recommendations?n=0&exclude=maybe` });
    expect(bad.statusCode).toBe(400);
    const body = bad.json();
    expect(body.error).toBe("validation");
    expect(body.issues.map((i: { path: string }) => i.path).sort()).toEqual(["query.exclude", "query.n"]);
  });

  it('resolves "play hello" to both Hellos, ranked, with reasons', async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/resolve",
      payload: { user: knownUser, request: "play hello" },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.source).toBe("personal");
    const hellos = body.candidates.filter((c: { title: string }) => c.title === "Hello");
    const creators = hellos.flatMap((c: { creators: string[] }) => c.creators).sort();
    expect(creators).toEqual(["Adele", "Lionel Richie"]);
    const scores = body.candidates.map((c: { score: number }) => c.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const c of hellos) {
      expect(c.reasons.length).toBeGreaterThan(0);
      expect(c.confidence).toBeGreaterThan(0);
    }
  });

  it("gives similar items, affinities and explanations", async () => {
    const current = await engine.models.current();
    const item = current!.model.items[0];
    const similar = await app.inject({ url: `/v1/items/${encodeURIComponent(item)}/similar?n=4` });
    expect(similar.statusCode).toBe(200);
    expect(similar.json().source).toBe("personal");
    expect(similar.json().items).toHaveLength(4);

    const unknown = await app.inject({ url: "/v1/items/no-such-item/similar" });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json().source).toBe("unknown-item");

    const affinity = await app.inject({
      method: "POST",
      url: `/v1/users/${encodeURIComponent(knownUser)}/affinity`,
      payload: { items: [item, "no-such-item"] },
    });
    expect(affinity.statusCode).toBe(200);
    expect(affinity.json().items.map((r: { source: string }) => r.source)).toEqual([
      "personal",
      "unknown-item",
    ]);

    const explain = await app.inject({
      url: `/v1/users/${encodeURIComponent(knownUser)}/explain?item=${encodeURIComponent(item)}`,
    });
    expect(explain.statusCode).toBe(200);
    expect(explain.json()).toMatchObject({ user: knownUser, item, source: "personal" });

    const missing = await app.inject({ url: `/v1/users/${knownUser}/explain` });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().issues[0].path).toBe("query.item");
  });
});

describe("request errors", () => {
  it("rejects bad bodies with 400 and JSON paths", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/resolve",
      payload: { user: "", request: 42, candidates: ["ok", ""], surprise: true },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe("validation");
    const paths = body.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["user", "request", "candidates[1]"]));
    expect(body.issues.every((i: { message: string }) => i.message.length > 0)).toBe(true);

    const affinity = await app.inject({
      method: "POST",
      url: "/v1/users/u/affinity",
      payload: { items: "x" },
    });
    expect(affinity.statusCode).toBe(400);
    expect(affinity.json().issues[0].path).toBe("items");

    const train = await app.inject({
      method: "POST",
      url: "/v1/train",
      headers: auth,
      payload: { factors: 0, epoch: 3 },
    });
    expect(train.statusCode).toBe(400);
    const trainPaths = train.json().issues.map((i: { path: string }) => i.path);
    expect(trainPaths).toContain("factors");
  });

  it("answers malformed JSON and wrong content types as JSON", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/resolve",
      headers: { "content-type": "application/json" },
      payload: '{"user": "a", ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(res.json().error).toBe("bad-request");
    expectClean(res.body);

    const text = await app.inject({
      method: "POST",
      url: "/v1/resolve",
      headers: { "content-type": "text/csv" },
      payload: "a,b",
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toBe("unsupported-media-type");
  });

  it("answers an oversized body with 413 JSON", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/resolve",
      payload: { user: "u", request: "x".repeat(100 * 1024) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: "body-too-large" });
  });

  it("answers unknown routes with 404 JSON", async () => {
    const res = await app.inject({ url: "/v2/nothing/here?x=1" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: "not-found", message: "no route GET /v2/nothing/here" });
    const wrongMethod = await app.inject({ method: "DELETE", url: "/v1/train" });
    expect(wrongMethod.statusCode).toBe(404);
    expect(wrongMethod.json().error).toBe("not-found");
  });

  it("needs the key for writes (401 JSON) but not for reads", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: KEY }]) {
      const events = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers,
        payload: { events: [play()] },
      });
      expect(events.statusCode).toBe(401);
      expect(events.json().error).toBe("unauthorized");
      expect(events.headers["www-authenticate"]).toMatch(/^Bearer/);
      const train = await app.inject({ method: "POST", url: "/v1/train", headers, payload: {} });
      expect(train.statusCode).toBe(401);
    }
    const read = await app.inject({ url: "/v1/users/someone/recommendations" });
    expect(read.statusCode).toBe(200);
  });

  it("answers an internal failure with 500 JSON, without its message, stack or paths", async () => {
    const spy = vi
      .spyOn(engine.recommend, "similar")
      .mockRejectedValueOnce(new Error(`boom in ${dir}/secret.ts`));
    try {
      const res = await app.inject({ url: "/v1/items/x/similar" });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: "internal", message: "internal error; see the server log" });
      expectClean(res.body);
      expect(res.body).not.toContain("boom");
    } finally {
      spy.mockRestore();
    }
  });

  it("answers 404 for an unknown job", async () => {
    const res = await app.inject({ url: "/v1/jobs/nope" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe("not-found");
  });
});

describe("taught preferences over HTTP", () => {
  const tagsOf = async () => {
    const items = await engine.store.getItems();
    return new Map(items.map((i) => [i.id, i.tags]));
  };

  it('"I don\'t like country": no country in the next recommendations, the reason says why, removing it brings them back', async () => {
    const tags = await tagsOf();
    const current = await engine.models.current();
    // A listener whose top 30 holds country items, so the preference has something to do.
    let user = "";
    let before: Array<{ item: string }> = [];
    for (const u of current!.model.users) {
      const res = await app.inject({ url: `/v1/users/${u}/recommendations?n=30` });
      const items = res.json().items as Array<{ item: string }>;
      if (items.some((r) => tags.get(r.item)?.includes("country"))) {
        user = u;
        before = items;
        break;
      }
    }
    expect(user).not.toBe("");
    const taught = await app.inject({
      method: "POST",
      url: `/v1/users/${user}/preferences`,
      headers: auth,
      payload: { text: "I don't like country" },
    });
    expect(taught.statusCode).toBe(201);
    const fact = taught.json().facts[0];
    expect(fact).toMatchObject({
      polarity: "dislike",
      target: { type: "tag", value: "country" },
      active: true,
    });

    const after = await app.inject({ url: `/v1/users/${user}/recommendations?n=30` });
    const answer = after.json();
    expect(answer.items).toHaveLength(30);
    for (const r of answer.items) expect(tags.get(r.item)).not.toContain("country");
    expect(answer.preferences[0].reason).toMatch(/I don't like country/);
    expect(answer.preferences[0].items).toBeGreaterThan(0);

    const listed = await app.inject({ url: `/v1/users/${user}/preferences` });
    expect(listed.json().preferences.map((p: { id: string }) => p.id)).toEqual([fact.id]);
    const removed = await app.inject({
      method: "DELETE",
      url: `/v1/users/${user}/preferences/${fact.id}`,
      headers: auth,
    });
    expect(removed.statusCode).toBe(204);
    const back = await app.inject({ url: `/v1/users/${user}/recommendations?n=30` });
    expect(back.json().items.map((r: { item: string }) => r.item)).toEqual(before.map((r) => r.item));
    expect(back.json().preferences).toBeUndefined();
    const again = await app.inject({
      method: "DELETE",
      url: `/v1/users/${user}/preferences/${fact.id}`,
      headers: auth,
    });
    expect(again.statusCode).toBe(404);
  });

  it("says what is not a preference, and needs the key to teach", async () => {
    const bad = await app.inject({
      method: "POST",
      url: `/v1/users/${knownUser}/preferences`,
      headers: auth,
      payload: { text: "what time is it?" },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().message).toMatch(/not a preference/);
    const noKey = await app.inject({
      method: "POST",
      url: `/v1/users/${knownUser}/preferences`,
      payload: { text: "I like jazz" },
    });
    expect(noKey.statusCode).toBe(401);
  });
});

describe("POST /v1/requests", () => {
  const turn = (id: string, extra: object = {}) => ({
    requestId: id,
    user: "voice-user",
    time: "2024-02-01T08:00:00Z",
    text: "play hello",
    ...extra,
  });

  it("stores request events once and rejects bad rows by JSON path", async () => {
    const requests = [turn("q1"), turn("q2", { intentConfidence: 2 }), turn("q3", { bargeIn: true })];
    const res = await app.inject({
      method: "POST",
      url: "/v1/requests",
      headers: auth,
      payload: { requests },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 2, duplicates: 0, rejected: 1 });
    expect(res.json().rejects[0].path).toBe("requests[1].intentConfidence");
    const again = await app.inject({
      method: "POST",
      url: "/v1/requests",
      headers: auth,
      payload: { requests },
    });
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 2, rejected: 1 });
    const ingest = (await app.inject({ url: "/v1/overview" })).json().store.ingest;
    expect(ingest.rejected).toBeGreaterThanOrEqual(2);
    const stored = await engine.store.scanRequests();
    expect(stored.filter((r) => r.user === "voice-user").map((r) => [r.requestId, r.bargeIn])).toEqual([
      ["q1", false],
      ["q3", true],
    ]);
  });

  it("needs the API key", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/requests",
      payload: { requests: [turn("q9")] },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe("POST /v1/events", () => {
  it("stores a batch once: a retried batch with event ids adds nothing", async () => {
    const events = Array.from({ length: 20 }, (_, k) =>
      play({ eventId: `retry-${k}`, user: `batch-user-${k % 3}`, playedMs: 1000 * k }),
    );
    const before = (await app.inject({ url: "/healthz" })).json().events;
    const first = await app.inject({ method: "POST", url: "/v1/events", headers: auth, payload: { events } });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ accepted: 20, duplicates: 0, rejected: 0, rejects: [] });
    const again = await app.inject({ method: "POST", url: "/v1/events", headers: auth, payload: { events } });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ accepted: 0, duplicates: 20, rejected: 0, rejects: [] });
    expect(await engine.store.countPlays()).toBe(before + 20);
    expect((await app.inject({ url: "/healthz" })).json().events).toBe(before + 20);
  });

  it("keeps two identical plays without ids in one batch, and adds neither again on retry", async () => {
    const events = [play({ user: "twin" }), play({ user: "twin" })];
    const first = await app.inject({ method: "POST", url: "/v1/events", headers: auth, payload: { events } });
    expect(first.json()).toMatchObject({ accepted: 2, duplicates: 0 });
    const again = await app.inject({ method: "POST", url: "/v1/events", headers: auth, payload: { events } });
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 2 });
  });

  it("stores the good rows of a batch with bad ones and says why the rest failed", async () => {
    const before = await engine.store.countPlays();
    const ingestBefore = (await app.inject({ url: "/v1/overview" })).json().store.ingest;
    const events: unknown[] = [
      play({ eventId: "mixed-0" }),
      play({ eventId: "mixed-1", playedMs: -5 }),
      play({ eventId: "mixed-2", user: "mixed-user" }),
      { ...play({ eventId: "mixed-3" }), endTime: "yesterday" },
      "not an event",
      { ...play({ eventId: "mixed-5" }), color: "blue" },
      play({ eventId: "mixed-6", context: { deviceType: "speaker", extra: { "room name": "kitchen" } } }),
    ];
    const res = await app.inject({ method: "POST", url: "/v1/events", headers: auth, payload: { events } });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 3, duplicates: 0, rejected: 4 });
    expect(body.rejects.map((r: { index: number; path: string }) => [r.index, r.path])).toEqual([
      [1, "events[1].playedMs"],
      [3, "events[3].endTime"],
      [4, "events[4]"],
      [5, "events[5]"],
    ]);
    expect(body.rejects[3].reason).toMatch(/color/);
    expect(await engine.store.countPlays()).toBe(before + 3);
    // The batch counts in the overview like a file ingest: one more run, its rejects and accepted rows.
    const ingestAfter = (await app.inject({ url: "/v1/overview" })).json().store.ingest;
    expect(ingestAfter).toEqual({
      runs: ingestBefore.runs + 1,
      accepted: ingestBefore.accepted + 3,
      rejected: ingestBefore.rejected + 4,
      duplicates: ingestBefore.duplicates,
    });
  });

  it("checks the envelope and the batch size", async () => {
    const noArray = await app.inject({
      method: "POST",
      url: "/v1/events",
      headers: auth,
      payload: { events: 3 },
    });
    expect(noArray.statusCode).toBe(400);
    expect(noArray.json().issues[0].path).toBe("events");

    const many = Array.from({ length: 101 }, () => ({}));
    const tooMany = await app.inject({
      method: "POST",
      url: "/v1/events",
      headers: auth,
      payload: { events: many },
    });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toMatchObject({ error: "batch-too-large" });
    expect(tooMany.json().message).toMatch(/100/);
  });
});

describe("documentation and operations", () => {
  it("serves an OpenAPI 3 document built from the zod schemas", async () => {
    const res = await app.inject({ url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe("tastebud");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/healthz",
        "/metrics",
        "/v1/events",
        "/v1/requests",
        "/v1/rewrites",
        "/v1/rewrites/build",
        "/v1/items/{id}/similar",
        "/v1/items/{id}/next",
        "/v1/jobs/{id}",
        "/v1/resolve",
        "/v1/train",
        "/v1/users/{id}/affinity",
        "/v1/users/{id}/explain",
        "/v1/users/{id}/recommendations",
        "/v1/users/{id}/preferences",
        "/v1/users/{id}/preferences/{factId}",
        "/v1/users/{id}/teachable-moments",
        "/v1/overview",
        "/v1/users/{id}/history",
        "/v1/items/map",
        "/v1/evaluations",
        "/v1/requests/daily",
        "/v1/requests/failures",
        "/v1/users/{id}/playlist",
        "/v1/users/{id}/similar",
        "/v1/users/{id}/taste",
        "/v1/creators/{name}/similar",
        "/v1/blend",
        "/v1/pools",
        "/v1/pools/{name}",
        "/v1/pools/{name}/playlist",
        "/v1/users/{id}/home",
        "/v1/home/evidence",
        "/v1/home/report",
        "/v1/privacy",
        "/v1/serving",
        "/v1/impressions",
        "/v1/feedback",
      ].sort(),
    );
    const events = doc.paths["/v1/events"].post;
    const row = events.requestBody.content["application/json"].schema.properties.events.items;
    expect(Object.keys(row.properties)).toEqual(
      expect.arrayContaining(["eventId", "user", "item", "playedMs"]),
    );
    expect(row.required).toEqual(expect.arrayContaining(["user", "item", "endTime", "playedMs"]));
    expect(events.security).toEqual([{ bearer: [] }]);
    expect(events.responses["202"]).toBeDefined();
    const train = doc.paths["/v1/train"].post.requestBody.content["application/json"].schema;
    expect(train.properties.factors.type).toBe("integer");
    // The serving report documents the swaps it lists and that it may have no bus.
    const serving = doc.paths["/v1/serving"].get.responses["200"].content["application/json"].schema;
    expect(Object.keys(serving.properties.swaps.items.properties)).toEqual(
      expect.arrayContaining(["version", "cause", "readMs", "totalMs"]),
    );
    expect(serving.properties.bus.nullable ?? serving.properties.bus.anyOf).toBeTruthy();
    const recommend = doc.paths["/v1/users/{id}/recommendations"].get;
    expect(recommend.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining([
        "path:id",
        "query:n",
        "query:exclude",
        "query:kind",
        "query:tags",
        "query:creators",
      ]),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("serves the docs page and its assets from the npm package", async () => {
    const page = await app.inject({ url: "/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toMatch(/swagger-ui/i);
    const css = await app.inject({ url: "/docs/static/swagger-ui.css" });
    expect(css.statusCode).toBe(200);
    expect(css.body.length).toBeGreaterThan(1000);
    const init = await app.inject({ url: "/docs/static/swagger-initializer.js" });
    expect(init.statusCode).toBe(200);
  });

  it("reports health", async () => {
    const res = await app.inject({ url: "/healthz" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe("ok");
    expect(body.model).toBe((await engine.models.current())!.manifest.version);
    expect(body.events).toBe(await engine.store.countPlays());
  });

  it("says privacy mode is off, with an empty ledger", async () => {
    const res = await app.inject({ url: "/v1/privacy" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ mode: null, ledger: { users: 0, total: 0, median: 0, max: 0, top: [] } });
  });

  it("exposes Prometheus metrics", async () => {
    await app.inject({ url: "/v1/users/x/recommendations" });
    await app.inject({ url: "/nothing" });
    const res = await app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toMatch(
      /^tastebud_http_requests_total\{route="\/v1\/users\/:id\/recommendations",method="GET",status="200"\} \d+$/m,
    );
    expect(text).toMatch(
      /^tastebud_http_requests_total\{route="unmatched",method="GET",status="404"\} \d+$/m,
    );
    expect(text).toMatch(
      /^tastebud_http_requests_total\{route="\/v1\/events",method="POST",status="401"\} \d+$/m,
    );
    expect(text).toMatch(
      /^tastebud_http_request_duration_seconds_bucket\{route="\/v1\/users\/:id\/recommendations",method="GET",le="\+Inf"\} \d+$/m,
    );
    expect(text).toMatch(
      /^tastebud_http_request_duration_seconds_sum\{route="\/healthz",method="GET"\} [\d.e-]+$/m,
    );
    const version = (await engine.models.current())!.manifest.version;
    expect(text).toContain(`tastebud_model_info{version="${version}"} 1`);
    expect(text).toMatch(new RegExp(`^tastebud_events_stored ${await engine.store.countPlays()}$`, "m"));
    expect(text).toContain("# TYPE tastebud_http_requests_total counter");
    expect(text).toMatch(/^tastebud_event_loop_delay_max_seconds [\d.e-]+$/m);
    expect(text).toMatch(/^tastebud_event_loop_delay_p99_seconds [\d.e-]+$/m);
    // The request batches above (POST /v1/requests) rejected one row each time: counted by outcome.
    const rejected = /^tastebud_batch_rows_total\{route="\/v1\/requests",outcome="rejected"\} (\d+)$/m.exec(
      text,
    );
    expect(Number(rejected?.[1])).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^tastebud_batch_rows_total\{route="\/v1\/requests",outcome="accepted"\} \d+$/m);
    // Every sample line is `name{labels} value` or `name value` (names as Prometheus spells them).
    for (const line of text.trim().split("\n")) {
      if (line.startsWith("#")) continue;
      expect(line).toMatch(/^[a-z_][a-z0-9_]*(\{[^}]*\})? [\d.e+-]+$/);
    }
  });
});

describe("fold-in on ingest", () => {
  it("with foldIn, a new user's posted plays change their recommendations before any training", async () => {
    const folding = buildApp(engine, { apiKey: KEY, foldIn: true });
    try {
      const before = (
        await folding.inject({ method: "GET", url: "/v1/users/fresh-listener/recommendations?n=5" })
      ).json();
      expect(before.source).toBe("popularity");
      const current = await engine.models.current();
      const items = current!.model.items.slice(0, 8);
      const posted = await folding.inject({
        method: "POST",
        url: "/v1/events",
        headers: auth,
        payload: {
          events: items.map((item, n) => play({ user: "fresh-listener", item, eventId: `fold-${n}` })),
        },
      });
      expect(posted.statusCode).toBe(202);
      expect(posted.json()).toMatchObject({ accepted: 8, foldedIn: ["fresh-listener"] });
      const after = (
        await folding.inject({ method: "GET", url: "/v1/users/fresh-listener/recommendations?n=5" })
      ).json();
      expect(after.source).toBe("folded-in");
      expect(after.model).toBe(before.model);
      for (const r of after.items) expect(items).not.toContain(r.item);
    } finally {
      await folding.close();
    }
  });
});

describe("training jobs", () => {
  it("retrains in the background while recommendations keep flowing, then serves the new model", async () => {
    const oldVersion = (await app.inject({ url: "/healthz" })).json().model;
    const started = await app.inject({
      method: "POST",
      url: "/v1/train",
      headers: auth,
      payload: { factors: 16, epochs: 30, seed: 7 },
    });
    expect(started.statusCode).toBe(202);
    const { job } = started.json();
    expect(job.status).toMatch(/queued|running/);
    expect(started.headers.location).toBe(`/v1/jobs/${job.id}`);

    const second = await app.inject({ method: "POST", url: "/v1/train", headers: auth, payload: {} });
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toBe("job-running");

    const statuses: number[] = [];
    const versions = new Set<string>();
    let status = job.status;
    let polls = 0;
    while (status === "queued" || status === "running" || statuses.length < 200) {
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, k) =>
          app.inject({
            url: `/v1/users/${encodeURIComponent(k % 2 ? knownUser : "stranger")}/recommendations?n=5`,
          }),
        ),
      );
      for (const a of answers) {
        statuses.push(a.statusCode);
        if (a.statusCode === 200) versions.add(a.json().model);
      }
      const poll = await app.inject({ url: `/v1/jobs/${job.id}` });
      expect(poll.statusCode).toBe(200);
      status = poll.json().status;
      polls++;
      expect(polls).toBeLessThan(10_000);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(statuses.length).toBeGreaterThanOrEqual(200);
    expect(statuses.every((s) => s === 200)).toBe(true);

    const done = (await app.inject({ url: `/v1/jobs/${job.id}` })).json();
    expect(done.status).toBe("succeeded");
    expect(done.result.version).not.toBe(oldVersion);
    expect(done.settings).toMatchObject({ factors: 16, epochs: 30, seed: 7 });
    expect(done.progress.phase).toBe("done");
    expect(done.finishedAt).not.toBeNull();
    expect(JSON.stringify(done)).not.toContain(dir);

    const health = (await app.inject({ url: "/healthz" })).json();
    expect(health.model).toBe(done.result.version);
    expect(health.training).toBe(false);
    expect([...versions].every((v) => v === oldVersion || v === done.result.version)).toBe(true);
    // Requests answered while the job ran got the old model; later ones the new one.
    expect(versions.has(oldVersion)).toBe(true);
    expect(versions.has(done.result.version)).toBe(true);
    const after = await app.inject({ url: `/v1/users/${encodeURIComponent(knownUser)}/recommendations` });
    expect(after.json().model).toBe(done.result.version);
    expect((await app.inject({ url: "/metrics" })).body).toMatch(
      /tastebud_train_jobs_total\{status="succeeded"\} 1/,
    );
  });

  it("goes from an empty store to a served model over HTTP, logging training progress", async () => {
    const empty = await Engine.open({ store: ":memory:", models: join(dir, "empty-models") });
    const lines: string[] = [];
    const emptyApp = buildApp(empty, {
      logger: { level: "info", stream: { write: (line: string) => void lines.push(line) } },
      progressLogIntervalMs: 0,
    });
    try {
      await emptyApp.ready();
      const rec = await emptyApp.inject({ url: "/v1/users/u/recommendations" });
      expect(rec.statusCode).toBe(503);
      expect(rec.json().error).toBe("no-model");
      expect(rec.json().message).toMatch(/no trained model/);
      const health = (await emptyApp.inject({ url: "/healthz" })).json();
      expect(health).toMatchObject({ status: "ok", model: null, events: 0 });

      // No key configured on loopback: writes are open. A job on an empty store fails, and says why.
      const first = await emptyApp.inject({ method: "POST", url: "/v1/train" });
      expect(first.statusCode).toBe(202);
      await serverState(emptyApp).jobs.idle();
      const failed = (await emptyApp.inject({ url: `/v1/jobs/${first.json().job.id}` })).json();
      expect(failed.status).toBe("failed");
      expect(failed.error).toMatch(/no plays/);
      expectClean(JSON.stringify(failed));

      const events = Array.from({ length: 60 }, (_, k) =>
        play({
          eventId: `e-${k}`,
          user: `u${k % 4}`,
          item: `item-${(k * 7) % 9}`,
          endTime: new Date(Date.UTC(2024, 0, 1) + k * 60_000).toISOString(),
          playedMs: (k % 3) * 100_000,
        }),
      );
      const ingest = await emptyApp.inject({ method: "POST", url: "/v1/events", payload: { events } });
      expect(ingest.json()).toMatchObject({ accepted: 60, rejected: 0 });
      const second = await emptyApp.inject({
        method: "POST",
        url: "/v1/train",
        payload: { factors: 4, epochs: 5 },
      });
      expect(second.statusCode).toBe(202);
      await serverState(emptyApp).jobs.idle();
      const job = (await emptyApp.inject({ url: `/v1/jobs/${second.json().job.id}` })).json();
      expect(job.status).toBe("succeeded");
      expect(job.result).toMatchObject({ plays: 60, users: 4, items: 9 });
      const served = await emptyApp.inject({ url: "/v1/users/u1/recommendations?exclude=none&n=3" });
      expect(served.statusCode).toBe(200);
      expect(served.json()).toMatchObject({ source: "personal", model: job.result.version });
      expect((await emptyApp.inject({ url: "/healthz" })).json()).toMatchObject({
        model: job.result.version,
        events: 60,
      });

      const logs = lines.map((l) => JSON.parse(l));
      expect(logs.some((l) => l.msg === "training progress" && typeof l.phase === "string")).toBe(true);
      expect(logs.some((l) => l.msg === "training failed")).toBe(true);
      expect(logs.some((l) => l.msg === "training succeeded; new model serving")).toBe(true);
    } finally {
      await emptyApp.close();
      await empty.close();
    }
  });
});

describe("safety", () => {
  it("refuses a non-loopback address without a key", () => {
    expect(() => buildApp(engine, { host: "0.0.0.0" })).toThrow(ServerConfigError);
    expect(() => buildApp(engine, { host: "0.0.0.0" })).toThrow(/API key/);
    expect(() => buildApp(engine, { host: "192.168.1.4", apiKey: "" })).toThrow(ServerConfigError);
    const ok = buildApp(engine, { host: "0.0.0.0", apiKey: "k" });
    void ok.close();
  });

  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.0.2", "example.com", "128.0.0.1"])
      expect(isLoopbackHost(h)).toBe(false);
  });

  it("formats paths and scrubs messages", () => {
    expect(jsonPath(["events", 3, "playedMs"])).toBe("events[3].playedMs");
    expect(jsonPath(["context", "extra", "room name"])).toBe('context.extra["room name"]');
    expect(jsonPath(["n"], "query")).toBe("query.n");
    expect(jsonPath([])).toBe("body");
    expect(publicMessage(new Error("cannot open /home/me/data/x.duckdb: locked\nstack"))).toBe(
      "cannot open <path>: locked",
    );
  });
});
