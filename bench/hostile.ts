/**
 * What well-formed requests see while the hostile HTTP corpus (test/faults/http-hostile-corpus.ts: the
 * fault suite's malformed, deep, huge and mistyped bodies) is sent to the same `tastebud serve` (issue 12:
 * every hostile input answered in under 100 ms, and the server goes on serving). A small simulated store is
 * trained. First each hostile body is sent 20 times with nothing else in flight (its own answer time);
 * then autocannon drives GET recommendations of known users (CONNECTIONS, default 4) for --seconds, alone
 * (the baseline), then while one client sends the corpus back to back. Figures: each case's p50/max alone,
 * the well-formed requests' p50/p99 in both phases and their ratio, and the slowest hostile answer per case
 * under that load.
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
    const headersOf = (c: (typeof corpus)[number]) => {
      const headers: Record<string, string> = {};
      if (c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
      return headers;
    };
    const round = (x: number) => Math.round(x * 10) / 10;
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
      // Each hostile body on its own, nothing else in flight: what the server itself takes to refuse it,
      // apart from queueing behind well-formed traffic (the phase after the next).
      log("the hostile corpus alone, each case 20 times ...");
      const byCaseAlone: Record<string, { p50: number; max: number }> = {};
      for (const c of corpus) {
        const ms: number[] = [];
        for (let k = 0; k < 20; k++) {
          const t = performance.now();
          await postRaw(url, c.path ?? "/v1/events", headersOf(c), c.body);
          ms.push(performance.now() - t);
        }
        ms.sort((a, b) => a - b);
        byCaseAlone[c.name] = { p50: round(ms[10]), max: round(ms[19]) };
      }

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
            const t = performance.now();
            const res = await postRaw(url, c.path ?? "/v1/events", headersOf(c), c.body);
            const ms = performance.now() - t;
            sent++;
            slowest.set(c.name, Math.max(slowest.get(c.name) ?? 0, ms));
            if (res.status !== c.status) wrong.push(`${c.name}: ${res.status}, expected ${c.status}`);
          }
      })();
      const during = await drive(url, wellFormed, seconds, connections);
      sending = false;
      await sender;
      const worst = [...slowest].sort((a, b) => b[1] - a[1]);
      return {
        connections,
        seconds,
        loadAverage: loadavg().map(round),
        wellFormedAlone: summary(alone),
        wellFormedDuringHostile: summary(during),
        // The figure: how much the corpus stretches a well-formed request's tail, in the same run.
        p99DuringVsAlone: round((during.latency.p99 / Math.max(alone.latency.p99, 1)) * 100) / 100,
        // Sent one at a time with nothing else in flight: the "under 100 ms" for the server itself.
        hostileAlone: {
          over100Ms: Object.entries(byCaseAlone)
            .filter(([, q]) => q.max > 100)
            .map(([name]) => name),
          slowestMaxMs: Math.max(...Object.values(byCaseAlone).map((q) => q.max)),
          byCase: byCaseAlone,
        },
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
