import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema, eventTimeMs, type PlayEvent } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import { buildApp } from "./app.js";

/**
 * What the events routes store and teach when batches overlap (issue 12, points 5 and 6): fold-in and the
 * online rewriter see each stored row once, and a time without an offset means UTC on every path.
 */

const KEY = "correctness-key";
const auth = { authorization: `Bearer ${KEY}` };

let dir: string;
let engine: Engine;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-events-"));
  engine = await Engine.open({ store: ":memory:", models: join(dir, "models") });
  const world = simulateWorld({ users: 30, items: 120, days: 10, seed: 5 });
  await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await engine.store.appendPlays(
    world.events.map((event) => ({ key: counter.keyFor(event), event, source: "test" })),
  );
  await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 5 })));
  app = buildApp(engine, { apiKey: KEY, foldIn: true });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (url: string, payload: object) => app.inject({ method: "POST", url, headers: auth, payload });

describe("fold-in with overlapping retries", () => {
  it("folds in only the rows a batch stored: the folded counts equal the stored plays", async () => {
    const current = (await engine.models.current())!;
    const [liked, other] = current.model.items;
    const play = (n: number, item: string): PlayEvent => ({
      eventId: `retry-${n}`,
      user: "retrying-client",
      item,
      endTime: `2024-05-01T10:0${n}:00Z`,
      playedMs: 180_000,
      itemLengthMs: 200_000,
    });
    const plays = [play(1, liked), play(2, liked), play(3, other), play(4, liked)];
    // A client that retries with overlapping windows: 4 distinct plays sent 8 times.
    const batches = [[plays[0], plays[1]], [plays[0], plays[1], plays[2]], plays.slice(1), [plays[3]]];
    const accepted: number[] = [];
    for (const events of batches) {
      const res = await post("/v1/events", { events });
      expect(res.statusCode).toBe(202);
      accepted.push(res.json().accepted);
    }
    expect(accepted).toEqual([2, 1, 1, 0]);
    const stored = await engine.store.recentPlays("retrying-client", 100);
    expect(stored).toHaveLength(4);
    const storedOn = (item: string) => stored.filter((p) => p.item === item).length;
    const overlay = (await engine.models.current())!.overlays.get("retrying-client")!;
    expect(overlay.count.reduce((sum, n) => sum + n, 0)).toBe(stored.length);
    // explain reads the folded-in overlay (it ignored it before), so its play counts are the overlay's.
    const explained = async (item: string) =>
      (
        await app.inject({ url: `/v1/users/retrying-client/explain?item=${encodeURIComponent(item)}` })
      ).json();
    const onLiked = await explained(liked);
    expect(onLiked.source).toBe("folded-in");
    expect(onLiked.history.plays).toBe(storedOn(liked));
    expect((await explained(other)).history.plays).toBe(storedOn(other));
    // The other folded item is among the plays that explain the liked one.
    expect(onLiked.becauseOf.map((b: { item: string }) => b.item)).toEqual([other]);
  });
});

describe("POST /v1/requests with duplicates", () => {
  afterEach(() => vi.restoreAllMocks());

  it("teaches the online rewriter the new rows of a batch that repeats one stored row", async () => {
    const observe = vi.spyOn(engine.rewrites, "observe");
    const turn = (n: number) => ({
      requestId: `turn-${n}`,
      user: "talker",
      time: `2024-05-02T09:00:0${n}Z`,
      text: `play song number ${n}`,
    });
    expect((await post("/v1/requests", { requests: [turn(1)] })).json().accepted).toBe(1);
    expect(observe.mock.calls.map(([event]) => event.requestId)).toEqual(["turn-1"]);
    observe.mockClear();
    const res = await post("/v1/requests", { requests: [turn(3), turn(1), turn(2)] });
    expect(res.json()).toMatchObject({ accepted: 2, duplicates: 1 });
    // The new turns, oldest first, and not the repeated one.
    expect(observe.mock.calls.map(([event]) => event.requestId)).toEqual(["turn-2", "turn-3"]);
  });
});

describe("times without an offset", () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    // Node re-reads TZ when it is assigned; restoring it puts the rest of the process back.
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it("are UTC over HTTP and from files alike whatever TZ says, so the idempotence keys agree", async () => {
    process.env.TZ = "America/New_York";
    // The process really is in New York now: a plain Date.parse reads the local time 5 hours later in UTC.
    expect(Date.parse("2024-03-01T10:00:00")).toBe(Date.UTC(2024, 2, 1, 15));
    const utc10 = Date.UTC(2024, 2, 1, 10);
    expect(eventTimeMs("2024-03-01T10:00:00")).toBe(utc10);
    expect(eventTimeMs("2024-03-01T10:00:00.250")).toBe(utc10 + 250);
    expect(eventTimeMs("2024-03-01T05:00:00-05:00")).toBe(utc10);
    expect(eventTimeMs("2024-03-01")).toBe(Date.UTC(2024, 2, 1));

    const play = { user: "tz-user", item: "tz-item", endTime: "2024-03-01T10:00:00", playedMs: 90_000 };
    const request = { requestId: "tz-turn", user: "tz-user", time: "2024-03-01T10:00:00", text: "play tz" };
    expect((await post("/v1/events", { events: [play] })).json().accepted).toBe(1);
    expect((await post("/v1/requests", { requests: [request] })).json().accepted).toBe(1);
    const [storedPlay] = await engine.store.recentPlays("tz-user", 10);
    expect(storedPlay.endTimeMs).toBe(utc10);
    const [storedRequest] = await engine.store.scanRequests({ user: "tz-user" });
    expect(eventTimeMs(storedRequest.time)).toBe(utc10);

    // The same play and request from files: the file readers also say UTC, so both are duplicates.
    const plays = join(dir, "tz-plays.jsonl");
    writeFileSync(plays, `${JSON.stringify(play)}\n`);
    const fromFile = await engine.events.ingest([plays], { rejectsPath: join(dir, "tz-rejects.jsonl") });
    expect(fromFile).toMatchObject({ accepted: 0, duplicates: 1, rejected: 0 });
    const requests = join(dir, "tz-requests.jsonl");
    writeFileSync(requests, `${JSON.stringify(request)}\n`);
    const requestsFromFile = await engine.events.ingestRequests([requests], {
      rejectsPath: join(dir, "tz-rejects.jsonl"),
    });
    expect(requestsFromFile).toMatchObject({ accepted: 0, duplicates: 1, rejected: 0 });
    expect(await engine.store.recentPlays("tz-user", 10)).toHaveLength(1);
  });
});
