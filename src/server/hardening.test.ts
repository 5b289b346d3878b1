import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import { type AppOptions, buildApp, serverState } from "./app.js";
import { foreignHost, foreignOrigin, hostName } from "./request-guards.js";

/**
 * The server's limits and guards (issue 12, points 2, 3, 4, 11, 12), each against the app with its
 * defaults unless the case is about an option.
 */

const KEY = "write-key-123";
const READ_KEY = "read-key-456";
const auth = { authorization: `Bearer ${KEY}` };

let dir: string;
let engine: Engine;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-hardening-"));
  engine = await Engine.open({ store: ":memory:", models: join(dir, "models") });
  const world = simulateWorld({ users: 20, items: 80, days: 10, seed: 5 });
  await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await engine.store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "test" })),
  );
  await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 3 })));
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function appWith(options: AppOptions = {}): Promise<FastifyInstance> {
  const app = buildApp(engine, { apiKey: KEY, ...options });
  apps.push(app);
  await app.ready();
  return app;
}

const play = (k: number) => ({
  user: `bulk-${k}`,
  item: "Adele|Hello",
  endTime: "2024-03-01T10:00:00Z",
  playedMs: 200_000,
});

describe("body limits per route", () => {
  it("refuses a 100 KiB body on a read route but takes a 1 MB batch on the ingest route", async () => {
    const app = await appWith();
    const resolve = await app.inject({
      method: "POST",
      url: "/v1/resolve",
      payload: { user: "u", request: "play hello", candidates: Array(3000).fill("x".repeat(30)) },
    });
    expect(resolve.statusCode).toBe(413);
    expect(resolve.json()).toEqual({
      error: "body-too-large",
      message: "request body is larger than 65536 bytes",
    });

    const events = Array.from({ length: 8000 }, (_, k) => play(k));
    const payload = JSON.stringify({ events });
    expect(payload.length).toBeGreaterThan(600_000);
    const ingest = await app.inject({
      method: "POST",
      url: "/v1/events",
      headers: { ...auth, "content-type": "application/json" },
      payload,
    });
    expect(ingest.statusCode).toBe(202);
    expect(ingest.json().accepted).toBe(8000);
  });

  it("takes ASCII and other UTF-8 bodies as written, and refuses bytes that are not UTF-8", async () => {
    const app = await appWith();
    const post = (payload: Buffer) =>
      app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { ...auth, "content-type": "application/json" },
        payload,
      });
    // Users ASCII and not (Latin-1 range, beyond it, astral), so the ASCII path and the decoding one both run.
    const users = ["utf8-plain", "utf8-é", "utf8-ü€", "utf8-😀"];
    for (const [k, user] of users.entries()) {
      const event = { eventId: `utf8-${k}`, user, item: "i", endTime: "2024-01-01T00:00:00Z", playedMs: 1 };
      const answer = await post(Buffer.from(JSON.stringify({ events: [event] }), "utf8"));
      expect(answer.statusCode).toBe(202);
      expect(answer.json().accepted).toBe(1);
      // Found by the id as sent: stored as written, not mangled by the decoding.
      expect(await engine.store.recentPlays(user, 10)).toHaveLength(1);
    }
    // 0xe9 alone is "é" in Latin-1 but not UTF-8; 0xc3 0x28 is a broken two-byte sequence.
    for (const bad of [[0xe9], [0xc3, 0x28]]) {
      const text = Buffer.from(
        '{"events":[{"eventId":"x","user":"u","item":"i","endTime":"2024-01-01T00:00:00Z","playedMs":1}]}',
      );
      const at = text.indexOf('u"');
      const body = Buffer.concat([text.subarray(0, at), Buffer.from(bad), text.subarray(at)]);
      const answer = await post(body);
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error).toBe("invalid-utf8");
    }
  });

  it("refuses a deeply nested 16 MB body and a huge string before parsing, as 400 JSON", async () => {
    const app = await appWith();
    const depth = 8_000_000;
    const bomb = `{"events":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const deep = await app.inject({
      method: "POST",
      url: "/v1/events",
      headers: { ...auth, "content-type": "application/json" },
      payload: bomb,
    });
    expect(deep.statusCode).toBe(400);
    expect(deep.json().error).toBe("json-too-deep");

    const long = await app.inject({
      method: "POST",
      url: "/v1/requests",
      headers: auth,
      payload: { requests: [{ requestId: "r", user: "u", text: "x".repeat(1_000_000) }] },
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().error).toBe("json-string-too-long");
  });
});

describe("path parameters as long as the schemas say", () => {
  it("answers user ids of 101 to 200 characters, and longer ids with a 4xx in our error shape", async () => {
    const app = await appWith();
    for (const length of [100, 101, 150, 200]) {
      const res = await app.inject({ url: `/v1/users/${"u".repeat(length)}/recommendations` });
      expect(res.statusCode, `length ${length}`).toBe(200);
    }
    const tooLong = await app.inject({ url: `/v1/users/${"u".repeat(201)}/recommendations` });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ error: "validation", issues: [{ path: "params.id" }] });

    // Item ids go to 1,000 characters; past the longest id any schema takes, the router answers 414.
    const item = await app.inject({ url: `/v1/items/${"i".repeat(1000)}/similar` });
    expect(item.statusCode).not.toBe(414);
    for (const length of [1001, 20_000]) {
      const res = await app.inject({ url: `/v1/items/${"i".repeat(length)}/similar` });
      expect(res.statusCode).toBe(414);
      expect(res.json()).toEqual({
        error: "uri-too-long",
        message: "a path segment is longer than 1000 characters",
      });
    }
    const badEscape = await app.inject({ url: "/v1/users/%E0%A4%A/recommendations" });
    expect(badEscape.statusCode).toBe(400);
    expect(badEscape.json().error).toBe("bad-request");
  });
});

describe("cross-site requests on the loopback default", () => {
  it("refuses a body-less POST /v1/train from a foreign origin without starting a job", async () => {
    const app = await appWith({ apiKey: null });
    const res = await app.inject({
      method: "POST",
      url: "/v1/train",
      headers: { origin: "http://evil.example", host: "127.0.0.1:8080" },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe("forbidden-origin");
    expect(serverState(app).jobs.active).toBeNull();
  });

  it("refuses a foreign Host (DNS rebinding) and takes the server's own origin", async () => {
    const app = await appWith({ apiKey: null });
    const rebound = await app.inject({
      url: "/v1/users/u/preferences",
      headers: { host: "evil.example:8080" },
    });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json().error).toBe("forbidden-host");
    const own = await app.inject({
      url: "/v1/users/u/preferences",
      headers: { host: "localhost:8080", origin: "http://localhost:8080" },
    });
    expect(own.statusCode).toBe(200);
    const allowed = await appWith({ apiKey: null, allowedOrigins: ["https://app.example"] });
    const listed = await allowed.inject({
      url: "/v1/users/u/preferences",
      headers: { origin: "https://app.example" },
    });
    expect(listed.statusCode).toBe(200);
  });

  it("answers 415 to bodies that are not JSON (what a cross-site form can send)", async () => {
    const app = await appWith({ apiKey: null });
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await app.inject({
        method: "POST",
        url: "/v1/train",
        headers: { "content-type": type },
        payload: "{}",
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error).toBe("unsupported-media-type");
    }
    expect(serverState(app).jobs.active).toBeNull();
  });

  it("knows host names and origins", () => {
    expect(hostName("[::1]:8080")).toBe("::1");
    expect(hostName("localhost:80")).toBe("localhost");
    expect(hostName("127.0.0.1")).toBe("127.0.0.1");
    expect(foreignHost("127.0.0.1:9", true)).toBeNull();
    expect(foreignHost("app.localhost", true)).toBeNull();
    expect(foreignHost("10.0.0.5:8080", true)).not.toBeNull();
    expect(foreignHost("evil.example", false)).toBeNull();
    expect(foreignOrigin(undefined, "localhost", new Set())).toBeNull();
    expect(foreignOrigin("null", "localhost", new Set())).not.toBeNull();
    expect(foreignOrigin("http://localhost:81", "localhost:80", new Set())).not.toBeNull();
    expect(foreignOrigin("HTTP://LOCALHOST:80", "localhost:80", new Set())).toBeNull();
  });
});

describe("users' data behind a key on a public address", () => {
  const personal = [
    "/v1/users/u/preferences",
    "/v1/users/u/teachable-moments",
    "/v1/users/u/explain?item=x",
    "/v1/users/u/history",
    "/v1/users/u/recommendations",
  ];

  it("needs the API key for reads on a non-loopback address; health and docs stay public", async () => {
    const app = await appWith({ host: "0.0.0.0" });
    for (const url of personal) {
      const res = await app.inject({ url, headers: { host: "203.0.113.7:8080" } });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error).toBe("unauthorized");
      const withKey = await app.inject({ url, headers: { ...auth, host: "203.0.113.7:8080" } });
      expect(withKey.statusCode, url).not.toBe(401);
    }
    for (const url of ["/healthz", "/metrics", "/openapi.json"])
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    expect(doc.paths["/v1/users/{id}/preferences"].get.security).toEqual([{ bearer: [] }]);
  });

  it("a read key opens reads but not writes; the write key opens both", async () => {
    const app = await appWith({ readKey: READ_KEY });
    const read = { authorization: `Bearer ${READ_KEY}` };
    expect((await app.inject({ url: personal[0] })).statusCode).toBe(401);
    expect((await app.inject({ url: personal[0], headers: read })).statusCode).toBe(200);
    expect((await app.inject({ url: personal[0], headers: auth })).statusCode).toBe(200);
    const write = await app.inject({
      method: "POST",
      url: "/v1/events",
      headers: read,
      payload: { events: [] },
    });
    expect(write.statusCode).toBe(401);
  });

  it("keeps reads open on loopback without a read key (the local default)", async () => {
    const app = await appWith();
    expect((await app.inject({ url: personal[0] })).statusCode).toBe(200);
  });
});

describe("rate limit per client", () => {
  it("answers 429 in our error shape past the limit", async () => {
    const app = await appWith({ rateLimit: { max: 3, includeLoopback: true } });
    const codes = [];
    for (let k = 0; k < 5; k++)
      codes.push((await app.inject({ url: "/v1/users/u/recommendations" })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const res = await app.inject({ url: "/healthz" });
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toBe("too-many-requests");
    expect(res.headers["retry-after"]).toBeDefined();
  });

  it("leaves loopback clients alone by default", async () => {
    const app = await appWith({ rateLimit: { max: 2 } });
    for (let k = 0; k < 5; k++) expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
  });
});

describe("timeouts", () => {
  it("answers 503 when a route takes longer than the handler timeout", async () => {
    const app = await appWith({ handlerTimeoutMs: 50 });
    const spy = vi.spyOn(engine.recommend, "forUser").mockImplementationOnce(() => new Promise(() => {}));
    try {
      const res = await app.inject({ url: "/v1/users/u/recommendations" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ error: "timeout", message: "the answer took too long; try again" });
    } finally {
      spy.mockRestore();
    }
  });

  it("cuts off a client that never finishes its request (slowloris) with 408", async () => {
    const app = await appWith({ requestTimeoutMs: 200 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.server.address() as { port: number };
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      let text = "";
      socket.on("data", (d) => {
        text += d.toString();
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      // Headers that never end: the server must not wait for the rest forever.
      socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
