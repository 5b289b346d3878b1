import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import { buildApp, serverState } from "./app.js";
import type { JobView } from "./routes/training-schemas.js";

const KEY = "jobs-key";
const auth = { authorization: `Bearer ${KEY}` };

let dir: string;
let engine: Engine;
let app: FastifyInstance;
let url: string;
let firstVersion: string;

/** 42k simulated plays: WARP's 500 epochs on them take seconds, so a job is still running when polled. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-jobs-"));
  // 1,000 items above 500: every model swap builds the approximate index too (on its own thread).
  engine = await Engine.open({ store: join(dir, "jobs.duckdb"), approximateAbove: 500 });
  const world = simulateWorld({ users: 200, items: 1000, days: 30, seed: 3 });
  await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await engine.store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "test" })),
  );
  firstVersion = (
    await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 2 })))
  ).version;
  app = buildApp(engine, { apiKey: KEY });
  url = await app.listen({ host: "127.0.0.1", port: 0 });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string) => {
  const res = await fetch(`${url}${path}`);
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
  return { status: res.status, body: (await res.json()) as any };
};
const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
  return { status: res.status, body: (await res.json()) as any };
};

/** Polls the job until `until` holds for its view; every poll is a real HTTP answer. */
async function pollJob(id: string, until: (job: JobView) => boolean): Promise<JobView> {
  for (;;) {
    const { body } = await get(`/v1/jobs/${id}`);
    if (until(body as JobView)) return body as JobView;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const midTraining = (job: JobView) =>
  job.status !== "running" ||
  (job.progress.phase.startsWith("train ") &&
    job.progress.done > 0 &&
    job.progress.done < job.progress.total);

describe("training jobs off the serving thread", () => {
  it("answers /healthz and stores an event while a WARP job trains; cancel keeps the previous model", async () => {
    const started = await send("POST", "/v1/train", { loss: "warp", factors: 32, epochs: 500, seed: 1 });
    expect(started.status).toBe(202);
    const id = started.body.job.id as string;

    // Training has started its epochs and not finished them: every answer below came while it ran.
    const during = await pollJob(id, midTraining);
    expect(during.status).toBe("running");
    const health = await get("/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ training: true, model: firstVersion });
    const stored = await send("POST", "/v1/events", {
      events: [
        { user: "late-listener", item: "late-song", endTime: "2024-06-01T10:00:00Z", playedMs: 200_000 },
      ],
    });
    expect(stored.status).toBe(202);
    expect(stored.body).toMatchObject({ accepted: 1 });
    const after = await get(`/v1/jobs/${id}`);
    // The job was still mid-training after both answers (a thread-blocking job could not have let them through).
    expect(after.body.status).toBe("running");
    expect(after.body.progress.done).toBeLessThan(after.body.progress.total);

    const cancelled = await send("DELETE", `/v1/jobs/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled");
    expect(cancelled.body.error).toMatch(/previous model/);
    expect((await get("/healthz")).body).toMatchObject({ model: firstVersion, training: false });
    expect((await engine.store.currentModel())?.version).toBe(firstVersion);
    // Nothing of the cancelled run was published: the only version folder is the first one.
    expect(readdirSync(engine.modelsDir).filter((f) => !f.startsWith("."))).toEqual([firstVersion]);

    // Cancelling again, or an unknown job, or without the key.
    expect((await send("DELETE", `/v1/jobs/${id}`)).status).toBe(409);
    expect((await send("DELETE", "/v1/jobs/no-such-job")).status).toBe(404);
    expect((await send("DELETE", `/v1/jobs/${id}`, undefined, {})).status).toBe(401);

    // The event accepted during the job is in the next training's window (BPR on threads this time).
    const before = await engine.store.countPlays();
    const next = await send("POST", "/v1/train", {
      factors: 8,
      epochs: 2,
      threads: Math.min(2, availableParallelism()),
    });
    expect(next.status).toBe(202);
    const done = await pollJob(
      next.body.job.id,
      (job) => job.status !== "running" && job.status !== "queued",
    );
    expect(done.status).toBe("succeeded");
    expect(done.result?.plays).toBe(before);
    const current = await engine.models.current();
    expect(current?.manifest.version).toBe(done.result?.version);
    expect(current?.userIndex.has("late-listener")).toBe(true);
    expect(current?.topN.kind).toBe("approximate");
    expect(readdirSync(join(engine.modelsDir, done.result?.version ?? ""))).toContain(
      "approximate-index-m16-ef64.usearch",
    );
    expect((await get("/healthz")).body.model).toBe(done.result?.version);
  }, 60_000);

  it("rejects settings beyond the request limits with a 400 naming each field", async () => {
    for (const [field, value] of [
      ["factors", 257],
      ["epochs", 501],
      ["threads", availableParallelism() + 1],
    ] as const) {
      const res = await send("POST", "/v1/train", { [field]: value });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("validation");
      expect(res.body.issues).toEqual([{ path: field, message: expect.stringMatching(/^at most \d+/) }]);
    }
    expect(serverState(app).jobs.active).toBeNull();
  });

  it("cancels a running job on shutdown, leaving the previous model current and no half-written version", async () => {
    const other = await Engine.open({ store: join(dir, "shutdown.duckdb") });
    const world = simulateWorld({ users: 200, items: 1000, days: 30, seed: 4 });
    const counter = new OccurrenceCounter();
    await other.store.appendPlays(
      world.events.map((event) => ({ key: counter.keyFor(event), event, source: "test" })),
    );
    const previous = (
      await other.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 1 })), {
        serve: false,
      })
    ).version;
    const closing = buildApp(other);
    try {
      await closing.ready();
      const started = await closing.inject({
        method: "POST",
        url: "/v1/train",
        payload: { loss: "warp", epochs: 500 },
      });
      const id = started.json().job.id;
      const jobs = serverState(closing).jobs;
      for (;;) {
        const job = jobs.get(id);
        if (job && midTraining(job)) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(jobs.get(id)?.status).toBe("running");
      await closing.close();
      expect(jobs.get(id)?.status).toBe("cancelled");
      expect((await other.store.currentModel())?.version).toBe(previous);
      expect(readdirSync(other.modelsDir)).toEqual([previous]);
    } finally {
      await closing.close();
      await other.close();
    }
  }, 60_000);
});
