import type { FoldedCells } from "../affinity/cells.js";

/**
 * What a skipped play (one that ended before the threshold) means for top-N models, which learn from
 * binary "the user wanted this" rows:
 * - "ignored" (default): only a pair with at least one long play is a positive; a pair the user only
 *   skipped is left out of the rows (neither liked nor a negative), and top-N answers still leave it out
 *   as already played.
 * - "positive": every played pair is a positive (the user chose it, even if they left early).
 * Measured on validation only (`npm run bench -- topn-skips`: the selection on each data set's training
 * side, scored on each user's latest 20% of training plays, long plays as the relevant items), the best
 * validation NDCG@10 with skips ignored vs as positives: simulated world 0.125 vs 0.111, MovieLens 100K
 * per-user by time (ratings 1-3 as skips) 0.169 vs 0.164; but the shared Spotify histories the other way,
 * 0.073 vs 0.113 (recall@10 0.022 vs 0.020), on 8 users, too few to decide on. So "ignored" is a default
 * from two data sets with many users, not a rule; a store can set `skips: "positive"`.
 */
export type SkipMeaning = "ignored" | "positive";

/** Each user's positive items, CSR by user with items ascending (a binary users x items matrix X). */
export interface PositiveRows {
  nUsers: number;
  nItems: number;
  rowPtr: Int32Array;
  items: Int32Array;
}

/** The binary matrix X of top-N models from folded plays. */
export function positiveRows(cells: FoldedCells, skips: SkipMeaning = "ignored"): PositiveRows {
  const keep = (c: number) => (skips === "positive" ? cells.count[c] > 0 : cells.longCount[c] > 0);
  const rowPtr = new Int32Array(cells.nUsers + 1);
  let n = 0;
  for (let c = 0; c < cells.items.length; c++) if (keep(c)) n++;
  const items = new Int32Array(n);
  let at = 0;
  for (let u = 0; u < cells.nUsers; u++) {
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) if (keep(c)) items[at++] = cells.items[c];
    rowPtr[u + 1] = at;
  }
  return { nUsers: cells.nUsers, nItems: cells.nItems, rowPtr, items };
}

/** The transpose of X: each item's users, CSR by item with users ascending. */
export function itemColumns(rows: PositiveRows): { colPtr: Int32Array; users: Int32Array } {
  const colPtr = new Int32Array(rows.nItems + 1);
  for (let x = 0; x < rows.items.length; x++) colPtr[rows.items[x] + 1]++;
  for (let i = 0; i < rows.nItems; i++) colPtr[i + 1] += colPtr[i];
  const fill = colPtr.slice(0, rows.nItems);
  const users = new Int32Array(rows.items.length);
  for (let u = 0; u < rows.nUsers; u++)
    for (let x = rows.rowPtr[u]; x < rows.rowPtr[u + 1]; x++) users[fill[rows.items[x]]++] = u;
  return { colPtr, users };
}

/** Users with a positive for each item: the popularity of top-N models. */
export function positiveCounts(rows: PositiveRows): Float64Array {
  const counts = new Float64Array(rows.nItems);
  for (let x = 0; x < rows.items.length; x++) counts[rows.items[x]]++;
  return counts;
}

/**
 * Row j of the item co-occurrence matrix XᵀX (users who liked both j and i, for every i) into `out`,
 * which must be zero on entry except where the caller accumulates on purpose.
 */
export function cooccurrenceRow(
  rows: PositiveRows,
  columns: { colPtr: Int32Array; users: Int32Array },
  j: number,
  out: Float64Array,
): void {
  for (let y = columns.colPtr[j]; y < columns.colPtr[j + 1]; y++) {
    const u = columns.users[y];
    for (let x = rows.rowPtr[u]; x < rows.rowPtr[u + 1]; x++) out[rows.items[x]]++;
  }
}
