import type { Random } from "../random.js";
import type { DirectedScorer } from "./scorers.js";

/**
 * Orders a playlist's items so each next item follows well: start at `first` (or the item that best leads
 * into the rest when none is given), then repeatedly append the unplaced item the scorer ranks highest after
 * the last one placed (greedy: an exact best order is a travelling-salesman path, and playlists are short).
 * Ties go to the earlier item in `items`, so a scorer that knows nothing keeps the given order.
 */
export function orderByFollows(items: readonly number[], scorer: DirectedScorer, first?: number): number[] {
  const left = [...items];
  if (left.length <= 1) return left;
  let start = first !== undefined ? left.indexOf(first) : -1;
  if (start < 0) {
    // The item whose best follow-up among the rest scores highest.
    let best = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < left.length; a++) {
      for (let b = 0; b < left.length; b++) {
        if (a === b) continue;
        const s = scorer.score(left[a], left[b]);
        if (s > best) {
          best = s;
          start = a;
        }
      }
    }
  }
  const order = [left[start]];
  left.splice(start, 1);
  while (left.length > 0) {
    const last = order[order.length - 1];
    let pick = 0;
    let best = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < left.length; k++) {
      const s = scorer.score(last, left[k]);
      if (s > best) {
        best = s;
        pick = k;
      }
    }
    order.push(left[pick]);
    left.splice(pick, 1);
  }
  return order;
}

export interface OrderingMetrics {
  playlists: number;
  /** Share of consecutive pairs (a, b) of the ordering that the listener also played as a then b. */
  adjacentPairs: number;
  /** Share of consecutive pairs where b is what truly follows a (when a truth is given; else NaN). */
  trueFollows: number;
}

/**
 * How well orderings of real sessions' items recover the listening order: each session's distinct items are
 * shuffled (seeded), handed to `order` (which must return them all, in some order), and the result's
 * consecutive pairs compared with the session's own. The first item is given, as a playlist's opener is.
 */
export function evaluateOrdering(
  sessions: readonly (readonly number[])[],
  order: (items: number[], first: number) => number[],
  random: Random,
  follows?: Int32Array,
): OrderingMetrics {
  let pairs = 0;
  let adjacent = 0;
  let truly = 0;
  for (const session of sessions) {
    const played = new Set<string>();
    for (let k = 1; k < session.length; k++) played.add(`${session[k - 1]},${session[k]}`);
    const items = [...session];
    for (let i = items.length - 1; i > 1; i--) {
      const j = 1 + random.int(i); // the opener stays first
      [items[i], items[j]] = [items[j], items[i]];
    }
    const ordered = order(items, session[0]);
    if (ordered.length !== session.length) throw new Error("an ordering must return every item once");
    for (let k = 1; k < ordered.length; k++) {
      pairs++;
      if (played.has(`${ordered[k - 1]},${ordered[k]}`)) adjacent++;
      if (follows && follows[ordered[k - 1]] === ordered[k]) truly++;
    }
  }
  return {
    playlists: sessions.length,
    adjacentPairs: pairs > 0 ? adjacent / pairs : Number.NaN,
    trueFollows: follows && pairs > 0 ? truly / pairs : Number.NaN,
  };
}

/**
 * Listening sessions as item sequences: each listener's plays in time order, listened ones only (skips
 * dropped), a new session after a gap over `maxGapMs`, an item played again within a session kept at its
 * first place; sessions shorter than `minLength` dropped and longer ones cut at `maxLength`. `keep(row)`
 * decides from a session's first play whether the session is wanted (a test period, say).
 */
export function listeningSessions(
  plays: {
    userIndex: Int32Array;
    itemIndex: Int32Array;
    endTimeMs: Float64Array;
    playedMs: Float64Array;
  },
  options: { maxGapMs?: number; skipMs?: number; minLength?: number; maxLength?: number } = {},
  keep: (row: number) => boolean = () => true,
): number[][] {
  const maxGap = options.maxGapMs ?? 10 * 60_000;
  const skip = options.skipMs ?? 30_000;
  const minLength = options.minLength ?? 4;
  const maxLength = options.maxLength ?? 20;
  const n = plays.userIndex.length;
  const order = Array.from({ length: n }, (_, k) => k).sort(
    (a, b) => plays.userIndex[a] - plays.userIndex[b] || plays.endTimeMs[a] - plays.endTimeMs[b] || a - b,
  );
  const sessions: number[][] = [];
  let current: number[] = [];
  let seen = new Set<number>();
  let wanted = false;
  let lastUser = -1;
  let lastEnd = Number.NEGATIVE_INFINITY;
  const close = () => {
    if (wanted && current.length >= minLength) sessions.push(current.slice(0, maxLength));
    current = [];
    seen = new Set();
  };
  for (const k of order) {
    const start = plays.endTimeMs[k] - plays.playedMs[k];
    if (plays.userIndex[k] !== lastUser || start - lastEnd > maxGap) {
      close();
      lastUser = plays.userIndex[k];
      wanted = keep(k);
    }
    lastEnd = plays.endTimeMs[k];
    if (plays.playedMs[k] < skip || seen.has(plays.itemIndex[k])) continue;
    seen.add(plays.itemIndex[k]);
    current.push(plays.itemIndex[k]);
  }
  close();
  return sessions;
}
