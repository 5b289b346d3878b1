/**
 * The replicas part of `npm run bench -- cluster`: two `tastebud serve` replicas (--bus, --fold-in) on one
 * PostgreSQL store and one NATS JetStream stream, next to one server on an embedded DuckDB file holding the
 * same plays and model (the baseline, measured in the same run). Figures:
 *   - requests/s and p50/p99 of GET recommendations at one replica, at both at once, and at the DuckDB server;
 *   - p99 while a replica swaps in a new model (from the registry's announcement until it serves it) against
 *     its steady p99 (target: at most 3x), and failed requests (target: 0); the replica's own longest
 *     event-loop delay over the same two windows (its /metrics), which does not depend on how many
 *     ordinary requests the swap's window holds;
 *   - bus apply latency: from a replica's 202 for a play to the other replica answering from it (target p99 <= 1 s);
 *   - a replica SIGKILLed and restarted: failures at the other meanwhile (target 0), and the time from restart
 *     to serving the current model with the same answers (target <= 10 s).
 * Skips, saying why, when PostgreSQL or NATS cannot be used.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { NatsBus } from "../src/bus/nats-bus.js";
import { toTrainConfig, trainSettingsSchema } from "../src/config.js";
import { simulateWorld } from "../src/core/simulate/world.js";
import { Engine } from "../src/engine.js";
import { catalogueItemSchema, type PlayEvent } from "../src/schema/events.js";
import { OccurrenceCounter } from "../src/store/event-key.js";
import { PostgresEventStore } from "../src/store/postgres/postgres-store.js";
import { ScratchDatabases } from "../src/store/postgres/scratch-databases.js";

const KEY = "bench-cluster-key";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

interface Replica {
  child: ChildProcess;
  url: string;
}

async function serve(args: string[], port: number): Promise<Replica> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      cliPath,
      "serve",
      ...args,
      "--port",
      String(port),
      "--log-level",
      "warn",
      "--rate-limit",
      "0",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let k = 0; k < 1200; k++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode})`);
    const health = await fetch(`${url}/healthz`).catch(() => null);
    if (health?.ok && ((await health.json()) as { model: string | null }).model) return { child, url };
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error("server did not start in 120 s");
}

const cliPath = new URL("../src/cli/main.ts", import.meta.url).pathname;

/** Runs a script of this checkout by tsx (as the replicas run) to its end and returns what it printed. */
function runScript(path: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path} ${args[0] ?? ""}: exit ${code}`)),
    );
  });
}

interface Sample {
  at: number;
  ms: number;
  ok: boolean;
}

/** `connections` keep-alive loops of GET recommendations at `url` until `stop()`; each request's time and outcome. */
function drive(url: string, users: string[], connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const samples: Sample[] = [];
  let stopped = false;
  const one = (path: string) =>
    new Promise<boolean>((resolve) => {
      const req = http.get(`${url}${path}`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200));
      });
      req.on("error", () => resolve(false));
    });
  const loops = Array.from({ length: connections }, async (_, c) => {
    for (let k = c; !stopped; k += connections) {
      const t = performance.now();
      const ok = await one(`/v1/users/${encodeURIComponent(users[k % users.length])}/recommendations?n=10`);
      samples.push({ at: Date.now(), ms: performance.now() - t, ok });
    }
  });
  return {
    samples,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

function summary(samples: Sample[], seconds?: number) {
  const ms = samples.filter((s) => s.ok).map((s) => s.ms);
  return {
    requests: samples.length,
    failed: samples.filter((s) => !s.ok).length,
    ...(seconds ? { requestsPerSec: Math.round(samples.length / seconds) } : {}),
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
  };
}

/**
 * The replica's event-loop delay since the previous call (its /metrics gauges, reset by each scrape), in ms:
 * the longest turn its serving thread could not answer in; null when the replica does not report it.
 */
async function eventLoopOf(url: string): Promise<{ maxMs: number; p99Ms: number } | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const gauge = (name: string) => {
    const m = new RegExp(`^${name} ([\\d.e+-]+)$`, "m").exec(text);
    return m ? Math.round(Number(m[1]) * 1e4) / 10 : null;
  };
  const maxMs = gauge("tastebud_event_loop_delay_max_seconds");
  const p99Ms = gauge("tastebud_event_loop_delay_p99_seconds");
  return maxMs === null || p99Ms === null ? null : { maxMs, p99Ms };
}

async function steady(urls: string[], users: string[], seconds: number) {
  const drives = urls.map((u) => drive(u, users, 4));
  await sleep(seconds * 1000);
  for (const d of drives) await d.stop();
  return drives.map((d) => summary(d.samples, seconds));
}

export async function clusterReplicasBench(log: (t: string) => void) {
  const scratch = new ScratchDatabases();
  const unavailable = await scratch.unavailable();
  if (unavailable) return { skipped: unavailable };
  const stream = `tastebud_bench_${process.pid}`;
  let bus: NatsBus;
  try {
    bus = await NatsBus.open(`${process.env.TASTEBUD_TEST_NATS ?? "nats://127.0.0.1:4222"}/${stream}`);
  } catch (err) {
    return { skipped: (err as Error).message };
  }
  const dir = mkdtempSync(join(tmpdir(), "tastebud-bench-replicas-"));
  const children: ChildProcess[] = [];
  const loadStart = load();
  try {
    const world = simulateWorld({ users: 600, items: 3000, days: 20, seed: 21 });
    const config = toTrainConfig(trainSettingsSchema.parse({ factors: 16, epochs: 6 }));
    const seed = async (store: string, models: string) => {
      const engine = await Engine.open({ store, models });
      try {
        const counter = new OccurrenceCounter();
        await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
        await engine.store.appendPlays(
          world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
        );
        await engine.affinity.train(config, { serve: false });
      } finally {
        await engine.close();
      }
    };
    const pgUrl = await scratch.create();
    const duckPath = join(dir, "baseline.duckdb");
    await seed(pgUrl, join(dir, "models-trainer"));
    await seed(duckPath, join(dir, "models-duck"));
    log(`seeded ${world.events.length} plays into PostgreSQL and DuckDB, trained both`);

    const replicaArgs = (name: string) => [
      "--store",
      pgUrl,
      "--models",
      join(dir, `models-${name}`),
      "--bus",
      bus.location.replace("nats://", "nats://"),
      "--fold-in",
      "--api-key",
      KEY,
    ];
    const [portA, portB, portD] = [await freePort(), await freePort(), await freePort()];
    const duck = await serve(["--store", duckPath, "--models", join(dir, "models-duck")], portD);
    children.push(duck.child);
    const users = world.truth.users.slice(0, 500);
    const [duckSteady] = await steady([duck.url], users, 8);
    duck.child.kill("SIGTERM");
    await sleep(1000);
    let a = await serve(replicaArgs("a"), portA);
    let b = await serve(replicaArgs("b"), portB);
    children.push(a.child, b.child);
    log("replicas up");
    const [oneReplica] = await steady([a.url], users, 8);
    const both = await steady([a.url, b.url], users, 8);

    // Swaps under load at replica a. What makes the new version current runs in a process of its own (as
    // a trainer on another box would), so this thread, which times the requests, does none of its work;
    // the steady p99 is measured just before, with nothing else running. Twice: a version `tastebud train`
    // saved on this machine (the replica reads its folder), and one registered from elsewhere (the
    // replica fetches its files from the store first, as a replica on another machine does).
    const registry = await PostgresEventStore.open(pgUrl);
    const announced = new Map<string, number>();
    // The replica's event-loop window starts when the version is announced (it hears it at the same time).
    let swapLoopFrom: Promise<unknown> = Promise.resolve();
    const watching = await registry.watchModels((version) => {
      if (version && !announced.has(version)) {
        announced.set(version, Date.now());
        swapLoopFrom = eventLoopOf(a.url).catch(() => null);
      }
    });
    const swapOnce = async (publish: () => Promise<string>) => {
      await eventLoopOf(a.url);
      const steadyRun = drive(a.url, users, 4);
      await sleep(8000);
      await steadyRun.stop();
      const steadyLoop = await eventLoopOf(a.url);
      const driving = drive(a.url, users, 4);
      const version = await publish();
      let swappedAt = 0;
      for (let k = 0; k < 3000 && !swappedAt; k++) {
        const h = (await (await fetch(`${a.url}/healthz`)).json()) as { model: string };
        if (h.model === version) swappedAt = Date.now();
        else await sleep(20);
      }
      await swapLoopFrom;
      const swapLoop = await eventLoopOf(a.url);
      await sleep(1000);
      await driving.stop();
      const from = announced.get(version) ?? Number.NaN;
      const inSwap = driving.samples.filter((s) => s.at >= from && s.at <= swappedAt + 200);
      return {
        version,
        swapMs: swappedAt - from,
        steady: summary(steadyRun.samples),
        during: summary(inSwap),
        // The serving thread's event-loop delay, steady (the 8 s above) and from announcement to serving.
        eventLoop: { steady: steadyLoop, during: swapLoop },
        failedInRun:
          driving.samples.filter((s) => !s.ok).length + steadyRun.samples.filter((s) => !s.ok).length,
      };
    };
    const trainerModels = join(dir, "models-trainer");
    const sameMachine = await swapOnce(async () => {
      const out = await runScript(cliPath, [
        "train",
        "--store",
        pgUrl,
        "--models",
        trainerModels,
        "--factors",
        "16",
        "--epochs",
        "6",
        "--json",
      ]);
      return (JSON.parse(out) as { version: string }).version;
    });
    log(
      `swap (same machine) in ${sameMachine.swapMs} ms: p99 ${sameMachine.during.p99Ms} vs steady ${sameMachine.steady.p99Ms}`,
    );
    // bench/register-elsewhere.ts: a copy of that version registered under a path the replicas cannot open.
    const fromStore = await swapOnce(async () =>
      (
        await runScript(new URL("./register-elsewhere.ts", import.meta.url).pathname, [
          pgUrl,
          join(trainerModels, sameMachine.version),
          join(dir, "elsewhere"),
        ])
      ).trim(),
    );
    log(
      `swap (files from the store) in ${fromStore.swapMs} ms: p99 ${fromStore.during.p99Ms} vs steady ${fromStore.steady.p99Ms}`,
    );
    await watching.close();
    await registry.close();
    const swap = { sameMachine, fromStore };
    const trainer = await Engine.open({ store: pgUrl, models: trainerModels });

    // Bus apply latency: a play posted at a, answered from at b.
    const items = (await trainer.models.current())?.model.items ?? [];
    await trainer.close();
    const applyMs: number[] = [];
    for (let k = 0; k < 40; k++) {
      const user = `bus-probe-${k}`;
      const play: PlayEvent = {
        user,
        item: items[(k * 13) % items.length],
        endTime: new Date().toISOString(),
        playedMs: 200_000,
        itemLengthMs: 210_000,
      };
      const r = await fetch(`${a.url}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ events: [play] }),
      });
      const accepted = Date.now();
      if (r.status !== 202) throw new Error(`POST /v1/events: ${r.status}`);
      for (let t = 0; t < 2000; t++) {
        const s = (await (
          await fetch(`${b.url}/v1/users/${user}/affinity`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ items: [play.item] }),
          })
        ).json()) as { items: Array<{ source: string }> };
        if (s.items[0]?.source === "folded-in") break;
        await sleep(2);
      }
      applyMs.push(Date.now() - accepted);
    }
    const busApply = {
      samples: applyMs.length,
      p50Ms: quantile(applyMs, 0.5),
      p99Ms: quantile(applyMs, 0.99),
    };
    log(`bus apply p99 ${busApply.p99Ms} ms`);

    // SIGKILL b under load at a; restart it; time to the current model and a's answers.
    const survivor = drive(a.url, users, 4);
    b.child.kill("SIGKILL");
    await sleep(1000);
    const restartAt = Date.now();
    b = await serve(replicaArgs("b"), portB);
    children.push(b.child);
    const servingMs = Date.now() - restartAt;
    const probe = async (r: Replica) =>
      JSON.stringify(
        await Promise.all(
          Array.from({ length: 10 }, (_, k) =>
            fetch(`${r.url}/v1/users/bus-probe-${k}/recommendations?n=10`).then((x) => x.json()),
          ),
        ),
      );
    let caughtUpMs: number | null = null;
    for (let k = 0; k < 200 && caughtUpMs === null; k++) {
      if ((await probe(a)) === (await probe(b))) caughtUpMs = Date.now() - restartAt;
      else await sleep(50);
    }
    await survivor.stop();
    const restart = {
      servingMs,
      caughtUpMs,
      failedAtOther: survivor.samples.filter((s) => !s.ok).length,
      requestsAtOther: survivor.samples.length,
    };
    log(`restart: serving in ${servingMs} ms, caught up in ${caughtUpMs} ms`);
    a = { ...a };
    const ratio = (x: number | undefined, y: number | undefined) =>
      x && y ? Math.round((x / y) * 100) / 100 : null;
    return {
      plays: world.events.length,
      duckdbServer: duckSteady,
      oneReplica,
      bothReplicas: both,
      ratios: {
        oneReplicaToDuckdb: ratio(oneReplica.requestsPerSec, duckSteady.requestsPerSec),
        bothReplicasToDuckdb: ratio(
          (both[0].requestsPerSec ?? 0) + (both[1].requestsPerSec ?? 0),
          duckSteady.requestsPerSec,
        ),
        swapP99ToSteadyP99: ratio(
          sameMachine.during.p99Ms ?? undefined,
          sameMachine.steady.p99Ms ?? undefined,
        ),
        swapFromStoreP99ToSteadyP99: ratio(
          fromStore.during.p99Ms ?? undefined,
          fromStore.steady.p99Ms ?? undefined,
        ),
        swapLoopMaxToSteadyLoopMax: ratio(
          sameMachine.eventLoop.during?.maxMs,
          sameMachine.eventLoop.steady?.maxMs,
        ),
        swapFromStoreLoopMaxToSteadyLoopMax: ratio(
          fromStore.eventLoop.during?.maxMs,
          fromStore.eventLoop.steady?.maxMs,
        ),
      },
      swap,
      busApply,
      restart,
      targets: {
        swapNoFailures: sameMachine.failedInRun === 0 && fromStore.failedInRun === 0,
        swapP99AtMost3xSteady: [sameMachine, fromStore].every(
          (x) => x.during.p99Ms !== null && x.steady.p99Ms !== null && x.during.p99Ms <= 3 * x.steady.p99Ms,
        ),
        busApplyP99AtMost1s: (busApply.p99Ms ?? Number.POSITIVE_INFINITY) <= 1000,
        otherReplicaNoFailures: restart.failedAtOther === 0,
        restartCaughtUpWithin10s: caughtUpMs !== null && caughtUpMs <= 10_000,
      },
      load: { start: loadStart, end: load() },
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await sleep(300);
    await bus.removeStream().catch(() => {});
    await bus.close().catch(() => {});
    await scratch.dropAll().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
