/**
 * Plays accepted over HTTP (issue 14: `POST /v1/events` with 10k-event batches from 4 connections,
 * >= 100,000 events/s accepted). A small simulated store is trained (the server starts once a model is
 * current) and served by a real `tastebud serve` (fold-in off, its default); autocannon sends every
 * prepared batch once, 4 at a time, so every event is new and each answer's `accepted` counts. The same
 * batches' events then go straight into a second store with the store's own append (no HTTP, no JSON, no
 * row validation), in the same run: the ratio says how much of the time is the HTTP path's own.
 * Two kinds of batch: plays keyed by their fields, and plays with an eventId (a different look-up).
 * A run is timed from the first request to the last answer (and the CPU read there), not to autocannon's
 * callback, which comes on its next 1 s sample tick: timed that way, every run took a whole number of seconds.
 *   npm run bench -- http-ingest [--batches 40] [--batch-size 10000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Engine } from "../src/engine.js";
import { mainThreadCpuSeconds, processCpuSeconds } from "../src/process-cpu.js";
import { type PlayEvent, playEventSchema } from "../src/schema/events.js";
import { OccurrenceCounter } from "../src/store/event-key.js";
import { startServer, storeSmallWorld } from "./serve.js";

const log = (text: string) => process.stderr.write(`${text}\n`);
const CONNECTIONS = 4;
const TARGET_EVENTS_PER_SECOND = 100_000;

export async function httpIngestBench(options: { batches?: number; batchSize?: number } = {}) {
  const batches = options.batches ?? 40;
  const batchSize = options.batchSize ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), "tastebud-http-ingest-"));
  try {
    const store = join(dir, "store.duckdb");
    const world = await storeSmallWorld(store);
    const items = world.catalogue.map((c) => c.id);
    const startMs = Date.parse("2027-01-01T00:00:00Z");
    const batchOf = (kind: "fields" | "eventId", b: number): PlayEvent[] =>
      Array.from({ length: batchSize }, (_, k) => {
        const n = b * batchSize + k;
        return {
          ...(kind === "eventId" ? { eventId: `http-bench-${n}` } : {}),
          user: `h${n % 5000}`,
          item: items[(n * 7) % items.length],
          endTime: new Date(startMs + n * 1000).toISOString(),
          playedMs: 30_000 + (n % 200) * 1000,
          itemLengthMs: 240_000,
        };
      });
    log("starting the server ...");
    const { child, url } = await startServer(store);
    const results: Record<string, unknown> = {};
    try {
      for (const [offset, kind] of (["fields", "eventId"] as const).entries()) {
        const bodies = Array.from({ length: batches }, (_, b) =>
          JSON.stringify({ events: batchOf(kind, (offset + 1) * batches + b) }),
        );
        log(`${kind}: ${batches} batches of ${batchSize} over ${CONNECTIONS} connections ...`);
        let accepted = 0;
        let failed = 0;
        let next = 0;
        // CPU seconds of the client (this process: autocannon and the answers' parsing) and of the server
        // while the batches are sent: both run on the same cores, so the client's share is not the server's.
        const cpuNow = () => ({
          client: process.cpuUsage(),
          server: processCpuSeconds(child.pid),
          serverMain: mainThreadCpuSeconds(child.pid),
        });
        const cpu0 = cpuNow();
        let answers = 0;
        let lastAnswerAt: number | null = null;
        let cpu1: ReturnType<typeof cpuNow> | null = null;
        const t0 = performance.now();
        const run = await new Promise<autocannon.Result>((resolve, reject) => {
          autocannon(
            {
              url,
              connections: CONNECTIONS,
              amount: batches,
              timeout: 120,
              requests: [
                {
                  method: "POST",
                  path: "/v1/events",
                  headers: { "content-type": "application/json" },
                  setupRequest: (r) => ({ ...r, body: bodies[next++ % bodies.length] }),
                  onResponse: (status, body) => {
                    if (status === 202) accepted += (JSON.parse(body) as { accepted: number }).accepted;
                    else failed++;
                    // The run ends at the last answer. autocannon sees that `amount` is reached only on its
                    // next sample tick (sampleInt, 1 s) and calls back then, so timing to its callback
                    // rounds every run up to whole seconds (the 65.7k / 79k / 99k "levels" of 400,000 events).
                    lastAnswerAt = performance.now();
                    if (++answers === batches) cpu1 = cpuNow();
                  },
                },
              ],
            },
            (err, result) => (err ? reject(err) : resolve(result)),
          );
        });
        const callbackAt = performance.now();
        // A batch lost to a socket error has no answer: then the span and the CPU run to the callback.
        const end = cpu1 ?? cpuNow();
        const seconds = ((lastAnswerAt ?? callbackAt) - t0) / 1000;
        const secondsToCallback = (callbackAt - t0) / 1000;
        const clientCpu = (end.client.user - cpu0.client.user + end.client.system - cpu0.client.system) / 1e6;
        const serverCpu = cpu0.server === null || end.server === null ? null : end.server - cpu0.server;
        const serverMainCpu =
          cpu0.serverMain === null || end.serverMain === null ? null : end.serverMain - cpu0.serverMain;
        const usPerEvent = (cpu: number | null) =>
          cpu === null ? null : Math.round((cpu * 1e7) / accepted) / 10;
        const cores = availableParallelism();
        results[kind] = {
          batches,
          batchSize,
          eventsSent: batches * batchSize,
          accepted,
          failedBatches: failed + run.errors,
          seconds: Math.round(seconds * 1000) / 1000,
          eventsPerSecond: Math.round(accepted / seconds),
          // The figure as timed before (to autocannon's callback, whole seconds of ticks): for comparison.
          secondsToCallback: Math.round(secondsToCallback * 1000) / 1000,
          eventsPerSecondToCallback: Math.round(accepted / secondsToCallback),
          batchLatencyMs: { p50: run.latency.p50, p99: run.latency.p99 },
          cpuSeconds: {
            client: Math.round(clientCpu * 100) / 100,
            server: serverCpu === null ? null : Math.round(serverCpu * 100) / 100,
            // Of the machine's CPU time over the run (cores x wall seconds).
            clientShareOfMachine: Math.round((clientCpu / (cores * seconds)) * 1000) / 1000,
            serverShareOfMachine:
              serverCpu === null ? null : Math.round((serverCpu / (cores * seconds)) * 1000) / 1000,
            serverEventsPerCpuSecond: serverCpu === null ? null : Math.round(accepted / serverCpu),
            // The server's JavaScript runs on its main thread alone (DuckDB's work beside it on others): at
            // 100,000 events/s that thread may spend at most 10 us per event.
            serverMainThread: serverMainCpu === null ? null : Math.round(serverMainCpu * 100) / 100,
            serverUsPerEvent: usPerEvent(serverCpu),
            serverMainThreadUsPerEvent: usPerEvent(serverMainCpu),
          },
        };
      }
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.on("close", r));
    }

    // The same events straight into a store of the same size: validation (as the route does it) and the
    // append, without HTTP or JSON.
    const direct: Record<string, unknown> = {};
    const engine2 = await Engine.open({ store: join(dir, "direct.duckdb") });
    try {
      const counter = new OccurrenceCounter();
      await engine2.store.appendPlays(
        world.events.map((event) => ({ key: counter.keyFor(event), event, source: "bench" })),
      );
      for (const [offset, kind] of (["fields", "eventId"] as const).entries()) {
        let stored = 0;
        // The batches are made before the clock starts, as the HTTP side's bodies are: making them (dates
        // formatted, objects built) is the bench's work, not the route's.
        const sent = Array.from({ length: batches }, (_, b) => batchOf(kind, (offset + 1) * batches + b));
        const t0 = performance.now();
        for (const batch of sent) {
          const rows = batch.map((row) => playEventSchema.parse(row));
          const keys = new OccurrenceCounter();
          stored += (
            await engine2.store.appendPlays(
              rows.map((event) => ({ key: keys.keyFor(event), event, source: "bench" })),
              { listInserted: true },
            )
          ).inserted;
        }
        const seconds = (performance.now() - t0) / 1000;
        direct[kind] = {
          stored,
          seconds: Math.round(seconds * 100) / 100,
          eventsPerSecond: Math.round(stored / seconds),
        };
      }
    } finally {
      await engine2.close();
    }
    const ratio = (kind: "fields" | "eventId") =>
      Math.round(
        ((results[kind] as { eventsPerSecond: number }).eventsPerSecond /
          (direct[kind] as { eventsPerSecond: number }).eventsPerSecond) *
          100,
      ) / 100;
    return {
      loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
      storedBefore: world.events.length,
      http: results,
      storeAppendDirect: direct,
      httpVsDirect: { fields: ratio("fields"), eventId: ratio("eventId") },
      target: {
        eventsPerSecond: TARGET_EVENTS_PER_SECOND,
        met:
          Math.min(
            (results.fields as { eventsPerSecond: number }).eventsPerSecond,
            (results.eventId as { eventsPerSecond: number }).eventsPerSecond,
          ) >= TARGET_EVENTS_PER_SECOND,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
