import type { SparseVector } from "./char-ngram-vector.js";

export interface VectorHit {
  id: number;
  score: number;
}

/**
 * Exact cosine retrieval over sparse vectors through an inverted index: a query touches only the entries
 * sharing a feature with it, and accumulates their dot products in one reused array. Indices of tens of
 * thousands of utterances answer in well under a millisecond, so no approximate index is needed.
 */
export class VectorIndex {
  private readonly postings = new Map<number, { ids: number[]; weights: number[] }>();
  private scores = new Float64Array(64);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a vector; returns its id (0, 1, 2, ... in insertion order). */
  add(v: SparseVector): number {
    const id = this.count++;
    for (let i = 0; i < v.index.length; i++) {
      let p = this.postings.get(v.index[i]);
      if (p === undefined) {
        p = { ids: [], weights: [] };
        this.postings.set(v.index[i], p);
      }
      p.ids.push(id);
      p.weights.push(v.value[i]);
    }
    if (this.scores.length < this.count) {
      const grown = new Float64Array(Math.max(this.count, 2 * this.scores.length));
      grown.set(this.scores);
      this.scores = grown;
    }
    return id;
  }

  /** The k entries most similar to q with cosine >= minScore, best first (ties by id). */
  search(q: SparseVector, k: number, minScore = 0): VectorHit[] {
    const touched: number[] = [];
    const s = this.scores;
    for (let i = 0; i < q.index.length; i++) {
      const p = this.postings.get(q.index[i]);
      if (p === undefined) continue;
      const w = q.value[i];
      for (let j = 0; j < p.ids.length; j++) {
        const id = p.ids[j];
        if (s[id] === 0) touched.push(id);
        s[id] += w * p.weights[j];
      }
    }
    const hits: VectorHit[] = [];
    for (const id of touched) {
      if (s[id] >= minScore) hits.push({ id, score: s[id] });
      s[id] = 0;
    }
    hits.sort((a, b) => b.score - a.score || a.id - b.id);
    return hits.slice(0, k);
  }
}
