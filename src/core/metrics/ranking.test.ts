import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import {
  averagePrecisionAtK,
  hitsAtK,
  ndcgAtK,
  ndcgAtKImplicit,
  precisionAtKImplicit,
  recallAtK,
  topK,
} from "./ranking.js";

// Slow, obviously-correct references.

function refTopK(
  scores: ArrayLike<number>,
  k: number,
  exclude?: (i: number) => boolean,
  tieBreak?: ArrayLike<number>,
): number[] {
  const items = Array.from({ length: scores.length }, (_, i) => i).filter(
    (i) => !Number.isNaN(scores[i]) && !exclude?.(i),
  );
  items.sort((a, b) => scores[b] - scores[a] || (tieBreak ? tieBreak[b] - tieBreak[a] : 0) || a - b);
  return items.slice(0, k);
}

const dcg = (list: number[], relevant: Set<number>): number =>
  list.reduce((s, item, p) => s + (relevant.has(item) ? 1 / Math.log2(p + 2) : 0), 0);

function refNdcg(ranked: number[], relevant: Set<number>, k: number): number {
  if (relevant.size === 0) return 0;
  const ideal = [...relevant].slice(0, k); // the best possible top k: relevant items first
  return dcg(ranked.slice(0, k), relevant) / dcg(ideal, relevant);
}

const refHits = (ranked: number[], relevant: Set<number>, k: number): number =>
  ranked.slice(0, k).filter((i) => relevant.has(i)).length;

function refAp(ranked: number[], relevant: Set<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let sum = 0;
  for (let p = 0; p < Math.min(k, ranked.length); p++) {
    if (relevant.has(ranked[p])) sum += refHits(ranked, relevant, p + 1) / (p + 1);
  }
  return sum / Math.min(k, relevant.size);
}

describe("topK", () => {
  it("hand-computed selections", () => {
    const s = Float64Array.from([0.1, 0.9, 0.5, 0.9, 0.3]);
    expect(Array.from(topK(s, 3))).toEqual([1, 3, 2]); // tie 1 vs 3: smaller index first
    expect(Array.from(topK(s, 3, undefined, Float64Array.from([0, 0.2, 0, 0.7, 0])))).toEqual([3, 1, 2]);
    expect(Array.from(topK(s, 2, (i) => i === 1))).toEqual([3, 2]);
    expect(Array.from(topK(s, 10))).toEqual([1, 3, 2, 4, 0]);
    expect(Array.from(topK(Float32Array.from([1, Number.NaN, 2]), 3))).toEqual([2, 0]);
    expect(topK(s, 0).length).toBe(0);
    expect(topK(new Float32Array(0), 5).length).toBe(0);
  });

  it("matches a full sort on random inputs with ties, exclusions and tie-breaks", () => {
    const rng = new Random(11);
    for (let t = 0; t < 2000; t++) {
      const n = rng.int(60);
      const levels = 1 + rng.int(8);
      const scores = Float32Array.from({ length: n }, () =>
        rng.next() < 0.5 ? rng.int(levels) : rng.normal(),
      );
      const tieBreak = rng.next() < 0.5 ? Float64Array.from({ length: n }, () => rng.int(3)) : undefined;
      const excluded = new Set(Array.from({ length: rng.int(n + 1) }, () => rng.int(n)));
      const exclude = rng.next() < 0.5 ? (i: number) => excluded.has(i) : undefined;
      const k = rng.int(n + 5);
      expect(Array.from(topK(scores, k, exclude, tieBreak))).toEqual(refTopK(scores, k, exclude, tieBreak));
    }
  });
});

describe("per-user metrics", () => {
  // Hits at 0-based positions 1 and 4; |relevant| = 3.
  const ranked = [5, 2, 7, 1, 9];
  const relevant = new Set([2, 9, 4]);
  const g = (p: number) => 1 / Math.log2(p + 2);

  it("hand-computed values at k = 5", () => {
    expect(hitsAtK(ranked, relevant, 5)).toBe(2);
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo((g(1) + g(4)) / (g(0) + g(1) + g(2)), 14);
    expect(recallAtK(ranked, relevant, 5)).toBeCloseTo(2 / 3, 15);
    expect(averagePrecisionAtK(ranked, relevant, 5)).toBeCloseTo((1 / 2 + 2 / 5) / 3, 15);
    expect(precisionAtKImplicit(ranked, relevant, 5)).toBeCloseTo(2 / 3, 15); // divides by min(5, 3)
  });

  it("hand-computed values at k = 2 (fewer slots than relevant items)", () => {
    expect(ndcgAtK(ranked, relevant, 2)).toBeCloseTo(g(1) / (g(0) + g(1)), 14);
    expect(recallAtK(ranked, relevant, 2)).toBeCloseTo(1 / 3, 15);
    expect(averagePrecisionAtK(ranked, relevant, 2)).toBeCloseTo(1 / 2 / 2, 15);
    expect(precisionAtKImplicit(ranked, relevant, 2)).toBeCloseTo(1 / 2, 15);
  });

  it("perfect and empty cases", () => {
    const all = new Set([5, 2]);
    expect(ndcgAtK(ranked, all, 10)).toBeCloseTo(1, 15);
    expect(averagePrecisionAtK(ranked, all, 10)).toBeCloseTo(1, 15);
    expect(precisionAtKImplicit(ranked, all, 10)).toBe(1);
    const none = new Set<number>();
    for (const f of [ndcgAtK, recallAtK, averagePrecisionAtK, precisionAtKImplicit]) {
      expect(f(ranked, none, 5)).toBe(0);
      expect(f([], relevant, 5)).toBe(0);
      expect(() => f(ranked, relevant, 0)).toThrow(RangeError);
    }
  });

  it("ndcgAtKImplicit matches implicit's NDCG@k, written out as implicit computes it, on random inputs", () => {
    // implicit.evaluation.ranking_metrics_at_k: cg = 1 / log2(arange(2, K + 2)); DCG adds cg[p] for each
    // recommended id at position p that the user liked; IDCG is cg's cumulative sum at min(K, |likes|) - 1.
    const implicitNdcg = (ids: number[], likes: Set<number>, K: number) => {
      if (likes.size === 0) return 0;
      const cg = Array.from({ length: K }, (_, p) => 1 / Math.log2(p + 2));
      const cgSum: number[] = [];
      for (let p = 0; p < K; p++) cgSum.push((cgSum[p - 1] ?? 0) + cg[p]);
      let dcg = 0;
      ids.slice(0, K).forEach((id, p) => {
        if (likes.has(id)) dcg += cg[p];
      });
      return dcg / cgSum[Math.min(K, likes.size) - 1];
    };
    const rng = new Random(34);
    for (let t = 0; t < 2000; t++) {
      const m = 1 + rng.int(30);
      const ids = rng.shuffle(Array.from({ length: m }, (_, i) => i)).slice(0, rng.int(m + 1));
      const likes = new Set(Array.from({ length: rng.int(m + 1) }, () => rng.int(m)));
      const k = 1 + rng.int(15);
      expect(ndcgAtKImplicit(Int32Array.from(ids), likes, k)).toBeCloseTo(implicitNdcg(ids, likes, k), 12);
    }
  });

  it("match the references on random inputs", () => {
    const rng = new Random(12);
    for (let t = 0; t < 2000; t++) {
      const m = 1 + rng.int(30);
      const items = rng.shuffle(Array.from({ length: m }, (_, i) => i));
      const ranked = items.slice(0, rng.int(m + 1));
      const relevant = new Set(Array.from({ length: rng.int(m + 1) }, () => rng.int(m)));
      const k = 1 + rng.int(15);
      const rankedTyped = Int32Array.from(ranked);
      expect(ndcgAtK(rankedTyped, relevant, k)).toBeCloseTo(refNdcg(ranked, relevant, k), 12);
      expect(averagePrecisionAtK(rankedTyped, relevant, k)).toBeCloseTo(refAp(ranked, relevant, k), 12);
      const hits = refHits(ranked, relevant, k);
      expect(hitsAtK(rankedTyped, relevant, k)).toBe(hits);
      expect(recallAtK(ranked, relevant, k)).toBeCloseTo(relevant.size ? hits / relevant.size : 0, 14);
      expect(precisionAtKImplicit(ranked, relevant, k)).toBeCloseTo(
        relevant.size ? hits / Math.min(k, relevant.size) : 0,
        14,
      );
    }
  });
});
