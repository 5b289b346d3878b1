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
    for (const path of [
      "/v1/users/{id}/playlist",
      "/v1/users/{id}/similar",
      "/v1/creators/{name}/similar",
      "/v1/users/{id}/taste",
    ])
      expect(doc.paths).toHaveProperty([path]);
  });

  it("finds similar users by the cosine of their factor vectors (checked by a direct loop)", async () => {
    const current = await engine.models.require();
    const { users, factors } = current.model;
    const k = factors.factors;
    const u = 3;
    const vec = (v: number) => Array.from(factors.userFactors.subarray(v * k, (v + 1) * k));
    const cos = (a: number[], b: number[]) =>
      a.reduce((s, x, f) => s + x * b[f], 0) /
      Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
    const expected = users
      .map((name, v) => ({ name, s: cos(vec(u), vec(v)) }))
      .filter((x) => x.name !== users[u])
      .sort((a, b) => b.s - a.s)
      .slice(0, 5);
    const body = (await app.inject({ url: `/v1/users/${users[u]}/similar?n=5` })).json();
    expect(body.users.map((x: { user: string }) => x.user)).toEqual(expected.map((x) => x.name));
    expect(body.users[0].similarity).toBeCloseTo(expected[0].s, 5);
    const unknown = await app.inject({ url: "/v1/users/nobody/similar" });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/unknown user nobody/);
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

  it("pools: stores versions, ranks a pool per listener under its rules, editor's order for a stranger", async () => {
    const current = await engine.models.require();
    const songs = current.view.byModelIndex
      .filter((i) => i?.kind === "song")
      .slice(0, 12)
      .map((i) => i!.id);
    const definition = {
      items: songs,
      rules: { length: 6, opener: songs[5], before: [[songs[3], songs[0]]] },
    };
    const denied = await app.inject({ method: "PUT", url: "/v1/pools/fresh-finds", payload: definition });
    expect(denied.statusCode).toBe(401);
    const auth = { authorization: "Bearer k" };
    const put = await app.inject({
      method: "PUT",
      url: "/v1/pools/fresh-finds",
      payload: definition,
      headers: auth,
    });
    expect(put.statusCode).toBe(201);
    expect(put.json().version).toBe(1);
    const again = await app.inject({
      method: "PUT",
      url: "/v1/pools/fresh-finds",
      payload: { ...definition, items: [...songs, "nope"] },
      headers: auth,
    });
    expect(again.json()).toMatchObject({ version: 2, unknownItems: ["nope"] });
    const bad = await app.inject({
      method: "PUT",
      url: "/v1/pools/empty",
      payload: { description: "x" },
      headers: auth,
    });
    expect(bad.statusCode).toBe(400);
    expect(
      (await app.inject({ url: "/v1/pools" }))
        .json()
        .pools.map((p: { name: string; version: number }) => `${p.name} v${p.version}`),
    ).toEqual(["fresh-finds v2"]);

    const mine = (await app.inject({ url: `/v1/pools/fresh-finds/playlist?user=${user}` })).json();
    expect(mine.source).toBe("personal");
    expect(mine.tracks).toHaveLength(6);
    expect(mine.tracks[0].item).toBe(songs[5]);
    expect(mine.tracks[0].placed).toBe("opener");
    const ids = mine.tracks.map((t: { item: string }) => t.item);
    if (ids.includes(songs[3]) && ids.includes(songs[0]))
      expect(ids.indexOf(songs[3])).toBeLessThan(ids.indexOf(songs[0]));
    const rest = mine.tracks.slice(1).map((t: { relevance: number }) => t.relevance);
    expect(rest.length).toBe(5);

    const stranger = (await app.inject({ url: "/v1/pools/fresh-finds/playlist?user=someone-new" })).json();
    expect(stranger.source).toBe("editor");
    // The opener, then the editor's order, with songs[0] moved to just after songs[3].
    expect(stranger.tracks.map((t: { item: string }) => t.item)).toEqual([
      songs[5],
      songs[1],
      songs[2],
      songs[3],
      songs[0],
      songs[4],
    ]);

    expect(
      (await app.inject({ method: "DELETE", url: "/v1/pools/fresh-finds", headers: auth })).statusCode,
    ).toBe(204);
    expect((await app.inject({ url: `/v1/pools/fresh-finds/playlist?user=${user}` })).statusCode).toBe(400);
  });
});
