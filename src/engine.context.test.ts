import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "./config.js";
import { Random } from "./core/random.js";
import { Engine } from "./engine.js";
import { catalogueItemSchema, type PlayEvent, requestEventSchema } from "./schema/events.js";
import { OccurrenceCounter } from "./store/event-key.js";

/**
 * A small world where "the hunger games" is a book and a movie: people on screen devices mean the movie
 * 80% of the time, on speakers the book. Nothing in the code says so; the engine must learn it from the
 * logged turns.
 */
describe("Engine: context priors learned from logged turns", () => {
  let engine: Engine;
  const start = Date.parse("2024-03-04T00:00:00Z");

  beforeAll(async () => {
    engine = await Engine.open({ store: ":memory:", models: mkdtempSync(join(tmpdir(), "tastebud-ctx-")) });
    const items = [
      { id: "hg-book", title: "The Hunger Games", creators: ["Suzanne Collins"], kind: "audiobook" },
      { id: "hg-movie", title: "The Hunger Games", creators: ["Gary Ross"], kind: "movie" },
      ...Array.from({ length: 30 }, (_, k) => ({
        id: `song-${k}`,
        title: `Song ${k}`,
        creators: [`Band ${k % 5}`],
      })),
    ].map((i) => catalogueItemSchema.parse(i));
    await engine.store.upsertItems(items);
    const rng = new Random(3);
    const plays: PlayEvent[] = [];
    const requests = [];
    for (let k = 0; k < 600; k++) {
      const user = `u${k % 40}`;
      const timeMs = start + k * 600_000;
      const screen = rng.next() < 0.5;
      const movie = rng.next() < (screen ? 0.8 : 0.2);
      const item = movie ? "hg-movie" : "hg-book";
      const time = new Date(timeMs).toISOString();
      requests.push(
        requestEventSchema.parse({
          requestId: `r${k}`,
          user,
          time,
          text: "play the hunger games",
          resolvedItem: item,
          playedMs: 1_200_000,
          context: { deviceType: screen ? "tv" : "speaker", hasScreen: screen },
        }),
      );
      plays.push({ user, item, endTime: time, playedMs: 1_200_000, requestId: `r${k}` });
      plays.push({
        user,
        item: `song-${rng.int(30)}`,
        endTime: time,
        playedMs: rng.next() < 0.6 ? 200_000 : 5_000,
      });
    }
    const counter = new OccurrenceCounter();
    await engine.store.appendPlays(
      plays.map((event) => ({ key: counter.keyFor(event), event, source: "t" })),
    );
    await engine.store.appendRequests(requests.map((event) => ({ event, source: "t" })));
    await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 10 })));
  });
  afterAll(() => engine.close());

  it("resolves the movie on a screen and the book on a speaker, and says why", async () => {
    const tv = await engine.voice.resolve("new-user", "play the hunger games", {
      context: { deviceType: "tv", hasScreen: true },
    });
    expect(tv.candidates[0].item).toBe("hg-movie");
    const reason = tv.candidates[0].reasons.find((r) => r.factor === "context");
    expect(reason?.detail).toMatch(/movie/);
    const speaker = await engine.voice.resolve("new-user", "play the hunger games", {
      context: { deviceType: "speaker", hasScreen: false },
    });
    expect(speaker.candidates[0].item).toBe("hg-book");
  });

  it("without context, or with context turned off, context plays no part", async () => {
    const plain = await engine.voice.resolve("new-user", "play the hunger games");
    expect(plain.candidates.every((c) => c.reasons.every((r) => r.factor !== "context"))).toBe(true);
    const off = await engine.voice.resolve("new-user", "play the hunger games", {
      context: { deviceType: "tv", hasScreen: true },
      useContext: false,
    });
    expect(off.candidates.map((c) => c.score)).toEqual(plain.candidates.map((c) => c.score));
  });
});
