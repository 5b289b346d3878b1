/**
 * Resident memory of a served model over many requests (issue 12: "bounded everything"). A small simulated
 * store is trained, served in process (fastify inject, fold-in on), and three phases run one after another:
 *   history  -- GET /v1/users/{known}/history: one store look-up per request (prepared statements);
 *   unknown  -- GET /v1/users/{new id}/recommendations: a distinct unknown user every request;
 *   fold-in  -- POST /v1/events, one play of a new user each: every batch folds a user in (the overlays).
 * Each phase reports RSS and V8 heap before and after it (MB), with no forced garbage collection (what a
 * server sees), then after one forced collection. A phase whose RSS keeps growing holds what it should not.
 * A first phase, store, makes the same look-up as history on the store directly (no HTTP around it).
 *   npm run bench -- memory [--lookups 30000] [--writes 2000] [--max-folded-in 50000]
 * With --max-folded-in below --writes the overlays stop at the cap (the answer's `overlays`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { toTrainConfig, trainSettingsSchema } from "../src/config.js";
import { simulateWorld } from "../src/core/simulate/index.js";
import { Engine } from "../src/engine.js";
import { catalogueItemSchema } from "../src/schema/events.js";
import { buildApp } from "../src/server/app.js";
import { OccurrenceCounter } from "../src/store/event-key.js";

const KEY = "memory-bench-key";
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** RSS and heap now (MB); with `collect`, after a full collection (the bench reaches V8's gc through a flag). */
function memory(collect = false) {
  if (collect) {
    setFlagsFromString("--expose-gc");
    (runInNewContext("gc") as () => void)();
  }
  const m = process.memoryUsage();
  return { rssMB: mb(m.rss), heapMB: mb(m.heapUsed), externalMB: mb(m.external) };
}

export async function memoryBench(
  options: { lookups?: number; writes?: number; maxFoldedInUsers?: number } = {},
) {
  const lookups = options.lookups ?? 30_000;
  // Each write commits to the store file (about 50 ms on a shared 2-core machine): fewer than look-ups.
  const writes = options.writes ?? 2000;
  const dir = mkdtempSync(join(tmpdir(), "tastebud-memory-"));
  const engine = await Engine.open({
    store: join(dir, "store.duckdb"),
    models: join(dir, "models"),
    maxFoldedInUsers: options.maxFoldedInUsers,
  });
  try {
    const world = simulateWorld({ users: 100, items: 500, days: 10, seed: 3 });
    await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
    const counter = new OccurrenceCounter();
    await engine.store.appendPlays(
      world.events.map((event) => ({ key: counter.keyFor(event), event, source: "bench" })),
    );
    await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 16, epochs: 5 })));
    const app = buildApp(engine, { apiKey: KEY, foldIn: true, rateLimit: false });
    await app.ready();
    const users = (await engine.models.require()).model.users;
    const items = (await engine.models.require()).model.items;
    const phases: Record<string, unknown> = {};
    const run = async (name: string, n: number, request: (k: number) => Promise<number>) => {
      const before = memory();
      const started = performance.now();
      let failed = 0;
      for (let k = 0; k < n; k++) if ((await request(k)) >= 400) failed++;
      const seconds = (performance.now() - started) / 1000;
      const after = memory();
      const collected = memory(true);
      phases[name] = {
        requests: n,
        failed,
        requestsPerSec: Math.round(n / seconds),
        before,
        after,
        afterCollection: collected,
        rssGrowthMB: Math.round((after.rssMB - before.rssMB) * 10) / 10,
      };
      process.stderr.write(`${name}: ${JSON.stringify(phases[name])}\n`);
    };
    const baseline = memory(true);
    await run("store", lookups, async (k) => {
      await engine.store.recentPlays(users[k % users.length], 20);
      return 200;
    });
    await run("history", lookups, async (k) => {
      const res = await app.inject({ url: `/v1/users/${users[k % users.length]}/history?limit=20` });
      return res.statusCode;
    });
    await run("unknown", lookups, async (k) => {
      const res = await app.inject({ url: `/v1/users/unknown-${k}/recommendations?n=10` });
      return res.statusCode;
    });
    await run("fold-in", writes, async (k) => {
      const res = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { authorization: `Bearer ${KEY}` },
        payload: {
          events: [
            {
              user: `new-${k}`,
              item: items[k % items.length],
              endTime: new Date(Date.UTC(2025, 0, 1) + k * 1000).toISOString(),
              playedMs: 180_000,
              itemLengthMs: 200_000,
            },
          ],
        },
      });
      return res.statusCode;
    });
    const overlays = (await engine.models.require()).overlays.size;
    await app.close();
    return {
      world: { plays: world.events.length, users: users.length, items: items.length },
      maxFoldedInUsers: (await engine.models.require()).overlays.max,
      baseline,
      phases,
      overlays,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
