import type { TimedPlayTable } from "../affinity/affinity-model.js";
import { Random } from "../random.js";

/** Which plays train (1) and which are held out (0), and how the cut was made. */
export interface Split {
  isTrain: Uint8Array;
  description: SplitDescription;
}

export type SplitDescription = (
  | { kind: "date"; cut: string }
  | { kind: "global"; share: number; cut: string }
  | { kind: "per-user"; share: number }
  | { kind: "random-pairs"; share: number; seed: number }
) & { horizonDays?: number };

/**
 * Whether the plays carry times a time split can cut: false when every play has the same end time, as for
 * sources that only give counts (Last.fm's ingest stamps them all 1970-01-01). A time split of such plays
 * puts all of them on one side.
 */
export function hasTimes(plays: TimedPlayTable): boolean {
  const t = plays.endTimeMs;
  for (let r = 1; r < t.length; r++) if (t[r] !== t[0]) return true;
  return false;
}

/** Train on plays before `cutMs`, hold out the rest. */
export function splitByDate(plays: TimedPlayTable, cutMs: number): Split {
  const isTrain = new Uint8Array(plays.endTimeMs.length);
  for (let r = 0; r < isTrain.length; r++) isTrain[r] = plays.endTimeMs[r] < cutMs ? 1 : 0;
  return { isTrain, description: { kind: "date", cut: new Date(cutMs).toISOString() } };
}

/** cut = sorted(end times)[floor(share·n)]: `share` of all plays train (reference-figures.md). */
export function splitAtGlobalQuantile(plays: TimedPlayTable, share: number): Split {
  const sorted = Float64Array.from(plays.endTimeMs).sort();
  const cut = sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
  const { isTrain } = splitByDate(plays, cut);
  return { isTrain, description: { kind: "global", share, cut: new Date(cut).toISOString() } };
}

/** The same rule applied within each user's own plays: each user's earliest `share` trains. */
export function splitAtPerUserQuantile(plays: TimedPlayTable, share: number): Split {
  const n = plays.userIndex.length;
  const times: number[][] = Array.from({ length: plays.nUsers }, () => []);
  for (let r = 0; r < n; r++) times[plays.userIndex[r]].push(plays.endTimeMs[r]);
  const cuts = new Float64Array(plays.nUsers);
  for (let u = 0; u < plays.nUsers; u++) {
    const t = times[u].sort((a, b) => a - b);
    cuts[u] = t.length ? t[Math.min(t.length - 1, Math.floor(share * t.length))] : 0;
  }
  const isTrain = new Uint8Array(n);
  for (let r = 0; r < n; r++) isTrain[r] = plays.endTimeMs[r] < cuts[plays.userIndex[r]] ? 1 : 0;
  return { isTrain, description: { kind: "per-user", share } };
}

/**
 * Holds out only the plays within `days` after each user's cut (their first held-out play): "the next
 * week's plays" rather than everything after the cut. Later plays are on neither side (mask value 2), so
 * a listener's far future is not scored against a playlist made for the week after their cut.
 */
export function heldOutWithin(plays: TimedPlayTable, split: Split, days: number): Split {
  const first = new Float64Array(plays.nUsers).fill(Number.POSITIVE_INFINITY);
  const n = plays.userIndex.length;
  for (let r = 0; r < n; r++)
    if (split.isTrain[r] === 0) {
      const u = plays.userIndex[r];
      if (plays.endTimeMs[r] < first[u]) first[u] = plays.endTimeMs[r];
    }
  const isTrain = Uint8Array.from(split.isTrain);
  const span = days * 86_400_000;
  for (let r = 0; r < n; r++)
    if (isTrain[r] === 0 && plays.endTimeMs[r] >= first[plays.userIndex[r]] + span) isTrain[r] = 2;
  return { isTrain, description: { ...split.description, horizonDays: days } };
}

/** For sources without times: each distinct (user, item) pair goes to training with probability `share`. */
export function splitRandomPairs(plays: TimedPlayTable, share: number, seed: number): Split {
  const rng = new Random(seed);
  const decided = new Map<number, number>();
  const n = plays.userIndex.length;
  const isTrain = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const key = plays.userIndex[r] * plays.nItems + plays.itemIndex[r];
    let side = decided.get(key);
    if (side === undefined) {
      side = rng.next() < share ? 1 : 0;
      decided.set(key, side);
    }
    isTrain[r] = side;
  }
  return { isTrain, description: { kind: "random-pairs", share, seed } };
}

/** The rows of `plays` where mask[r] === value, with the same user and item index spaces. */
export function subsetPlays(plays: TimedPlayTable, mask: Uint8Array, value = 1): TimedPlayTable {
  let count = 0;
  for (let r = 0; r < mask.length; r++) if (mask[r] === value) count++;
  const out: TimedPlayTable = {
    nUsers: plays.nUsers,
    nItems: plays.nItems,
    userIndex: new Int32Array(count),
    itemIndex: new Int32Array(count),
    playedMs: new Float64Array(count),
    itemLengthMs: new Float64Array(count),
    weight: new Float64Array(count),
    endTimeMs: new Float64Array(count),
  };
  let at = 0;
  for (let r = 0; r < mask.length; r++) {
    if (mask[r] !== value) continue;
    out.userIndex[at] = plays.userIndex[r];
    out.itemIndex[at] = plays.itemIndex[r];
    out.playedMs[at] = plays.playedMs[r];
    out.itemLengthMs[at] = plays.itemLengthMs[r];
    out.weight[at] = plays.weight[r];
    out.endTimeMs[at] = plays.endTimeMs[r];
    at++;
  }
  return out;
}
