import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "./config.js";
import { FailurePointClassifier, failureBreakdown, turnCatalogue } from "./core/failures/index.js";
import { requestReadings } from "./core/matching/index.js";
import { simulateVoice } from "./core/simulate/index.js";
import { turnFromEvent } from "./core/voice/turn.js";
import { Engine } from "./engine.js";
import { buildApp } from "./server/app.js";
import { storeVoiceWorld } from "./store/voice-world-store.js";

/** The rewrite path end to end: request log in the store -> rewrites build -> resolve rewrites, over HTTP too. */
describe("Engine on a simulated voice assistant", () => {
  const world = simulateVoice({ users: 200, days: 14, items: 600, seed: 5 });
  let engine: Engine;
  let app: FastifyInstance;
  const KEY = "k";

  beforeAll(async () => {
    engine = await Engine.open({
      store: ":memory:",
      models: mkdtempSync(join(tmpdir(), "tastebud-voice-")),
      seed: 1,
    });
    await storeVoiceWorld(engine.store, world);
    await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 5 })));
    app = buildApp(engine, { apiKey: KEY });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  it("answers without rewriting before a table is built", async () => {
    const answer = await engine.voice.resolve("u0001", "play hello");
    expect(answer.rewritten).toBeNull();
    expect((await app.inject({ url: "/v1/rewrites" })).json()).toEqual({
      version: null,
      rules: [],
      refused: [],
      monitor: [],
    });
  });

  it("builds a rewrite table from the request log and applies it before resolution, saying so", async () => {
    const built = await app.inject({
      method: "POST",
      url: "/v1/rewrites/build",
      headers: { authorization: `Bearer ${KEY}` },
      payload: {},
    });
    expect(built.statusCode).toBe(200);
    const result = built.json();
    expect(result.turns).toBe(world.requests.length);
    expect(result.rules).toBeGreaterThan(3);
    for (const r of result.top) {
      expect(r.rewrite).not.toBe(r.source);
      expect(r.rewriteSuccess - r.sourceDirectSuccess).toBeGreaterThanOrEqual(0.2);
    }
    // Each rule applies where its gate finds it precise: a user it helped before gets it.
    const table = (await engine.rewrites.current())!.table;
    const helped = table.rules.flatMap((r) =>
      Object.entries(table.gates.get(r.source)?.users ?? {})
        .filter(([u, g]) => g.sum / g.n > 0.5 && table.decide(r.source, u)?.apply)
        .map(([u]) => ({ rule: r, user: u })),
    );
    expect(helped.length).toBeGreaterThan(0);
    const { rule, user } = helped[0];

    // About 5% of requests are held out (served as said) so the monitor keeps learning the original's rate.
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => engine.voice.resolve(user, rule.source)),
    );
    const served = answers.filter((a) => a.rewritten !== null);
    expect(served.length).toBeGreaterThanOrEqual(30);
    expect(served[0].rewritten).toEqual({ from: rule.source, to: rule.rewrite, by: "markov" });
    const plain = await engine.voice.resolve(user, rule.source, { rewrite: false });
    expect(plain.rewritten).toBeNull();
    // A user the rule failed (the source worked for them as said) keeps their words.
    const hurt = Object.entries(table.gates.get(rule.source)?.users ?? {}).find(
      ([u, g]) => g.sum / g.n <= -0.5 && !table.decide(rule.source, u)?.apply,
    );
    if (hurt) expect((await engine.voice.resolve(hurt[0], rule.source)).rewritten).toBeNull();
    const http = await app.inject({
      method: "POST",
      url: "/v1/resolve",
      payload: { user, request: rule.source },
    });
    expect([rule.rewrite, undefined]).toContain(http.json().rewritten?.to);
    const listed = (await app.inject({ url: "/v1/rewrites" })).json();
    expect(listed.rules.length).toBe(result.rules);
    // The meaning check's verdicts come along: why each rule keeps the meaning, which routes it refused.
    const current = await engine.rewrites.current();
    expect(listed.refused).toEqual(JSON.parse(JSON.stringify(current?.table.stats.changedMeaning ?? [])));
    expect(listed.rules.map((r: { meaning?: string }) => r.meaning)).toEqual(
      current?.table.rules.map((r) => r.meaning),
    );
  });

  it("with online rewriting on, a user's own nickname for a favourite is rewritten to it (personal layer)", async () => {
    const learned = await engine.rewrites.enableOnline();
    expect(learned.turns).toBe(world.requests.length);
    const nicknames = world.users.flatMap((u) =>
      u.quirks.filter((q) => q.type === "nickname").map((q) => ({ user: u.id, ...q })),
    );
    let right = 0;
    let personal = 0;
    for (const q of nicknames) {
      const answer = await engine.voice.resolve(q.user, q.phrase, { usePreferences: false });
      if (answer.rewritten?.by === "personal") personal++;
      if (answer.candidates[0]?.item === q.item) right++;
    }
    expect(nicknames.length).toBeGreaterThan(3);
    expect(personal / nicknames.length).toBeGreaterThan(0.5);
    expect(right / nicknames.length).toBeGreaterThan(0.5);
    // Someone else saying the same words is not rewritten to that user's favourite.
    const q = nicknames[0];
    const stranger = await engine.voice.resolve("a-stranger", q.phrase, { usePreferences: false });
    expect(stranger.rewritten?.by).not.toBe("personal");
  });

  it("reports which stage fails most in the stored log, close to the truth", async () => {
    // Trained on another simulated assistant (other seed): the store's own labels are never seen.
    const other = simulateVoice({ users: 200, days: 10, items: 600, seed: 9 });
    const classifier = FailurePointClassifier.train(
      other.requests.map(turnFromEvent),
      other.truth.map((t) => t.label),
      turnCatalogue(other.catalogue.map((c) => ({ id: c.id, title: c.title, kind: c.kind }))),
    );
    const report = await engine.voice.failureReport({ classifier });
    const truth = failureBreakdown(
      world.requests.map(turnFromEvent),
      world.truth.map((t) => t.label),
    );
    expect(report.turns).toBe(world.requests.length);
    expect(report.classifier).toBe("given");
    expect(Math.abs(report.failures - truth.failures) / truth.failures).toBeLessThan(0.15);
    expect(report.worstStage).toBe(truth.worstStage);
    for (const [intent, g] of Object.entries(truth.byIntent)) {
      if (g.turns < 200) continue;
      expect(Math.abs(report.byIntent[intent].failureRate - g.failureRate), intent).toBeLessThan(0.06);
    }
  });

  it("withdraws a rewrite whose served outcomes turn bad against the hold-out, and stops serving it", async () => {
    const current = await engine.rewrites.current();
    const rule = current!.table.rules[0];
    const t0 = Date.parse("2024-03-01T10:00:00Z");
    for (let k = 0; k < 400; k++) {
      // Rewritten turns now fail (barged in on); the request as said now works.
      const rewrittenServed = k % 4 !== 0;
      engine.rewrites.observe({
        requestId: `drift-${k}`,
        user: `u${k % 50}`,
        time: new Date(t0 + k * 60_000).toISOString(),
        text: rewrittenServed ? rule.rewrite : rule.source,
        ...(rewrittenServed ? { rewrittenFrom: rule.source } : {}),
        responseKind: "play",
        bargeIn: rewrittenServed,
        playedMs: rewrittenServed ? 3_000 : 200_000,
      });
    }
    const status = (await engine.rewrites.statuses()).find((s) => s.source === rule.source);
    expect(status?.state).toBe("withdrawn");
    for (let k = 0; k < 20; k++)
      expect((await engine.voice.resolve("u0001", rule.source)).rewritten).toBeNull();
    const listed = (await app.inject({ url: "/v1/rewrites" })).json().monitor;
    expect(listed.find((m: { source: string }) => m.source === rule.source).state).toBe("withdrawn");
  });

  it("ranks first an item of the kind a rewrite names, whatever the device prefers", async () => {
    const rules = (await engine.rewrites.current())?.table.rules ?? [];
    // The kinds a kind word accepts, as the matcher reads them.
    const compatible: Record<string, string[]> = {
      movie: ["movie", "video"],
      video: ["video", "movie"],
      book: ["book", "audiobook"],
      audiobook: ["audiobook", "book"],
    };
    const devices = [
      { deviceType: "tv", hasScreen: true },
      { deviceType: "speaker", hasScreen: false },
    ];
    let judged = 0;
    for (const rule of rules) {
      const kind = requestReadings(rule.rewrite)[0]?.kindHint;
      if (!kind) continue;
      for (const context of devices) {
        // What `resolve` ranks once the table rewrote the request (served as said: no hold-out draw).
        const answer = await engine.voice.resolve("u0001", rule.rewrite, { rewrite: false, context });
        const top = answer.candidates[0];
        const accepts = (k: string) => (compatible[kind] ?? [kind]).includes(k);
        // Judged where the catalogue has an item of that kind among the matches.
        if (!top || !answer.candidates.some((c) => accepts(c.kind))) continue;
        judged++;
        expect(accepts(top.kind), `"${rule.rewrite}" on a ${context.deviceType}: ${top.item}`).toBe(true);
      }
    }
    expect(judged).toBeGreaterThan(3);
  });

  it("a follow-up that leans on the previous turn is rewritten from it (the contextual layer)", async () => {
    const song = world.catalogue.find((c) => c.kind === "song" && (c.creators ?? []).length > 0)!;
    const user = "dialogue-user";
    const t0 = Date.parse("2024-04-01T10:00:00Z");
    await engine.voice.resolve(user, `play ${song.title} by ${song.creators![0]}`, { timeMs: t0 });
    const again = await engine.voice.resolve(user, "play it", { timeMs: t0 + 30_000 });
    expect(again.rewritten?.by).toMatch(/^context/);
    expect(again.rewritten?.to.toLowerCase()).toContain(song.title.toLowerCase());
    expect(again.candidates[0]?.item).toBe(song.id);
    // Minutes later the dialogue is over: nothing to lean on.
    const later = await engine.voice.resolve(user, "play it", { timeMs: t0 + 3_600_000 });
    expect(later.rewritten).toBeNull();
  });

  it("most mined rewrites point at what the users of the source meant", async () => {
    const current = await engine.rewrites.current();
    const rules = current?.table.rules ?? [];
    // For each rule: among the simulated turns that said the source, what did their speakers mean, and
    // does resolving the rewrite find it (judged by the simulator's own assistant-independent truth)?
    const meant = new Map<string, Map<string, number>>();
    world.requests.forEach((r, k) => {
      const item = world.truth[k].intendedItem;
      if (!item) return;
      const key = r.text
        .toLowerCase()
        .replace(/[^a-z0-9 ]/g, "")
        .trim();
      const m = meant.get(key) ?? new Map<string, number>();
      m.set(item, (m.get(item) ?? 0) + 1);
      meant.set(key, m);
    });
    let right = 0;
    let judged = 0;
    for (const rule of rules) {
      const m = meant.get(rule.source);
      if (!m) continue;
      const top = [...m].sort((a, b) => b[1] - a[1])[0][0];
      const answer = await engine.voice.resolve("someone", rule.source, { usePreferences: false });
      judged++;
      if (answer.candidates[0]?.item === top) right++;
    }
    expect(judged).toBeGreaterThan(3);
    expect(right / judged).toBeGreaterThan(0.6);
  });
});
