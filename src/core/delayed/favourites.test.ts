import { describe, expect, it } from "vitest";
import { simulateFavouriteHistories } from "../simulate/favourites.js";
import { engagementCount, eventuallyConverts } from "./delayed-examples.js";
import { evaluateFavourites } from "./evaluate-favourites.js";
import { type CreatorPlayTable, favouriteExamples } from "./favourites.js";

const DAY = 86_400_000;

function table(
  rows: Array<[user: number, item: number, creator: number, day: number, seconds: number]>,
): CreatorPlayTable {
  return {
    nUsers: 2,
    nItems: 10,
    userIndex: Int32Array.from(rows, (r) => r[0]),
    itemIndex: Int32Array.from(rows, (r) => r[1]),
    creatorIndex: Int32Array.from(rows, (r) => r[2]),
    endTimeMs: Float64Array.from(rows, (r) => r[3] * DAY),
    playedMs: Float64Array.from(rows, (r) => r[4] * 1000),
  };
}

describe("favouriteExamples", () => {
  it("labels a first long play by two long replays within 30 days and records the engagement before", () => {
    const ex = favouriteExamples(
      table([
        [0, 1, 0, 0, 10], // a skip: no example yet
        [0, 1, 0, 1, 200], // first long play of item 1: example 0
        [0, 2, 0, 2, 100], // same creator, other item: creator engagement for example 0; example 1
        [0, 1, 0, 3, 5], // short replay
        [0, 1, 0, 5, 180], // long replay 1
        [0, 1, 0, 9, 180], // long replay 2: converts 8 days after the start
        [1, 1, 0, 9, 60], // another user's first long play: example 2, never replayed
        [0, 2, 0, 40, 100], // item 2's only replay comes after its window
      ]),
    );
    expect(ex.n).toBe(3);
    expect(Array.from(ex.user)).toEqual([0, 0, 1]);
    expect(ex.delayMs[0]).toBe(8 * DAY);
    expect([0, 1, 2].map((i) => eventuallyConverts(ex, i))).toEqual([1, 0, 0]);
    // Seen at day 4 (3 days in): one creator play, one short replay, no long replay yet.
    expect([0, 1, 2].map((k) => engagementCount(ex, 0, k, 3 * DAY))).toEqual([0, 1, 1]);
    expect(engagementCount(ex, 0, 0, 7 * DAY)).toBe(1);
    const d = ex.featureNames.length;
    // Item 1 had one skip before its first long play; the other user's first play saw 2 long plays by others.
    expect(ex.x[ex.featureNames.indexOf("logItemSkipsBefore")]).toBeCloseTo(Math.log(2));
    expect(ex.x[2 * d + ex.featureNames.indexOf("logItemLongPlaysByOthers")]).toBeCloseTo(Math.log(4));
    // Example 1 (day 2): the user's one recent discovery (item 1) had no long replay yet: (0 + 1)/(1 + 5).
    expect(ex.x[d + ex.featureNames.indexOf("userRecentReplayedShare")]).toBeCloseTo(1 / 6);
    // The first plays of new items in the hour before: none for any example (a day apart).
    expect(ex.x[d + ex.featureNames.indexOf("logNewItemsLastHour")]).toBe(0);
  });

  it("counts a listener's recent discoveries already replayed, and new items in the last hour", () => {
    const H = 1 / 24;
    const ex = favouriteExamples(
      table([
        [0, 1, 0, 0, 100], // example 0
        [0, 2, 1, 1, 100], // example 1
        [0, 1, 0, 2, 100], // item 1 replayed long
        [0, 3, 2, 10, 10], // a new item skipped: a new item's first play, no example
        [0, 4, 3, 10 + H / 2, 100], // example 2, half an hour later: one new item in the last hour
        [0, 5, 4, 20, 100], // example 3, day 20: examples 0 and 1 are more than 14 days old
      ]),
    );
    const d = ex.featureNames.length;
    const f = (e: number, name: string) => ex.x[e * d + ex.featureNames.indexOf(name)];
    // Example 2 sees examples 0 and 1, one of them replayed: (1 + 1)/(2 + 5).
    expect(f(2, "userRecentReplayedShare")).toBeCloseTo(2 / 7);
    expect(f(2, "logNewItemsLastHour")).toBeCloseTo(Math.log(2));
    // Example 3 sees only example 2 (day 10), not replayed.
    expect(f(3, "userRecentReplayedShare")).toBeCloseTo(1 / 6);
  });

  it("fixes every feature at the first long play: plays after it change no example's features", () => {
    const plays = simulateFavouriteHistories({ users: 40, days: 60, seed: 5 });
    const all = favouriteExamples(plays);
    const cutAt = plays.endTimeMs[Math.floor(plays.endTimeMs.length / 2)];
    const pick = <T extends Int32Array | Float64Array>(a: T) =>
      a.filter((_, r) => plays.endTimeMs[r] <= cutAt) as T;
    const early = favouriteExamples({
      ...plays,
      userIndex: pick(plays.userIndex),
      itemIndex: pick(plays.itemIndex),
      creatorIndex: pick(plays.creatorIndex),
      endTimeMs: pick(plays.endTimeMs),
      playedMs: pick(plays.playedMs),
    });
    expect(early.n).toBeGreaterThan(100);
    // The examples that started before the cut are the same ones, in the same order, with the same features.
    expect(Array.from(all.x.subarray(0, early.x.length))).toEqual(Array.from(early.x));
  });
});

describe("delayed favourites on the simulated histories", () => {
  it("importance weighting closes at least half the naive-to-oracle log-loss gap", () => {
    const plays = simulateFavouriteHistories({ users: 150, seed: 3 });
    const r = evaluateFavourites(plays, { cutShiftsDays: [0], ensemble: 3, precisions: [0.8] });
    const run = r.runs[0];
    expect(run.immatureExamples).toBeGreaterThan(1000);
    expect(run.methods.naive.logLoss - run.methods.oracle.logLoss).toBeGreaterThan(0.01);
    expect(run.gapClosed.importance.logLoss).toBeGreaterThan(0.5);
    expect(run.methods.importance.ece).toBeLessThan(run.methods.naive.ece);
  });
});
