import { type LabelRule, signedPlayWeight, thresholdFor } from "./weighting.js";

/** Plays as parallel columns with dense user and item indices (the store's scan, or a slice of it). */
export interface PlayTable {
  nUsers: number;
  nItems: number;
  userIndex: Int32Array;
  itemIndex: Int32Array;
  playedMs: Float64Array;
  /** 0 when unknown. */
  itemLengthMs: Float64Array;
  /** NaN when the play carries no explicit weight. */
  weight: Float64Array;
}

/** A play table from small [user, item, playedMs, weight?] rows: for tests, examples and tiny inputs. */
export function playTableFromRows(
  rows: ReadonlyArray<readonly [number, number, number, number?]>,
  nUsers: number,
  nItems: number,
): PlayTable {
  return {
    nUsers,
    nItems,
    userIndex: Int32Array.from(rows, (r) => r[0]),
    itemIndex: Int32Array.from(rows, (r) => r[1]),
    playedMs: Float64Array.from(rows, (r) => r[2]),
    itemLengthMs: new Float64Array(rows.length),
    weight: Float64Array.from(rows, (r) => r[3] ?? Number.NaN),
  };
}

/**
 * Every (user, item) pair with at least one play, folded into one cell: CSR by user, items ascending
 * within a row. `sum` is Σ label·w over the pair's plays (the reference's folding rule), `count` the
 * number of plays, `longCount` the plays at or past the threshold.
 */
export interface FoldedCells {
  nUsers: number;
  nItems: number;
  rowPtr: Int32Array;
  items: Int32Array;
  sum: Float32Array;
  count: Int32Array;
  longCount: Int32Array;
}

/**
 * The signed weight a single play contributes. A play with an explicit weight (a rating or a play count
 * from sources without durations) contributes that weight as it is; otherwise label · max(g(x), floor).
 */
export function playContribution(
  rule: LabelRule,
  playedMs: number,
  itemLengthMs: number,
  weight: number,
): number {
  if (!Number.isNaN(weight)) return weight;
  return signedPlayWeight(rule, playedMs, itemLengthMs);
}

/**
 * Whether a play counts as a long play (the listener judged the item and liked it). A play with an explicit
 * weight (a play count from sources without durations, such as Last.fm) is long when the weight is positive:
 * a count says the listener came back to the item, which is what a long play says where durations exist.
 */
export function countsAsLong(
  rule: LabelRule,
  playedMs: number,
  itemLengthMs: number,
  weight: number,
): boolean {
  return Number.isNaN(weight) ? playedMs >= thresholdFor(rule, itemLengthMs) : weight > 0;
}

/** Folds plays into cells. `include` selects rows (e.g. the training side of a split); default all. */
export function foldPlays(
  plays: PlayTable,
  rule: LabelRule,
  include?: (row: number) => boolean,
): FoldedCells {
  const { nUsers, nItems, userIndex, itemIndex } = plays;
  const n = userIndex.length;
  // Bucket rows by user (counting sort), then per user accumulate into an item-indexed scratch array.
  const userStart = new Int32Array(nUsers + 1);
  for (let r = 0; r < n; r++) if (!include || include(r)) userStart[userIndex[r] + 1]++;
  for (let u = 0; u < nUsers; u++) userStart[u + 1] += userStart[u];
  const byUser = new Int32Array(userStart[nUsers]);
  const fill = userStart.slice(0, nUsers);
  for (let r = 0; r < n; r++) if (!include || include(r)) byUser[fill[userIndex[r]]++] = r;

  const accSum = new Float64Array(nItems);
  const accCount = new Int32Array(nItems);
  const accLong = new Int32Array(nItems);
  const touched = new Int32Array(nItems);
  const rowPtr = new Int32Array(nUsers + 1);
  let items = new Int32Array(Math.max(16, byUser.length));
  let sum = new Float32Array(items.length);
  let count = new Int32Array(items.length);
  let longCount = new Int32Array(items.length);
  let nCells = 0;
  for (let u = 0; u < nUsers; u++) {
    let nTouched = 0;
    for (let k = userStart[u]; k < userStart[u + 1]; k++) {
      const r = byUser[k];
      const i = itemIndex[r];
      if (accCount[i] === 0) touched[nTouched++] = i;
      const w = playContribution(rule, plays.playedMs[r], plays.itemLengthMs[r], plays.weight[r]);
      accSum[i] += w;
      accCount[i]++;
      if (countsAsLong(rule, plays.playedMs[r], plays.itemLengthMs[r], plays.weight[r])) accLong[i]++;
    }
    const row = touched.subarray(0, nTouched).sort();
    if (nCells + nTouched > items.length) {
      const size = Math.max(items.length * 2, nCells + nTouched);
      items = grow(items, size);
      sum = grow(sum, size);
      count = grow(count, size);
      longCount = grow(longCount, size);
    }
    for (let t = 0; t < nTouched; t++) {
      const i = row[t];
      items[nCells] = i;
      sum[nCells] = accSum[i];
      count[nCells] = accCount[i];
      longCount[nCells] = accLong[i];
      nCells++;
      accSum[i] = 0;
      accCount[i] = 0;
      accLong[i] = 0;
    }
    rowPtr[u + 1] = nCells;
  }
  return {
    nUsers,
    nItems,
    rowPtr,
    items: items.slice(0, nCells),
    sum: sum.slice(0, nCells),
    count: count.slice(0, nCells),
    longCount: longCount.slice(0, nCells),
  };
}

function grow<T extends Int32Array | Float32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** Position of `item` in the ascending `items[lo, hi)`, or -1 (binary search). */
export function indexOfSorted(items: Int32Array, lo: number, hi: number, item: number): number {
  hi--;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = items[mid];
    if (v === item) return mid;
    if (v < item) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Position of `item` in user u's row of cells, or -1. Rows are sorted, so this is a binary search. */
export function findCell(cells: { rowPtr: Int32Array; items: Int32Array }, u: number, item: number): number {
  return indexOfSorted(cells.items, cells.rowPtr[u], cells.rowPtr[u + 1], item);
}

/** The history baseline for one cell: the mean of label·w over the user's plays of the item (0 if none). */
export function historyMean(cells: FoldedCells, u: number, item: number): number {
  const c = findCell(cells, u, item);
  return c < 0 ? 0 : cells.sum[c] / cells.count[c];
}

/** Popularity: each item's number of long plays. */
export function itemPopularity(cells: FoldedCells): Float64Array {
  const pop = new Float64Array(cells.nItems);
  for (let c = 0; c < cells.items.length; c++) pop[cells.items[c]] += cells.longCount[c];
  return pop;
}
