/**
 * What well-formed requests see while the hostile HTTP corpus (test/faults/http-hostile-corpus.ts: the
 * fault suite's malformed, deep, huge and mistyped bodies) is sent to the same `tastebud serve` (issue 12:
 * every hostile input answered in under 100 ms, and the server goes on serving). A small simulated store is
 * trained; autocannon drives GET recommendations of known users (CONNECTIONS, default 4) for --seconds,
 * first alone (the baseline), then while one client sends the corpus back to back. Figures: the
 * well-formed requests' p50/p99 in both phases and their ratio, and the slowest hostile answer per case.
 *   npm run bench -- hostile [--seconds 10]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type autocannon from "autocannon";
import { hostileCorpus, postRaw } from "../test/faults/http-hostile-corpus.js";
import { drive, startServer, storeSmallWorld } from "./serve.js";

const log = (text: string) => process.stderr.write(`${text}\n`);

export async function hostileBench(options: { seconds?: number } = {}) {
  const seconds = options.seconds ?? 10;
  const connections = Number(process.env.CONNECTIONS ?? 4);
  const dir = mkdtempSync(join(tmpdir(), "tastebud-hostile-bench-"));
  try {
    const store = join(dir, "store.duckdb");
    const world = await storeSmallWorld(store);
    const users = [...new Set(world.events.map((e) => e.user))];
    const item = world.events[0].item;
    const corpus = hostileCorpus(item);
    log("starting the server ...");
    const { child, url } = await startServer(store);
    try {
      let n = 0;
      const wellFormed: autocannon.Request[] = [
        {
          method: "GET",
          setupRequest: (r) => ({
            ...r,
            path: `/v1/users/${users[n++ % users.length]}/recommendations?n=10`,
          }),
        },
      ];
      const summary = (r: autocannon.Result) => ({
        requestsPerSec: Math.round(r.requests.average),
        latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
        errors: r.errors + r.non2xx,
        total: r.requests.total,
      });
      log(`well-formed alone for ${seconds} s ...`);
      const alone = await drive(url, wellFormed, seconds, connections);

      log(`well-formed while the hostile corpus is sent, ${seconds} s ...`);
      const slowest = new Map<string, number>();
      const wrong: string[] = [];
      let sent = 0;
      let sending = true;
      const sender = (async () => {
        while (sending)
          for (const c of corpus) {
            if (!sending) break;
            const headers: Record<string, string> = {};
            if (c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
            const t = performance.now();
            const res = await postRaw(url, c.path ?? "/v1/events", headers, c.body);
            const ms = performance.now() - t;
            sent++;
            slowest.set(c.name, Math.max(slowest.get(c.name) ?? 0, ms));
            if (res.status !== c.status) wrong.push(`${c.name}: ${res.status}, expected ${c.status}`);
          }
      })();
      const during = await drive(url, wellFormed, seconds, connections);
      sending = false;
      await sender;
      const round = (x: number) => Math.round(x * 10) / 10;
      const worst = [...slowest].sort((a, b) => b[1] - a[1]);
      return {
        connections,
        seconds,
        loadAverage: loadavg().map(round),
        wellFormedAlone: summary(alone),
        wellFormedDuringHostile: summary(during),
        // The figure: how much the corpus stretches a well-formed request's tail, in the same run.
        p99DuringVsAlone: round((during.latency.p99 / Math.max(alone.latency.p99, 1)) * 100) / 100,
        hostile: {
          sent,
          cases: corpus.length,
          wrongAnswers: [...new Set(wrong)],
          slowestMs: round(worst[0]?.[1] ?? 0),
          over100Ms: worst.filter(([, ms]) => ms > 100).map(([name, ms]) => `${name}: ${round(ms)} ms`),
          slowestByCase: Object.fromEntries(worst.map(([name, ms]) => [name, round(ms)])),
        },
      };
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.on("close", r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
