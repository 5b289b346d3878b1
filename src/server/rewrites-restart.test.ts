import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateVoice } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { storeVoiceWorld } from "../store/voice-world-store.js";
import { startServer } from "./serve.js";

/**
 * What serving learns about rewrites (issue 19, "nothing learned is lost on restart"): the monitor's counts
 * and withdrawals, the rules' per-user gates and the open dialogues are stored and come back after a
 * restart, where before they were learned again (or not at all) from the log.
 */
describe("learned rewriting state across a server restart", () => {
  const world = simulateVoice({ users: 200, days: 14, items: 600, seed: 5 });
  let dir: string;
  let store: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tastebud-rewrites-restart-"));
    store = join(dir, "voice.duckdb");
    const engine = await Engine.open({ store, seed: 1 });
    try {
      await storeVoiceWorld(engine.store, world);
      await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 5 })));
      await engine.rewrites.build();
    } finally {
      await engine.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps withdrawals, monitor counts, rule gates and open dialogues", async () => {
    const options = { store, port: 0, logger: false as const, handleSignals: false };
    let server = await startServer(options);
    // biome-ignore lint/suspicious/noExplicitAny: test reads of JSON answers
    const json = async (r: Promise<Response>): Promise<any> => (await r).json();
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const table = (await server.engine.rewrites.current())!.table;
    // A gated rule, so that the served turns below teach its per-user gate as well as the monitor.
    const rule = table.rules.find((r) => table.gates.has(r.source)) ?? table.rules[0];
    const t0 = Date.parse("2024-03-01T10:00:00Z");
    const drift = Array.from({ length: 400 }, (_, k) => {
      // Rewritten turns now fail (barged in on); the request as said now works.
      const rewrittenServed = k % 4 !== 0;
      return {
        requestId: `drift-${k}`,
        user: `u${String(k % 50).padStart(4, "0")}`,
        time: new Date(t0 + k * 60_000).toISOString(),
        text: rewrittenServed ? rule.rewrite : rule.source,
        ...(rewrittenServed ? { rewrittenFrom: rule.source } : {}),
        responseKind: "play",
        bargeIn: rewrittenServed,
        playedMs: rewrittenServed ? 3_000 : 200_000,
      };
    });
    for (let k = 0; k < drift.length; k += 100)
      expect((await post("/v1/requests", { requests: drift.slice(k, k + 100) })).status).toBe(202);
    const song = world.catalogue.find((c) => c.kind === "song" && (c.creators ?? []).length > 0)!;
    const t1 = t0 + 2 * 86_400_000;
    const said = await post("/v1/resolve", {
      user: "dialogue-user",
      request: `play ${song.title} by ${song.creators![0]}`,
      time: new Date(t1).toISOString(),
    });
    expect(said.status).toBe(200);

    const monitorBefore = (await json(fetch(`${server.url}/v1/rewrites`))).monitor;
    const entry = monitorBefore.find((m: { source: string }) => m.source === rule.source);
    expect(entry.state).toBe("withdrawn");
    const gatesBefore = server.engine.rewrites.state().gates;
    await server.close();

    server = await startServer(options);
    try {
      const monitorAfter = (await json(fetch(`${server.url}/v1/rewrites`))).monitor;
      expect(monitorAfter).toEqual(monitorBefore);
      expect(server.engine.rewrites.state().gates).toEqual(gatesBefore);
      // The withdrawn rule stays out of service.
      for (let k = 0; k < 20; k++) {
        const answer = await json(
          post("/v1/resolve", { user: "u0001", request: rule.source, time: new Date(t1).toISOString() }),
        );
        expect(answer.rewritten).toBeNull();
      }
      // The dialogue begun before the restart goes on: "play it" means the song said 30 s earlier.
      const again = await json(
        post("/v1/resolve", {
          user: "dialogue-user",
          request: "play it",
          time: new Date(t1 + 30_000).toISOString(),
        }),
      );
      expect(again.rewritten?.by).toMatch(/^context/);
      expect(again.rewritten?.to.toLowerCase()).toContain(song.title.toLowerCase());
    } finally {
      await server.close();
    }
  });

  it("a rebuild that mines a withdrawn rule again does not bring it back", async () => {
    const engine = await Engine.open({ store: ":memory:", models: join(dir, "rebuild-models"), seed: 1 });
    try {
      await storeVoiceWorld(engine.store, world);
      await engine.rewrites.build();
      const rule = (await engine.rewrites.current())!.table.rules[0];
      const t0 = Date.parse("2024-03-01T10:00:00Z");
      for (let k = 0; k < 400; k++) {
        const rewrittenServed = k % 4 !== 0;
        // Observed only (not stored): the rebuild mines the same log, so the same rule again.
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
      const before = (await engine.rewrites.statuses()).find((s) => s.source === rule.source);
      expect(before?.state).toBe("withdrawn");
      await engine.rewrites.build();
      const rebuilt = (await engine.rewrites.current())!;
      expect(rebuilt.table.lookup(rule.source)?.rewrite).toBe(rule.rewrite);
      expect((await engine.rewrites.statuses()).find((s) => s.source === rule.source)).toEqual(before);
      // Every other rule of the new table is monitored, on trial or as it was.
      expect((await engine.rewrites.statuses()).length).toBe(rebuilt.table.rules.length);
    } finally {
      await engine.close();
    }
  });
});
