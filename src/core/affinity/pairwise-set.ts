import { type FoldedCells, indexOfSorted } from "./cells.js";

/**
 * The tiers BPR samples from, per user: P (liked), N (disliked), and implicitly U (everything else).
 * Each row holds the user's P items then N items, each block ascending so membership is a binary search.
 * This is all that is held per interaction during training: item (4 B), weight (4 B), owner (4 B) and
 * one entry in the P or N list (4 B) = 16 B.
 */
export interface PairwiseSet {
  nUsers: number;
  nItems: number;
  rowPtr: Int32Array;
  /** End of the P block of each user's row (N runs from pEnd[u] to rowPtr[u + 1]). */
  pEnd: Int32Array;
  items: Int32Array;
  /** Confidence weight of each cell, mean 1 over all cells. */
  weight: Float32Array;
  /** The user of each cell (so a cell drawn at random knows its row). */
  owner: Int32Array;
  /** Indices of all P cells and of all N cells. */
  positives: Int32Array;
  negatives: Int32Array;
}

export interface PairwiseOptions {
  /** Plain BPR: P = pairs with at least one long play, unweighted, no N tier. */
  positivesOnly: boolean;
  /** Cap on a cell's |Σ label·w| before normalising (reference: 10). */
  cellCap: number;
}

export const defaultPairwiseOptions: PairwiseOptions = { positivesOnly: false, cellCap: 10 };

export function buildPairwiseSet(
  cells: FoldedCells,
  options: PairwiseOptions = defaultPairwiseOptions,
): PairwiseSet {
  const { nUsers, nItems } = cells;
  const isP = (c: number) => (options.positivesOnly ? cells.longCount[c] > 0 : cells.sum[c] > 0);
  const isN = (c: number) => !options.positivesOnly && cells.sum[c] < 0;
  let nP = 0;
  let nN = 0;
  for (let c = 0; c < cells.items.length; c++) {
    if (isP(c)) nP++;
    else if (isN(c)) nN++;
  }
  const rowPtr = new Int32Array(nUsers + 1);
  const pEnd = new Int32Array(nUsers);
  const items = new Int32Array(nP + nN);
  const weight = new Float32Array(nP + nN);
  const owner = new Int32Array(nP + nN);
  const positives = new Int32Array(nP);
  const negatives = new Int32Array(nN);
  let at = 0;
  let ip = 0;
  let iN = 0;
  let weightSum = 0;
  for (let u = 0; u < nUsers; u++) {
    rowPtr[u] = at;
    for (let pass = 0; pass < 2; pass++) {
      for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) {
        if (pass === 0 ? !isP(c) : !isN(c)) continue;
        const w = options.positivesOnly ? 1 : Math.min(Math.abs(cells.sum[c]), options.cellCap);
        items[at] = cells.items[c];
        weight[at] = w;
        owner[at] = u;
        weightSum += w;
        if (pass === 0) positives[ip++] = at;
        else negatives[iN++] = at;
        at++;
      }
      if (pass === 0) pEnd[u] = at;
    }
  }
  rowPtr[nUsers] = at;
  // Mean 1, so every weighting takes steps of the same average size (reference-figures.md).
  const mean = at > 0 ? weightSum / at : 1;
  for (let c = 0; c < at; c++) weight[c] /= mean;
  return { nUsers, nItems, rowPtr, pEnd, items, weight, owner, positives, negatives };
}

/** True when item is in [lo, hi) of the sorted `items`. */
export function containsSorted(items: Int32Array, lo: number, hi: number, item: number): boolean {
  return indexOfSorted(items, lo, hi, item) >= 0;
}

/** Bytes held per interaction by the set (for the memory report). */
export function pairwiseBytesPerInteraction(set: PairwiseSet): number {
  const n = set.items.length || 1;
  const bytes =
    set.items.byteLength +
    set.weight.byteLength +
    set.owner.byteLength +
    set.positives.byteLength +
    set.negatives.byteLength +
    set.rowPtr.byteLength +
    set.pEnd.byteLength;
  return bytes / n;
}
