import type { FoldedCells } from "../affinity/cells.js";
import { spearman } from "../metrics/correlation.js";
import { ndcgAtK } from "../metrics/ranking.js";
import {
  coListeningCreators,
  creatorListeners,
  nearestRows,
  similarCreators,
  type TasteSpace,
} from "./taste-space.js";

export interface CreatorSimilarityScores {
  /** Mean NDCG@k of the creator's k nearest by the method against its k truly nearest. */
  ndcg: number;
  /** Mean per-creator Spearman between the method's similarity and the true one, over all other creators. */
  spearman: number;
}

export interface CreatorSimilarityReport {
  creators: number;
  k: number;
  tasteSpace: CreatorSimilarityScores;
  coListening: CreatorSimilarityScores;
}

/**
 * How well similar creators match the truth of a simulated world, where every item's true trait vector
 * is known: a creator's true direction is the mean of their items' traits, and their truly similar
 * creators are the k nearest by cosine of those. Compared: the taste space's creator vectors and the
 * co-listening baseline (Jaccard of listener sets). Only creators with at least `minListeners` listeners
 * are judged (the rest have too little evidence for either method).
 */
export function compareCreatorSimilarity(
  space: TasteSpace,
  cells: FoldedCells,
  /** True traits per model item (nItems × trueDim), NaN rows for items without a truth. */
  trueItemTraits: Float32Array,
  trueDim: number,
  options: { k?: number; minListeners?: number; maxCreators?: number } = {},
): CreatorSimilarityReport {
  const k = options.k ?? 10;
  const minListeners = options.minListeners ?? 5;
  const nc = space.creators.length;
  const sums = new Float64Array(nc * trueDim);
  for (let i = 0; i < space.nItems; i++) {
    if (Number.isNaN(trueItemTraits[i * trueDim])) continue;
    for (const c of space.itemCreators[i])
      for (let f = 0; f < trueDim; f++) sums[c * trueDim + f] += trueItemTraits[i * trueDim + f];
  }
  const trueUnit = new Float32Array(nc * trueDim);
  for (let c = 0; c < nc; c++) {
    let ss = 0;
    for (let f = 0; f < trueDim; f++) ss += sums[c * trueDim + f] ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let f = 0; f < trueDim; f++) trueUnit[c * trueDim + f] = sums[c * trueDim + f] * inv;
  }
  const listeners = creatorListeners(space, cells);
  const judged = Array.from({ length: nc }, (_, c) => c).filter((c) => listeners[c].size >= minListeners);
  const eligible = new Uint8Array(nc);
  for (const c of judged) eligible[c] = 1;
  const step = Math.max(1, Math.floor(judged.length / (options.maxCreators ?? 300)));
  const acc = { taste: { ndcg: 0, rho: 0 }, co: { ndcg: 0, rho: 0 } };
  let n = 0;
  for (let j = 0; j < judged.length; j += step) {
    const c = judged[j];
    const query = trueUnit.subarray(c * trueDim, (c + 1) * trueDim);
    const truth = nearestRows(trueUnit, trueDim, query, k, (d) => d === c || !eligible[d]);
    const relevant = new Set(truth.map((t) => t.index));
    const taste = similarCreators(space, c, 4 * k)
      .filter((x) => eligible[x.index])
      .map((x) => x.index);
    const co = coListeningCreators(space, cells, c, 4 * k)
      .filter((x) => eligible[x.index])
      .map((x) => x.index);
    acc.taste.ndcg += ndcgAtK(taste, relevant, k);
    acc.co.ndcg += ndcgAtK(co, relevant, k);
    // Similarities over every other judged creator: true, taste-space cosine, listener Jaccard.
    const trueSim: number[] = [];
    const tasteSim: number[] = [];
    const coSim: number[] = [];
    const mine = listeners[c];
    for (const d of judged) {
      if (d === c) continue;
      let t = 0;
      let s = 0;
      for (let f = 0; f < trueDim; f++) t += trueUnit[c * trueDim + f] * trueUnit[d * trueDim + f];
      for (let f = 0; f < space.dim; f++)
        s += space.unitCreators[c * space.dim + f] * space.unitCreators[d * space.dim + f];
      let both = 0;
      for (const u of listeners[d]) if (mine.has(u)) both++;
      trueSim.push(t);
      tasteSim.push(s);
      coSim.push(both / (mine.size + listeners[d].size - both));
    }
    acc.taste.rho += spearman(tasteSim, trueSim);
    acc.co.rho += spearman(coSim, trueSim);
    n++;
  }
  const r = (x: number) => (n ? Math.round((x / n) * 1e4) / 1e4 : 0);
  return {
    creators: n,
    k,
    tasteSpace: { ndcg: r(acc.taste.ndcg), spearman: r(acc.taste.rho) },
    coListening: { ndcg: r(acc.co.ndcg), spearman: r(acc.co.rho) },
  };
}
