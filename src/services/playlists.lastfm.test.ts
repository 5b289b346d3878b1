import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { Random } from "../core/random.js";
import { Engine } from "../engine.js";
import { readSource } from "../ingest/index.js";
import { catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";

/**
 * `eval --playlists` on Last.fm-shaped data (play counts, no durations, no times), read through the real
 * `--preset lastfm` reader from a small seeded fixture: 36 listeners in 3 taste groups of 30 artists each.
 */
const train = toTrainConfig(trainSettingsSchema.parse({ factors: 8, epochs: 10 }));
let dir: string;

/** Writes user_artists.dat (and artists.dat) in Last.fm's layout; `count` gives each row's weight. */
function writeFixture(sub: string, count: (rng: Random) => number): string {
  const rng = new Random(11);
  const folder = join(dir, sub);
  const artists = ["id\tname\turl\tpictureURL"];
  for (let a = 1; a <= 90; a++) artists.push(`${a}\tArtist ${a}\thttp://www.last.fm/music/a${a}\t`);
  const rows = ["userID\tartistID\tweight"];
  for (let u = 1; u <= 36; u++) {
    const group = u % 3;
    const chosen = new Set<number>();
    // Mostly their own group's artists, a few from elsewhere.
    while (chosen.size < 14) {
      const own = rng.next() < 0.85;
      const g = own ? group : rng.int(3);
      chosen.add(1 + g * 30 + rng.int(30));
    }
    for (const a of chosen) rows.push(`${u}\t${a}\t${count(rng)}`);
  }
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "artists.dat"), `${artists.join("\r\n")}\r\n`);
  writeFileSync(join(folder, "user_artists.dat"), `${rows.join("\r\n")}\r\n`);
  return join(folder, "user_artists.dat");
}

async function engineWith(file: string): Promise<Engine> {
  const engine = await Engine.open({ store: ":memory:" });
  const counter = new OccurrenceCounter();
  const plays = [];
  const items = [];
  for await (const r of readSource([file], { preset: "lastfm" })) {
    if (r.kind === "play") plays.push({ key: counter.keyFor(r.event), event: r.event, source: r.file });
    else if (r.kind === "item") items.push(catalogueItemSchema.parse(r.item));
  }
  await engine.store.upsertItems(items);
  await engine.store.appendPlays(plays);
  return engine;
}

/** Every number anywhere in a report. */
function numbersIn(x: unknown): number[] {
  if (typeof x === "number") return [x];
  if (Array.isArray(x)) return x.flatMap(numbersIn);
  if (x && typeof x === "object") return Object.values(x).flatMap(numbersIn);
  return [];
}

let counts: Engine;
let zeros: Engine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-pl-lastfm-"));
  counts = await engineWith(writeFixture("counts", (rng) => 1 + rng.int(500)));
  zeros = await engineWith(writeFixture("zeros", () => 0));
});
afterAll(async () => {
  await counts?.close();
  await zeros?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("eval --playlists on Last.fm play counts", () => {
  it("cuts the pairs at random, counts plays as long, and gives finite figures for every list", async () => {
    const report = await counts.playlists.evaluate({}, train, { maxUsers: 36, maxGroups: 10, length: 10 });
    // A time split would put every (timeless) play on one side; the random cut keeps both sides.
    expect(report.split.train).toBeGreaterThan(0);
    expect(report.split.test).toBeGreaterThan(0);
    expect(report.split.validation).toBeGreaterThan(0);
    // Positive counts are long plays, so listeners have held-out judgements.
    expect(report.split.heldOutLongPlays).toBe(report.split.test);
    expect(report.split.users).toBeGreaterThan(20);
    const all = numbersIn(report);
    expect(all.length).toBeGreaterThan(50);
    for (const v of all) expect(Number.isFinite(v)).toBe(true);
    // Own top tracks are all played before (held-out pairs are new to the listener by construction of a
    // pair split), so they hit nothing; discover is built from new items and does find some.
    expect(report.playlists.ownTop.hitRate).toBe(0);
    expect(report.playlists.discover.familiarShare).toBe(0);
    expect(report.playlists.discover.hitRate).toBeGreaterThan(0);
  });

  it("refuses a time split of plays without times, naming the random split", async () => {
    await expect(counts.playlists.evaluate({ splitPerUser: 0.8 }, train)).rejects.toThrow(
      /carry no times.*--split-random 0\.8/,
    );
  });

  it("fails with a clear error when nobody in the store has judged anything (all counts 0)", async () => {
    await expect(zeros.playlists.evaluate({}, train)).rejects.toThrow(
      /none of the 504 plays in the store is a long play .*nobody has judged any item/,
    );
  });
});
