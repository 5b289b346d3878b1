import { type BinnedThresholds, rowsByBin } from "./binned-thresholds.js";
import { quantileEdges } from "./precision-recall.js";

/**
 * EW-DPMT (Arora et al., arXiv 2311.11723; methods.md 6): K equal-count uncertainty bins, each cut into M
 * equal-count score cells. Because the positive rate rises with the score at fixed uncertainty, a bin's
 * selection is its top j cells; a dynamic program over the bins picks j per bin to maximise the positives
 * selected subject to precision >= minPrecision.
 *
 * The DP is indexed by the number of examples selected (not the number of cells): with exactly equal cells
 * the two are the same (count = cells · n/(KM)), and with the unequal cells that real data and ties give,
 * counting examples keeps it exact. best[k][c] = most positives from the first k bins with c selected.
 */
export interface EwDpmtCells {
  /** Per bin, per j = 0..M: examples and positives in the top j cells. */
  count: number[][];
  positives: number[][];
  /** Per bin, per j = 1..M: the lowest score in the top j cells (the deployed threshold). */
  lowestScore: number[][];
}

export function ewDpmtCells(
  score: ArrayLike<number>,
  label: ArrayLike<number>,
  rows: number[][],
  cellsPerBin: number,
): EwDpmtCells {
  const count: number[][] = [];
  const positives: number[][] = [];
  const lowestScore: number[][] = [];
  for (const idx of rows) {
    const sorted = [...idx].sort((a, b) => score[b] - score[a]);
    const c = [0];
    const p = [0];
    const low: number[] = [];
    let end = 0;
    for (let j = 1; j <= cellsPerBin; j++) {
      let target = Math.round((j * sorted.length) / cellsPerBin);
      // Equal scores stay in one cell, so a cell boundary is a score threshold.
      while (target > 0 && target < sorted.length && score[sorted[target]] === score[sorted[target - 1]])
        target++;
      let pos = p[j - 1];
      for (; end < target; end++) if (label[sorted[end]]) pos++;
      c.push(end);
      p.push(pos);
      low.push(end > 0 ? score[sorted[end - 1]] : Number.POSITIVE_INFINITY);
    }
    count.push(c);
    positives.push(p);
    lowestScore.push(low);
  }
  return { count, positives, lowestScore };
}

/** The cells chosen per bin (j_k) by the dynamic program. */
export function ewDpmtChoose(cells: EwDpmtCells, minPrecision: number): number[] {
  const K = cells.count.length;
  const total = cells.count.reduce((s, c) => s + c[c.length - 1], 0);
  const NONE = -1;
  // best[c]: most positives with c selected so far; choice[k][c]: j taken in bin k to reach it.
  let best = new Float64Array(total + 1).fill(NONE);
  best[0] = 0;
  const choice: Int32Array[] = [];
  for (let k = 0; k < K; k++) {
    const next = new Float64Array(total + 1).fill(NONE);
    const took = new Int32Array(total + 1).fill(-1);
    const ck = cells.count[k];
    const pk = cells.positives[k];
    for (let c = 0; c <= total; c++) {
      if (best[c] === NONE) continue;
      for (let j = 0; j < ck.length; j++) {
        if (j > 0 && ck[j] === ck[j - 1]) continue; // an empty cell adds nothing new
        const c2 = c + ck[j];
        const v = best[c] + pk[j];
        if (v > next[c2]) {
          next[c2] = v;
          took[c2] = j;
        }
      }
    }
    best = next;
    choice.push(took);
  }
  let bestC = 0;
  for (let c = 1; c <= total; c++) {
    if (best[c] !== NONE && best[c] >= minPrecision * c - 1e-9 && best[c] > best[bestC]) bestC = c;
  }
  const js = new Array<number>(K).fill(0);
  for (let k = K - 1, c = bestC; k >= 0; k--) {
    const j = choice[k][c];
    js[k] = j;
    c -= cells.count[k][j];
  }
  return js;
}

export function fitEwDpmt(
  score: ArrayLike<number>,
  uncertainty: ArrayLike<number>,
  label: ArrayLike<number>,
  minPrecision: number,
  bins = 5,
  cellsPerBin = 10,
): BinnedThresholds {
  const edges = quantileEdges(uncertainty, bins);
  const cells = ewDpmtCells(score, label, rowsByBin(edges, uncertainty), cellsPerBin);
  const js = ewDpmtChoose(cells, minPrecision);
  return {
    method: "ew-dpmt",
    uncertaintyEdges: Array.from(edges),
    scoreThresholds: js.map((j, k) => (j === 0 ? Number.POSITIVE_INFINITY : cells.lowestScore[k][j - 1])),
  };
}
