/**
 * Resident memory of a served model over many requests (issue 12: "bounded everything"). A small simulated
 * store is trained and served on loopback (fold-in on); a client in another process (bench/http-client.mjs)
 * sends the requests, so the bench process's heap holds the server's objects only. Phases, in turn:
 *   unknown  -- GET /v1/users/{new id}/recommendations over a socket, a distinct unknown user every request
 *               (--unknown, 100,000);
 *   store    -- the history look-up on the store directly, no HTTP (--lookups);
 *   history  -- GET /v1/users/{known}/history over a socket (two store look-ups each; --lookups);
 *   fold-in  -- POST /v1/events over a socket, one play of a new user each (--writes): every batch folds a
 *               user in (the overlays, an LRU of --max-folded-in users);
 *   inject   -- the unknown-user route through fastify's app.inject, in process: how this bench measured
 *               before. light-my-request's fake sockets and responses stay reachable for a while after each
 *               answer (a heap snapshot shows them, with pending Immediates), which read as ~11 KB of heap
 *               "retained" per request although a real server keeps none of it.
 * Each phase runs in four equal chunks; after each chunk one forced collection, then RSS and V8 heap (MB).
 * `heapRetainedBytesPerRequest` is the collected heap's growth over the phase per request;
 * `rssSecondHalfMB` is RSS growth over the phase's second half: DuckDB's allocator keeps freed blocks for
 * reuse, so RSS climbs to a plateau in the first thousands of look-ups, and only a climb after it is a leak.
 *   npm run bench -- memory [--unknown 100000] [--lookups 3000] [--writes 1000] [--max-folded-in 50000]
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { toTrainConfig, trainSettingsSchema } from "../src/config.js";
import { simulateWorld } from "../src/core/simulate/index.js";
import { Engine } from "../src/engine.js";
import { catalogueItemSchema } from "../src/schema/events.js";
import { buildApp } from "../src/server/app.js";
import { OccurrenceCounter } from "../src/store/event-key.js";

const KEY = "memory-bench-key";
const CHUNKS = 4;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const run = promisify(execFile);

/** RSS and heap (MB) after a full collection (the bench reaches V8's gc through a flag). */
function collected() {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  const m = process.memoryUsage();
  return { rssMB: mb(m.rss), heapMB: mb(m.heapUsed), heapBytes: m.heapUsed, rssBytes: m.rss };
}

interface ClientRequest {
  method?: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function memoryBench(
  options: { unknown?: number; lookups?: number; writes?: number; maxFoldedInUsers?: number } = {},
) {
  const unknown = options.unknown ?? 100_000;
  // Each look-up is two DuckDB queries (a few ms each on a loaded 2-core machine): fewer than unknown users.
  const lookups = options.lookups ?? 3000;
  // Each write commits to the store file (about 50 ms under load): fewer still.
  const writes = options.writes ?? 1000;
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
    await app.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const { users, items } = (await engine.models.require()).model;
    const phases: Record<string, unknown> = {};

    /** Runs `n` requests in CHUNKS chunks through `chunk(first, count)`, measuring after each. */
    const phase = async (
      name: string,
      n: number,
      chunk: (first: number, count: number) => Promise<{ failed: number }>,
    ) => {
      const start = collected();
      const points = [start];
      let failed = 0;
      const started = performance.now();
      for (let c = 0; c < CHUNKS; c++) {
        const first = Math.round((c * n) / CHUNKS);
        failed += (await chunk(first, Math.round(((c + 1) * n) / CHUNKS) - first)).failed;
        points.push(collected());
      }
      const seconds = (performance.now() - started) / 1000;
      const end = points[CHUNKS];
      const half = points[CHUNKS / 2];
      phases[name] = {
        requests: n,
        failed,
        requestsPerSec: Math.round(n / seconds),
        rssMB: points.map((p) => p.rssMB),
        heapMB: points.map((p) => p.heapMB),
        heapRetainedBytesPerRequest: Math.round((end.heapBytes - start.heapBytes) / n),
        rssGrowthMB: mb(end.rssBytes - start.rssBytes),
        rssSecondHalfMB: mb(end.rssBytes - half.rssBytes),
      };
      process.stderr.write(`${name}: ${JSON.stringify(phases[name])}\n`);
    };
    /** A chunk sent by the client process over 4 keep-alive connections. */
    const overSocket =
      (request: ClientRequest) =>
      async (first: number, count: number): Promise<{ failed: number }> => {
        const { stdout } = await run(process.execPath, [
          join(import.meta.dirname, "http-client.mjs"),
          base,
          JSON.stringify({ ...request, first, count, connections: 4 }),
        ]);
        return JSON.parse(stdout);
      };
    const recommendUnknown = "/v1/users/unknown-{k}/recommendations?n=10";

    await phase("unknown", unknown, overSocket({ path: recommendUnknown.replace("{k}", "s{k}") }));
    await phase("store", lookups, async (first, count) => {
      for (let k = first; k < first + count; k++) await engine.store.recentPlays(users[k % users.length], 20);
      return { failed: 0 };
    });
    await phase("history", lookups, overSocket({ path: `/v1/users/${users[3]}/history?limit=20` }));
    await phase(
      "fold-in",
      writes,
      overSocket({
        method: "POST",
        path: "/v1/events",
        headers: { authorization: `Bearer ${KEY}` },
        body: {
          events: [
            {
              user: "new-{k}",
              item: items[7],
              endTime: new Date(Date.UTC(2025, 0, 1)).toISOString(),
              playedMs: 180_000,
              itemLengthMs: 200_000,
            },
          ],
        },
      }),
    );
    await phase("inject", Math.min(unknown, 5000), async (first, count) => {
      let failed = 0;
      for (let k = first; k < first + count; k++) {
        const res = await app.inject({ url: recommendUnknown.replace("{k}", String(k)) });
        if (res.statusCode >= 400) failed++;
      }
      return { failed };
    });
    const current = await engine.models.require();
    await app.close();
    return {
      world: { plays: world.events.length, users: users.length, items: items.length },
      maxFoldedInUsers: current.overlays.max,
      overlays: current.overlays.size,
      phases,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
