import { describe, expect, it } from "vitest";
import { type PlayEvent, type RequestEvent, requestEventSchema } from "../schema/events.js";
import { OccurrenceCounter } from "./event-key.js";
import type { EventStore } from "./event-store.js";

/** The one suite every EventStore adapter must pass (call it from the adapter's own test file). */
export function testEventStore(name: string, open: () => Promise<EventStore>): void {
  const plays: PlayEvent[] = [
    { user: "a", item: "x", endTime: "2024-01-01T10:00:00Z", playedMs: 200_000 },
    { user: "a", item: "y", endTime: "2024-01-01T10:05:00Z", playedMs: 4_000 },
    // Same minute, same track, different ms: distinct plays, both kept.
    { user: "b", item: "x", endTime: "2024-01-02T10:00:00Z", playedMs: 1_000 },
    { user: "b", item: "x", endTime: "2024-01-02T10:00:00Z", playedMs: 2_000 },
    // Identical twice in one file: two plays.
    { user: "b", item: "y", endTime: "2024-01-03T10:00:00Z", playedMs: 0 },
    { user: "b", item: "y", endTime: "2024-01-03T10:00:00Z", playedMs: 0 },
    { eventId: "e1", user: "c", item: "z", endTime: "2024-01-04T10:00:00Z", playedMs: 50_000, weight: 2 },
  ];
  const keyed = () => {
    const counter = new OccurrenceCounter();
    return plays.map((event) => ({ key: counter.keyFor(event), event, source: "test" }));
  };

  describe(`EventStore conformance: ${name}`, () => {
    it("appends once and skips re-ingested events", async () => {
      const store = await open();
      try {
        expect(await store.appendPlays(keyed())).toEqual({ inserted: 7, duplicates: 0 });
        expect(await store.appendPlays(keyed())).toEqual({ inserted: 0, duplicates: 7 });
        expect(await store.countPlays()).toBe(7);
      } finally {
        await store.close();
      }
    });

    it("stores the first row of a key repeated in a batch; an event id is one play whatever its time", async () => {
      const store = await open();
      try {
        await store.appendPlays(keyed());
        const again: PlayEvent = { ...plays[6], endTime: "2024-02-01T10:00:00Z", playedMs: 1 };
        const fresh: PlayEvent = { user: "d", item: "x", endTime: "2024-02-02T10:00:00Z", playedMs: 5 };
        const batch = [again, fresh, fresh, { ...fresh, playedMs: 6 }].map((event) => ({
          key: new OccurrenceCounter().keyFor(event),
          event,
          source: "test",
        }));
        const r = await store.appendPlays(batch, { listInserted: true });
        expect(r).toEqual({ inserted: 2, duplicates: 2, insertedRows: [1, 3] });
        expect(await store.countPlays()).toBe(9);
      } finally {
        await store.close();
      }
    });

    it("answers concurrent one-play writers each once per key, and records each writer's ingest run", async () => {
      const store = await open();
      try {
        // Event ids 0-4 are stored already; 50 writers then send one play each, ids k % 35 (15 repeat another
        // writer's), every fifth writer a second play without an event id that writer k + 1 sends too.
        const play = (id: number): PlayEvent => ({
          eventId: `c-${id}`,
          user: `u${id % 7}`,
          item: `i${id % 11}`,
          endTime: new Date(Date.UTC(2024, 5, 1) + id * 60_000).toISOString(),
          playedMs: 1000 + id,
        });
        const unkeyed = (k: number): PlayEvent => ({
          user: "w",
          item: `n${k - (k % 5)}`,
          endTime: new Date(Date.UTC(2024, 6, 1) + (k - (k % 5)) * 60_000).toISOString(),
          playedMs: 7,
        });
        const keyedOf = (events: PlayEvent[]) => {
          const counter = new OccurrenceCounter();
          return events.map((event) => ({ key: counter.keyFor(event), event, source: "test" }));
        };
        await store.appendPlays(keyedOf([0, 1, 2, 3, 4].map(play)));
        const before = (await store.summary()).ingest;
        const batches = Array.from({ length: 50 }, (_, k) =>
          keyedOf(k % 5 === 0 || k % 5 === 1 ? [play(k % 35), unkeyed(k)] : [play(k % 35)]),
        );
        const answers = await Promise.all(
          batches.map((batch, k) =>
            store.appendPlays(batch, {
              listInserted: true,
              run: { startedAt: new Date(1e12 + k), sources: [`w${k}`], preset: "http", rejected: k % 2 },
            }),
          ),
        );
        for (const [k, a] of answers.entries()) {
          expect(a.inserted + a.duplicates).toBe(batches[k].length);
          expect(a.insertedRows).toHaveLength(a.inserted);
        }
        // Each new key went in once, to exactly one writer: 30 new event ids and 10 unkeyed plays.
        const acceptedKeys = answers.flatMap((a, k) => (a.insertedRows ?? []).map((r) => batches[k][r].key));
        expect(acceptedKeys).toHaveLength(40);
        expect(new Set(acceptedKeys).size).toBe(40);
        expect(await store.countPlays()).toBe(45);
        expect((await store.summary()).ingest).toEqual({
          runs: before.runs + 50,
          accepted: before.accepted + 40,
          rejected: before.rejected + 25,
          duplicates: before.duplicates + 30,
        });
        // Sent again, one after another: all duplicates.
        for (const batch of batches) expect((await store.appendPlays(batch)).duplicates).toBe(batch.length);
      } finally {
        await store.close();
      }
    });

    it("scans an empty store as empty columns", async () => {
      const store = await open();
      try {
        const empty = await store.scanPlays();
        expect(empty.users).toEqual([]);
        expect(empty.userIndex.length).toBe(0);
        expect(await store.scanPlayRequests()).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("scans a time window as dense columns", async () => {
      const store = await open();
      try {
        await store.appendPlays(keyed());
        const all = await store.scanPlays();
        expect(all.users).toEqual(["a", "b", "c"]);
        expect(all.items).toEqual(["x", "y", "z"]);
        expect(Array.from(all.playedMs)).toEqual([200_000, 4_000, 1_000, 2_000, 0, 0, 50_000]);
        expect(all.userIndex[6]).toBe(2);
        expect(Number.isNaN(all.weight[0])).toBe(true);
        expect(all.weight[6]).toBe(2);
        const window = await store.scanPlays({
          fromMs: Date.parse("2024-01-02T00:00:00Z"),
          toMs: Date.parse("2024-01-04T00:00:00Z"),
        });
        expect(window.users).toEqual(["b"]);
        expect(window.userIndex.length).toBe(4);
        expect(window.endTimeMs[0]).toBe(Date.parse("2024-01-02T10:00:00Z"));
      } finally {
        await store.close();
      }
    });

    it("answers many item look-ups at once, each with its own items", async () => {
      const store = await open();
      try {
        const items = Array.from({ length: 30 }, (_, k) => ({
          id: `item-${k}`,
          title: `Item ${k}`,
          creators: [],
          kind: "song" as const,
          tags: [],
          attributes: {},
        }));
        await store.upsertItems(items);
        const asked = Array.from({ length: 20 }, (_, k) => [`item-${k}`, `item-${k + 10}`, "missing"]);
        const answers = await Promise.all(asked.map((ids) => store.getItems(ids)));
        answers.forEach((found, k) => {
          expect(found.map((i) => i.id).sort()).toEqual([`item-${k + 10}`, `item-${k}`].sort());
        });
      } finally {
        await store.close();
      }
    });

    it("answers reads while writes are in flight, losing no write", async () => {
      // What a server does: writes (each under its own lock) while other requests read. Every read must
      // answer, and every accepted play must be stored once.
      const store = await open();
      try {
        await store.upsertItems([
          { id: "x", title: "X", creators: [], kind: "song", tags: [], attributes: {} },
        ]);
        const read = (k: number): Promise<unknown> => {
          switch (k % 6) {
            case 0:
              return store.countPlays();
            case 1:
              return store.getItems(["x", "missing"]);
            case 2:
              return store.recentPlays(`u${k % 5}`, 3);
            case 3:
              return store.listPools();
            case 4:
              return store.privacySpent([`u${k % 5}`]);
            default:
              return store.listModels();
          }
        };
        // One write after another, as the server's store lock runs them, and a dozen reads started as each
        // write starts: they do not wait for it.
        const reads: Promise<unknown>[] = [];
        let previous: Promise<unknown> = Promise.resolve();
        const writes = Array.from({ length: 20 }, (_, w) => {
          const counter = new OccurrenceCounter();
          const batch = Array.from({ length: 25 }, (_, k) => {
            const event: PlayEvent = {
              user: `u${k % 5}`,
              item: "x",
              endTime: new Date(Date.UTC(2024, 0, 1) + (w * 25 + k) * 1000).toISOString(),
              playedMs: 1000 + k,
            };
            return { key: counter.keyFor(event), event, source: "test" };
          });
          const write = previous.then(() => {
            const appended = store.appendPlays(batch, { listInserted: true });
            for (let k = 0; k < 12; k++) reads.push(read(w * 12 + k));
            return appended;
          });
          previous = write.catch(() => {});
          return write;
        });
        const written = await Promise.allSettled(writes);
        const readsDone = await Promise.allSettled(reads);
        const failed = [...written, ...readsDone].filter((s) => s.status === "rejected");
        expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
        const stored = written.map((s) => (s as PromiseFulfilledResult<{ inserted: number }>).value.inserted);
        expect(stored).toEqual(Array(writes.length).fill(25));
        expect(await store.countPlays()).toBe(500);
      } finally {
        await store.close();
      }
    });

    it("keeps the catalogue, last fact wins", async () => {
      const store = await open();
      try {
        await store.upsertItems([
          { id: "x", title: "Hello", creators: ["Adele"], kind: "song", tags: ["pop"], attributes: {} },
          { id: "y", title: "Hello", creators: ["Lionel Richie"], kind: "song", tags: [], attributes: {} },
        ]);
        await store.upsertItems([
          {
            id: "x",
            title: "Hello",
            creators: ["Adele"],
            kind: "song",
            tags: ["pop"],
            lengthMs: 295_000,
            attributes: { spotifyUri: "spotify:track:1" },
          },
        ]);
        const items = await store.getItems();
        expect(items).toHaveLength(2);
        expect(items.find((i) => i.id === "x")?.attributes.spotifyUri).toBe("spotify:track:1");
        expect((await store.getItems(["y"]))[0].creators).toEqual(["Lionel Richie"]);
      } finally {
        await store.close();
      }
    });

    it("stores request events once, in time order, with every field back", async () => {
      const requests: RequestEvent[] = [
        requestEventSchema.parse({
          requestId: "r2",
          user: "a",
          device: "kitchen",
          time: "2024-01-01T10:00:20Z",
          text: "play the movie hunger games",
          asrConfidence: 0.91,
          intent: "PlayVideo",
          intentConfidence: 0.8,
          resolvedItem: "movie-hg",
          playedMs: 600_000,
          rewrittenFrom: "play hunger games",
          context: { deviceType: "tv", hasScreen: true, deviceState: "idle", extra: { room: "living" } },
        }),
        requestEventSchema.parse({
          requestId: "r1",
          user: "a",
          time: "2024-01-01T10:00:00Z",
          text: "play hunger games",
          responseKind: "error",
          bargeIn: true,
        }),
      ];
      const store = await open();
      try {
        const batch = requests.map((event) => ({ event, source: "test" }));
        expect(await store.appendRequests(batch)).toEqual({ inserted: 2, duplicates: 0 });
        expect(await store.appendRequests(batch)).toEqual({ inserted: 0, duplicates: 2 });
        expect(await store.countRequests()).toBe(2);
        const back = await store.scanRequests();
        expect(back.map((r) => r.requestId)).toEqual(["r1", "r2"]);
        expect(back[1]).toEqual({ ...requests[0], time: "2024-01-01T10:00:20.000Z" });
        expect(back[0]).toEqual({ ...requests[1], time: "2024-01-01T10:00:00.000Z" });
        const later = await store.scanRequests({ fromMs: Date.parse("2024-01-01T10:00:10Z") });
        expect(later.map((r) => r.requestId)).toEqual(["r2"]);
        expect((await store.scanRequests({ user: "a" })).map((r) => r.requestId)).toEqual(["r1", "r2"]);
        expect(await store.scanRequests({ user: "b", fromMs: 0 })).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("keeps a play's request link and device state", async () => {
      const store = await open();
      try {
        const event: PlayEvent = {
          user: "a",
          item: "x",
          endTime: "2024-01-01T10:00:00Z",
          playedMs: 1000,
          requestId: "r1",
          context: { deviceType: "speaker", deviceState: "timer", activity: "cooking" },
        };
        const r = await store.appendPlays([
          { key: new OccurrenceCounter().keyFor(event), event, source: "t" },
        ]);
        expect(r.inserted).toBe(1);
        expect(await store.countPlays()).toBe(1);
      } finally {
        await store.close();
      }
    });

    it("lists, and removes, a user's preference facts", async () => {
      const store = await open();
      try {
        await store.addPreference({ id: "p1", user: "a", createdAtMs: 1e12, fact: { tag: "country" } });
        await store.addPreference({ id: "p2", user: "a", createdAtMs: 1e12 + 5, fact: { tag: "jazz" } });
        await store.addPreference({ id: "p3", user: "b", createdAtMs: 1e12, fact: { tag: "pop" } });
        expect((await store.listPreferences("a")).map((p) => p.id)).toEqual(["p1", "p2"]);
        expect((await store.listPreferences()).map((p) => `${p.user}:${p.id}`)).toEqual([
          "a:p1",
          "b:p3",
          "a:p2",
        ]);
        expect((await store.listPreferences("a"))[0]).toEqual({
          id: "p1",
          user: "a",
          createdAtMs: 1e12,
          fact: { tag: "country" },
        });
        expect(await store.removePreference("a", "p3")).toBe(false);
        expect(await store.removePreference("a", "p1")).toBe(true);
        expect(await store.removePreference("a", "p1")).toBe(false);
        expect((await store.listPreferences("a")).map((p) => p.id)).toEqual(["p2"]);
      } finally {
        await store.close();
      }
    });

    it("summarises its contents and lists a user's latest plays", async () => {
      const store = await open();
      try {
        const empty = await store.summary();
        expect(empty).toMatchObject({
          plays: 0,
          requests: 0,
          users: 0,
          firstPlayMs: null,
          perDay: [],
          topUsers: [],
        });
        await store.appendPlays(keyed());
        await store.appendRequests([
          {
            event: requestEventSchema.parse({
              requestId: "r1",
              user: "d",
              time: "2024-01-02T23:59:59Z",
              text: "play x",
            }),
            source: "test",
          },
        ]);
        await store.upsertItems([
          { id: "x", title: "X", creators: [], kind: "song", tags: [], attributes: {} },
        ]);
        await store.recordIngestRun({
          startedAt: new Date(1e12),
          finishedAt: new Date(1e12 + 1),
          sources: ["f"],
          preset: "generic",
          accepted: 7,
          rejected: 2,
          duplicates: 1,
        });
        const s = await store.summary({ topUsers: 2 });
        expect(s).toEqual({
          plays: 7,
          requests: 1,
          users: 4,
          playedItems: 3,
          catalogueItems: 1,
          firstPlayMs: Date.parse("2024-01-01T10:00:00Z"),
          lastPlayMs: Date.parse("2024-01-04T10:00:00Z"),
          perDay: [
            { day: "2024-01-01", plays: 2, requests: 0 },
            { day: "2024-01-02", plays: 2, requests: 1 },
            { day: "2024-01-03", plays: 2, requests: 0 },
            { day: "2024-01-04", plays: 1, requests: 0 },
          ],
          ingest: { runs: 1, accepted: 7, rejected: 2, duplicates: 1 },
          topUsers: [
            { user: "b", plays: 4 },
            { user: "a", plays: 2 },
          ],
        });
        const recent = await store.recentPlays("a", 5);
        expect(recent.map((p) => [p.item, p.playedMs])).toEqual([
          ["y", 4_000],
          ["x", 200_000],
        ]);
        expect(recent[0]).toEqual({
          item: "y",
          endTimeMs: Date.parse("2024-01-01T10:05:00Z"),
          playedMs: 4_000,
          itemLengthMs: null,
          endReason: null,
          deviceType: null,
          requestText: null,
        });
        expect(await store.recentPlays("b", 1)).toHaveLength(1);
        expect(await store.recentPlays("nobody", 5)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("keeps every version of a pool, lists the latest, and removes a pool with its versions", async () => {
      const store = await open();
      try {
        const first = await store.addPool({ name: "fresh", createdAtMs: 1e12, definition: { items: ["a"] } });
        expect(first.version).toBe(1);
        await store.addPool({ name: "fresh", createdAtMs: 1e12 + 5, definition: { items: ["a", "b"] } });
        await store.addPool({ name: "chill", createdAtMs: 1e12, definition: { tags: ["ambient"] } });
        expect(await store.listPools()).toEqual([
          { name: "chill", version: 1, createdAtMs: 1e12, definition: { tags: ["ambient"] } },
          { name: "fresh", version: 2, createdAtMs: 1e12 + 5, definition: { items: ["a", "b"] } },
        ]);
        expect((await store.listPools("fresh")).map((p) => p.version)).toEqual([2]);
        expect(await store.removePool("fresh")).toBe(true);
        expect(await store.removePool("fresh")).toBe(false);
        expect((await store.listPools()).map((p) => p.name)).toEqual(["chill"]);
        // A name used before starts after its removed versions, so a version always names one definition.
        expect((await store.addPool({ name: "fresh", createdAtMs: 1e12 + 9, definition: {} })).version).toBe(
          3,
        );
      } finally {
        await store.close();
      }
    });

    it("adds up each user's spent privacy budget", async () => {
      const store = await open();
      try {
        expect(await store.privacySpent(["ann"])).toEqual(new Map());
        expect(await store.privacyLedger(5)).toEqual({ users: 0, total: 0, median: 0, max: 0, top: [] });
        await store.addPrivacySpent(new Map([["ann", 1.5]]));
        await store.addPrivacySpent(
          new Map([
            ["ann", 2],
            ["bob", 0.25],
          ]),
        );
        expect(await store.privacySpent(["ann", "bob", "cy", "ann"])).toEqual(
          new Map([
            ["ann", 3.5],
            ["bob", 0.25],
          ]),
        );
        await store.addPrivacySpent(new Map([["cy", 1]]));
        expect(await store.privacyLedger(2)).toEqual({
          users: 3,
          total: 4.75,
          median: 1,
          max: 3.5,
          top: [
            { user: "ann", spent: 3.5 },
            { user: "cy", spent: 1 },
          ],
        });
      } finally {
        await store.close();
      }
    });

    it("records model versions and the current one", async () => {
      const store = await open();
      try {
        expect(await store.currentModel()).toBeNull();
        await store.registerModel({
          version: "v1",
          path: "/m/v1",
          createdAt: new Date(1e12),
          config: { k: 50 },
          metrics: {},
          isCurrent: true,
        });
        await store.registerModel({
          version: "v2",
          path: "/m/v2",
          createdAt: new Date(1e12 + 1),
          config: { k: 8 },
          metrics: {},
          isCurrent: true,
        });
        expect((await store.currentModel())?.version).toBe("v2");
        expect((await store.listModels()).map((m) => m.version)).toEqual(["v1", "v2"]);
      } finally {
        await store.close();
      }
    });

    it("stores impressions once, links their feedback, and keeps policy state versions", async () => {
      const store = await open();
      try {
        const shown = [0, 1, 2].map((slot) => ({
          impressionId: `p1:${slot}`,
          pageId: "p1",
          user: "a",
          time: "2024-02-01T10:00:00Z",
          surface: "home",
          slot,
          item: `shelf-${slot}`,
          title: slot === 0 ? "because you played x" : undefined,
          policy: "epsilon-greedy",
          policyVersion: "3",
          propensity: 0.3,
          ...(slot === 2 ? { propensitySamples: 500, context: { device: "phone", hour: 9 } } : {}),
        }));
        expect(await store.appendImpressions(shown, "test")).toEqual({ inserted: 3, duplicates: 0 });
        expect(await store.appendImpressions(shown.slice(0, 1), "test")).toEqual({
          inserted: 0,
          duplicates: 1,
        });
        const stream = {
          impressionId: "p1:1",
          time: "2024-02-01T10:00:05Z",
          kind: "stream" as const,
          playedMs: 45_000,
        };
        expect(await store.appendFeedback([stream, stream], "test")).toEqual({ inserted: 1, duplicates: 1 });
        const page = await store.scanImpressions({ pageId: "p1" });
        expect(page.map((r) => r.impression.slot)).toEqual([0, 1, 2]);
        expect(page[0].impression.title).toBe("because you played x");
        expect(page[1].feedback).toEqual([{ ...stream, time: "2024-02-01T10:00:05.000Z" }]);
        expect(page[0].feedback).toEqual([]);
        expect(page[2].impression).toMatchObject({
          propensitySamples: 500,
          context: { device: "phone", hour: 9 },
        });
        expect((await store.scanImpressions({ ids: ["p1:2"] })).map((r) => r.impression.item)).toEqual([
          "shelf-2",
        ]);
        expect(await store.scanImpressions({ fromMs: Date.parse("2024-02-02T00:00:00Z") })).toEqual([]);
        // A second page the next day, streamed too briefly to count: impressions but no reward.
        await store.appendImpressions(
          [
            {
              ...shown[0],
              impressionId: "p2:0",
              pageId: "p2",
              time: "2024-02-02T08:00:00Z",
              propensity: 0.5,
            },
          ],
          "test",
        );
        await store.appendFeedback(
          [{ impressionId: "p2:0", time: "2024-02-02T08:00:09Z", kind: "stream", playedMs: 9_000 }],
          "test",
        );
        expect(await store.impressionSummary(30_000)).toEqual({
          impressions: 4,
          pages: 2,
          rewarded: 1,
          bySlot: [
            { slot: 0, impressions: 2, rewarded: 0, meanPropensity: 0.4 },
            { slot: 1, impressions: 1, rewarded: 1, meanPropensity: 0.3 },
            { slot: 2, impressions: 1, rewarded: 0, meanPropensity: 0.3 },
          ],
          byDay: [
            { day: "2024-02-01", impressions: 3, rewarded: 1 },
            { day: "2024-02-02", impressions: 1, rewarded: 0 },
          ],
        });
        expect((await store.impressionSummary(5_000)).rewarded).toBe(2);
        await store.savePolicy({
          name: "home",
          version: 1,
          frozen: false,
          updatedAtMs: 1e12,
          state: { n: 1 },
        });
        await store.savePolicy({
          name: "home",
          version: 2,
          frozen: true,
          updatedAtMs: 1e12 + 5,
          state: { n: 2 },
        });
        expect(await store.listPolicies()).toEqual([
          { name: "home", version: 2, frozen: true, updatedAtMs: 1e12 + 5, state: { n: 2 } },
        ]);
      } finally {
        await store.close();
      }
    });

    it("keeps learned state by name, the last save replacing the one before", async () => {
      const store = await open();
      try {
        expect(await store.loadState("rewrites")).toBeNull();
        await store.saveState("rewrites", { counts: [1, 2] }, 1e12);
        await store.saveState("rewrites", { counts: [3], withdrawn: ["a"] }, 1e12 + 7);
        await store.saveState("other", { x: "y" }, 1e12);
        expect(await store.loadState("rewrites")).toEqual({
          state: { counts: [3], withdrawn: ["a"] },
          updatedAtMs: 1e12 + 7,
        });
        expect((await store.loadState("other"))?.state).toEqual({ x: "y" });
      } finally {
        await store.close();
      }
    });
  });
}
