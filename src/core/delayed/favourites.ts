import { type DelayedExamples, engagementCsr } from "./delayed-examples.js";

/**
 * "A new-to-user item becomes a favourite" (issue 18): after its first long play the user plays it long
 * again at least `replays` times within `windowDays`. Each first long play is an example; the features are
 * what is known at that moment, and the engagement that follows (long replays short of conversion, short
 * replays, plays of the same creator's other items) is what FSIW's h reads before the label is final.
 */
export interface CreatorPlayTable {
  nUsers: number;
  nItems: number;
  userIndex: Int32Array;
  itemIndex: Int32Array;
  /** Creator of each row's item. */
  creatorIndex: Int32Array;
  /** Ascending. */
  endTimeMs: Float64Array;
  playedMs: Float64Array;
}

export interface FavouriteRule {
  replays: number;
  windowDays: number;
  /** A play this long or longer counts as a long play (30 s, the affinity labels' threshold). */
  longMs: number;
}

export const defaultFavouriteRule: FavouriteRule = { replays: 2, windowDays: 30, longMs: 30_000 };

export const favouriteFeatureNames = [
  "logFirstPlayMinutes",
  "logCreatorLongPlaysBefore",
  "creatorLongRate",
  "logItemSkipsBefore",
  "userLongRate",
  "logCreatorPlaysLastWeek",
  "logItemLongPlaysByOthers",
  "logCreatorItemsFavouredShare",
  "userRecentReplayedShare",
  "logNewItemsLastHour",
];
export const favouriteEngagementKinds = ["longReplay", "shortReplay", "creatorPlay"];
const [LONG_REPLAY, SHORT_REPLAY, CREATOR_PLAY] = [0, 1, 2];

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** How far back "the listener's recent discoveries" reach (userRecentReplayedShare). */
const RECENT_DAYS = 14;

export function favouriteExamples(
  plays: CreatorPlayTable,
  rule: FavouriteRule = defaultFavouriteRule,
): DelayedExamples {
  const W = rule.windowDays * DAY_MS;
  const n = plays.userIndex.length;
  const d = favouriteFeatureNames.length;
  const x: number[] = [];
  const start: number[] = [];
  const delay: number[] = [];
  const users: number[] = [];
  const lists: number[][][] = [];
  const longReplays: number[] = [];
  const itemOfExample: number[] = [];
  // Per (user, item): example index, or -1 - skips before any long play.
  const pairState = new Map<number, number>();
  const userLong = new Float64Array(plays.nUsers);
  const userTotal = new Float64Array(plays.nUsers);
  const creatorLong = new Map<string, number>();
  const creatorTotal = new Map<string, number>();
  // Distinct items of (user, creator) already played long, and how many of them became favourites so far.
  const creatorItems = new Map<string, number>();
  const creatorFavoured = new Map<string, number>();
  const itemLong = new Float64Array(plays.nItems);
  // Examples whose window is open, per (user, creator), for creator-play engagement.
  const open = new Map<string, number[]>();
  // Per user, the examples started in the last RECENT_DAYS, and whether each was already played long again:
  // how many of a listener's recent discoveries stick right now (a phase of replaying vs one of browsing).
  const recentExamples = new Map<number, number[]>();
  const replayedOnce: number[] = [];
  // Per user, times of first plays (any length) of items new to them: many in the last hour is a listener
  // browsing (a radio, a new-releases list), whose finds stick less often than one found alone.
  const newItemTimes = new Map<number, number[]>();
  // Times of (user, creator) plays in the last week: a listener in the middle of a creator binge.
  const recent = new Map<string, number[]>();
  const recentCreatorPlays = (uc: string, t: number) => {
    const times = recent.get(uc);
    if (!times) return 0;
    while (times.length && t - times[0] > 7 * DAY_MS) times.shift();
    return times.length;
  };
  for (let r = 0; r < n; r++) {
    const u = plays.userIndex[r];
    const i = plays.itemIndex[r];
    const c = plays.creatorIndex[r];
    const t = plays.endTimeMs[r];
    const long = plays.playedMs[r] >= rule.longMs;
    const pair = u * plays.nItems + i;
    const uc = `${u}:${c}`;
    const state = pairState.get(pair);
    const openHere = open.get(uc);
    if (openHere) {
      let keep = 0;
      for (const e of openHere) {
        if (t - start[e] > W) continue;
        openHere[keep++] = e;
        if (i !== itemOfExample[e]) lists[e][CREATOR_PLAY].push(t - start[e]);
      }
      openHere.length = keep;
    }
    if (state !== undefined && state >= 0) {
      const e = state;
      const offset = t - start[e];
      if (long) replayedOnce[e] = 1;
      if (offset <= W && !(delay[e] <= W)) {
        if (long) {
          longReplays[e]++;
          if (longReplays[e] >= rule.replays) {
            delay[e] = offset;
            creatorFavoured.set(uc, (creatorFavoured.get(uc) ?? 0) + 1);
          } else lists[e][LONG_REPLAY].push(offset);
        } else lists[e][SHORT_REPLAY].push(offset);
      }
    } else if (long) {
      const e = start.length;
      const skips = state === undefined ? 0 : -1 - state;
      const cl = creatorLong.get(uc) ?? 0;
      const ct = creatorTotal.get(uc) ?? 0;
      const items = creatorItems.get(uc) ?? 0;
      const mine = recentExamples.get(u) ?? [];
      while (mine.length && t - start[mine[0]] > RECENT_DAYS * DAY_MS) mine.shift();
      let replayedRecently = 0;
      for (const e of mine) replayedRecently += replayedOnce[e];
      const newTimes = newItemTimes.get(u) ?? [];
      while (newTimes.length && t - newTimes[0] > HOUR_MS) newTimes.shift();
      x.push(
        Math.log1p(plays.playedMs[r] / 60_000),
        Math.log1p(cl),
        (cl + 1) / (ct + 2),
        Math.log1p(skips),
        (userLong[u] + 1) / (userTotal[u] + 2),
        Math.log1p(recentCreatorPlays(uc, t)),
        Math.log1p(itemLong[i]),
        Math.log((1 + (creatorFavoured.get(uc) ?? 0)) / (2 + items)),
        (replayedRecently + 1) / (mine.length + 5),
        Math.log1p(newTimes.length),
      );
      start.push(t);
      delay.push(Number.POSITIVE_INFINITY);
      users.push(u);
      lists.push([[], [], []]);
      longReplays.push(0);
      itemOfExample.push(i);
      replayedOnce.push(0);
      mine.push(e);
      recentExamples.set(u, mine);
      pairState.set(pair, e);
      creatorItems.set(uc, items + 1);
      if (openHere) openHere.push(e);
      else open.set(uc, [e]);
    } else pairState.set(pair, (state ?? -1) - 1);
    if (state === undefined) {
      const times = newItemTimes.get(u);
      if (times) times.push(t);
      else newItemTimes.set(u, [t]);
    }
    userTotal[u]++;
    const times = recent.get(uc);
    if (times) times.push(t);
    else recent.set(uc, [t]);
    creatorTotal.set(uc, (creatorTotal.get(uc) ?? 0) + 1);
    if (long) {
      userLong[u]++;
      itemLong[i]++;
      creatorLong.set(uc, (creatorLong.get(uc) ?? 0) + 1);
    }
  }
  const { ptr, offsets } = engagementCsr(lists, favouriteEngagementKinds.length);
  if (x.length !== start.length * d) throw new Error("feature width mismatch");
  return {
    n: start.length,
    x: Float64Array.from(x),
    featureNames: favouriteFeatureNames,
    startMs: Float64Array.from(start),
    delayMs: Float64Array.from(delay),
    windowMs: W,
    user: Int32Array.from(users),
    engagementKinds: favouriteEngagementKinds,
    engagementPtr: ptr,
    engagementOffsetMs: offsets,
  };
}
