import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateWorld } from "../../core/simulate/index.js";
import type { Engine } from "../../engine.js";
import { engineOnSimulatedWorld } from "../../services/simulated-engine.js";
import { buildApp } from "../app.js";

let dir: string;
let engine: Engine;
let app: FastifyInstance;
let user: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-playlists-http-"));
  const world = simulateWorld({ users: 60, items: 300, days: 20, seed: 3 });
  engine = await engineOnSimulatedWorld(world, { factors: 16, epochs: 10 }, join(dir, "models"));
  user = (await engine.models.require()).model.users[0];
  app = buildApp(engine, { apiKey: "k", bodyLimit: 64 * 1024, maxBatch: 100 });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("playlist routes", () => {
  it("serves a playlist with a reason per track and its summary", async () => {
    const res = await app.inject({ url: `/v1/users/${user}/playlist?kind=mix&length=12&familiar=0.25` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.kind).toBe("mix");
    expect(body.tracks).toHaveLength(12);
    expect(body.tracks.filter((t: { familiar: boolean }) => t.familiar)).toHaveLength(3);
    for (const t of body.tracks) expect(t.reason.length).toBeGreaterThan(0);
    expect(body.summary.maxPerArtist).toBeLessThanOrEqual(2);
  });

  it("answers 400 with the reason for a radio without a seed or an out-of-range dial", async () => {
    const radio = await app.inject({ url: `/v1/users/${user}/playlist?kind=radio` });
    expect(radio.statusCode).toBe(400);
    expect(radio.json().message).toMatch(/seed/);
    const dial = await app.inject({ url: `/v1/users/${user}/playlist?familiar=2` });
    expect(dial.statusCode).toBe(400);
    expect(JSON.stringify(dial.json())).toMatch(/familiar/);
  });

  it("serves similar creators, similar users and a taste profile, all in the OpenAPI document", async () => {
    const similar = await app.inject({ url: "/v1/creators/Adele/similar?n=3" });
    expect(similar.statusCode).toBe(200);
    expect(similar.json().creators).toHaveLength(3);
    const unknown = await app.inject({ url: "/v1/creators/Nobody%20Known/similar" });
    expect(unknown.statusCode).toBe(400);
    expect((await app.inject({ url: `/v1/users/${user}/similar?n=2` })).json().users).toHaveLength(2);
    const taste = (await app.inject({ url: `/v1/users/${user}/taste` })).json();
    expect(taste.topCreators.length).toBeGreaterThan(0);
    const doc = (await app.inject({ url: "/openapi.json" })).json();
    for (const path of ["/v1/users/{id}/playlist", "/v1/creators/{name}/similar", "/v1/users/{id}/taste"])
      expect(doc.paths).toHaveProperty([path]);
  });

  it("serves a Blend of two users with whose taste each track serves, and rejects a Blend of one", async () => {
    const other = (await engine.models.require()).model.users[1];
    const res = await app.inject({ url: `/v1/blend?users=${user},${other}&length=8` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.users).toEqual([user, other]);
    expect(body.tracks).toHaveLength(8);
    for (const t of body.tracks) for (const who of t.for) expect([user, other]).toContain(who);
    expect(Object.keys(body.policies).sort()).toEqual(["alternating", "blend", "mean"]);
    expect((await app.inject({ url: `/v1/blend?users=${user}` })).statusCode).toBe(400);
  });
});
