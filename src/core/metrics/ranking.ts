/**
 * Top-N ranking metrics for one user with binary relevance, and top-k selection from a score array.
 *
 * Conventions for the metrics: `ranked` lists distinct item ids best first; only its first k entries are
 * read (fewer if it is shorter); `relevant` holds the user's held-out items. Every metric is 0 for a user
 * with no relevant items; callers normally skip such users when averaging. k must be at least 1.
 */

type Scores = Float32Array | Float64Array;

/**
 * Indices of the k highest scores, best first. Equal scores are ordered by larger tieBreak first when
 * tieBreak is given (pass random values for a random tie-break), then by smaller index. Items with
 * exclude(i) true and NaN scores are skipped; fewer than k indices are returned if fewer remain.
 * O(n log k): a binary min-heap of the k best so far, rooted at the worst of them; no full sort.
 */
export function topK(
  scores: Scores,
  k: number,
  exclude?: (i: number) => boolean,
  tieBreak?: Scores,
): Int32Array {
  k = Math.min(Math.floor(k), scores.length);
  if (!(k > 0)) return new Int32Array(0);
  /** True when item a ranks ahead of item b. */
  const ahead = (a: number, b: number): boolean => {
    if (scores[a] !== scores[b]) return scores[a] > scores[b];
    if (tieBreak && tieBreak[a] !== tieBreak[b]) return tieBreak[a] > tieBreak[b];
    return a < b;
  };
  const heap = new Int32Array(k);
  let size = 0;
  /** Places item at heap slot p, or below it, restoring "every parent ranks behind its children". */
  const siftDown = (item: number, p: number): void => {
    for (;;) {
      let c = 2 * p + 1;
      if (c >= size) break;
      if (c + 1 < size && ahead(heap[c], heap[c + 1])) c++; // the child that ranks further behind
      if (ahead(heap[c], item)) break;
      heap[p] = heap[c];
      p = c;
    }
    heap[p] = item;
  };
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i]) || exclude?.(i)) continue;
    if (size < k) {
      let p = size++;
      while (p > 0) {
        const parent = (p - 1) >> 1;
        if (!ahead(heap[parent], i)) break;
        heap[p] = heap[parent];
        p = parent;
      }
      heap[p] = i;
    } else if (ahead(i, heap[0])) {
      siftDown(i, 0);
    }
  }
  const out = new Int32Array(size);
  while (size > 0) {
    out[size - 1] = heap[0];
    const last = heap[--size];
    if (size > 0) siftDown(last, 0);
  }
  return out;
}

function checkK(k: number): void {
  if (!(k >= 1)) throw new RangeError(`k must be at least 1, got ${k}`);
}

/** Number of entries of ranked[0 .. k) that are in relevant. */
export function hitsAtK(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  checkK(k);
  let hits = 0;
  const end = Math.min(k, ranked.length);
  for (let p = 0; p < end; p++) if (relevant.has(ranked[p])) hits++;
  return hits;
}

/** Σ_{p < m} 1 / log2(p + 2): the DCG of m relevant items at the top. */
function idealDcg(m: number): number {
  let dcg = 0;
  for (let p = 0; p < m; p++) dcg += 1 / Math.log2(p + 2);
  return dcg;
}

/**
 * NDCG@k with binary relevance: DCG / IDCG, where DCG = Σ over 0-based positions p < k holding a relevant
 * item of 1 / log2(p + 2), and IDCG is the DCG of min(k, |relevant|) relevant items at the top. In [0, 1];
 * 0 when relevant is empty.
 */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  checkK(k);
  if (relevant.size === 0) return 0;
  let dcg = 0;
  const end = Math.min(k, ranked.length);
  for (let p = 0; p < end; p++) if (relevant.has(ranked[p])) dcg += 1 / Math.log2(p + 2);
  return dcg / idealDcg(Math.min(k, relevant.size));
}

/** Recall@k: (relevant items among the top k) / |relevant|; 0 when relevant is empty. */
export function recallAtK(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  const hits = hitsAtK(ranked, relevant, k);
  return relevant.size === 0 ? 0 : hits / relevant.size;
}

/**
 * AP@k (averaged over users this is MAP@k): Σ over 0-based hit positions p < k of precision@(p+1), i.e.
 * (hits among ranked[0..p]) / (p + 1), divided by min(k, |relevant|). 0 when relevant is empty.
 */
export function averagePrecisionAtK(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  checkK(k);
  if (relevant.size === 0) return 0;
  let hits = 0;
  let sum = 0;
  const end = Math.min(k, ranked.length);
  for (let p = 0; p < end; p++) {
    if (relevant.has(ranked[p])) {
      hits++;
      sum += hits / (p + 1);
    }
  }
  return sum / Math.min(k, relevant.size);
}

/**
 * Precision@k as `implicit.evaluation.ranking_metrics_at_k` defines it: hits in the top k divided by
 * min(k, |relevant|) rather than by k, so a user with fewer than k held-out items can still reach 1.
 * 0 when relevant is empty.
 *
 * Aggregation caveat: implicit reports Σ_users hits / Σ_users min(k, |relevant|) (a ratio of sums, using
 * `hitsAtK` per user), not the mean of this per-user value; the two differ when users' denominators differ.
 */
export function precisionAtKImplicit(ranked: ArrayLike<number>, relevant: Set<number>, k: number): number {
  const hits = hitsAtK(ranked, relevant, k);
  return relevant.size === 0 ? 0 : hits / Math.min(k, relevant.size);
}

/**
 * NDCG@k as `implicit.evaluation.ranking_metrics_at_k` defines it: binary gains, DCG = Σ 1 / log2(p + 2)
 * over hit positions p < k, IDCG over min(k, |relevant|) ideal positions. That is exactly `ndcgAtK`, so
 * this is the same function; implicit averages it over users with at least one held-out item.
 */
export const ndcgAtKImplicit: (ranked: ArrayLike<number>, relevant: Set<number>, k: number) => number =
  ndcgAtK;
