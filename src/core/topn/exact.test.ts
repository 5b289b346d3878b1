import { describe, expect, it } from "vitest";
import { createFactorModel, type FactorModel, userVector } from "../affinity/factor-model.js";
import { Random } from "../random.js";
import {
  exactTopN,
  forgetItemNorms,
  itemInverseNorms,
  itemScore,
  nearestByCosine,
  similarItems,
} from "./exact.js";
import { randomFactorModel } from "./synthetic.js";

// Slow, obviously-correct references: score every item, sort everything.

function refTopN(
  m: FactorModel,
  query: ArrayLike<number>,
  n: number,
  opts: { exclude?: (i: number) => boolean; allow?: Uint8Array; bias?: boolean } = {},
): { items: number[]; scores: number[] } {
  const all: { item: number; score: number }[] = [];
  for (let i = 0; i < m.nItems; i++) {
    if (opts.allow && opts.allow[i] !== 1) continue;
    if (opts.exclude?.(i)) continue;
    let s = opts.bias === false ? 0 : m.itemBias[i];
    for (let f = 0; f < m.factors; f++) s += query[f] * m.itemFactors[i * m.factors + f];
    if (!Number.isNaN(s)) all.push({ item: i, score: s });
  }
  all.sort((a, b) => b.score - a.score || a.item - b.item);
  const top = all.slice(0, Math.max(0, n));
  return { items: top.map((c) => c.item), scores: top.map((c) => c.score) };
}

function refSimilar(m: FactorModel, item: number, n: number, exclude?: (i: number) => boolean) {
  const k = m.factors;
  const row = (i: number) => Array.from(m.itemFactors.subarray(i * k, (i + 1) * k));
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const a = row(item);
  const all: { item: number; score: number }[] = [];
  for (let j = 0; j < m.nItems; j++) {
    if (j === item || exclude?.(j)) continue;
    const b = row(j);
    if (norm(b) === 0) continue;
    all.push({ item: j, score: a.reduce((s, x, f) => s + x * b[f], 0) / (norm(a) * norm(b)) });
  }
  all.sort((x, y) => y.score - x.score || x.item - y.item);
  const top = all.slice(0, n);
  return { items: top.map((c) => c.item), scores: top.map((c) => c.score) };
}

function expectSame(
  got: { items: Int32Array; scores: Float32Array },
  want: { items: number[]; scores: number[] },
) {
  expect(Array.from(got.items)).toEqual(want.items);
  expect(got.scores.length).toBe(want.scores.length);
  for (let j = 0; j < want.scores.length; j++) {
    expect(got.scores[j]).toBeCloseTo(want.scores[j], 5);
    if (j > 0) expect(got.scores[j]).toBeLessThanOrEqual(got.scores[j - 1]);
  }
}

describe("exactTopN", () => {
  it("equals score-everything-and-sort on random models, every factor count around the unrolling", () => {
    const rng = new Random(42);
    for (let trial = 0; trial < 60; trial++) {
      const factors = 1 + (trial % 19);
      const nItems = 1 + rng.int(400);
      const m = randomFactorModel(5, nItems, factors, 1000 + trial);
      const query = userVector(m, rng.int(5));
      for (const n of [1, 3, 10, 50, nItems, nItems + 5]) {
        expectSame(exactTopN(m, query, n), refTopN(m, query, n));
      }
    }
  });

  it("honours exclusions (predicate and set), allow masks and bias: false", () => {
    const rng = new Random(7);
    for (let trial = 0; trial < 40; trial++) {
      const m = randomFactorModel(3, 300 + rng.int(300), 8 + (trial % 9), 2000 + trial, { clusters: 5 });
      const query = userVector(m, trial % 3);
      const excluded = new Set<number>();
      for (let j = 0; j < 60; j++) excluded.add(rng.int(m.nItems));
      const allow = new Uint8Array(m.nItems);
      for (let i = 0; i < m.nItems; i++) allow[i] = rng.next() < 0.6 ? 1 : 0;
      const exclude = (i: number) => excluded.has(i);
      const n = 1 + rng.int(40);
      expectSame(exactTopN(m, query, n, { exclude }), refTopN(m, query, n, { exclude }));
      expectSame(exactTopN(m, query, n, { exclude: excluded }), refTopN(m, query, n, { exclude }));
      expectSame(exactTopN(m, query, n, { allow }), refTopN(m, query, n, { allow }));
      expectSame(
        exactTopN(m, query, n, { exclude, allow, bias: false }),
        refTopN(m, query, n, { exclude, allow, bias: false }),
      );
    }
  });

  it("breaks ties by smaller item index, deterministically", () => {
    // 200 items built from 7 distinct rows: every score is shared by many items.
    const rng = new Random(3);
    const m = createFactorModel(1, 200, 6);
    const rows = Array.from({ length: 7 }, () => Array.from({ length: 6 }, () => rng.normal()));
    for (let i = 0; i < 200; i++) {
      const r = rng.int(7);
      m.itemFactors.set(rows[r], i * 6);
      m.itemBias[i] = r * 0.25;
    }
    const query = Float32Array.from({ length: 6 }, () => rng.normal());
    for (const n of [1, 5, 17, 64, 200]) {
      const want = refTopN(m, query, n);
      expectSame(exactTopN(m, query, n), want);
      expectSame(
        exactTopN(m, query, n, { exclude: (i) => i % 3 === 0 }),
        refTopN(m, query, n, { exclude: (i) => i % 3 === 0 }),
      );
    }
    // All scores equal: the first n items.
    const flat = createFactorModel(1, 50, 4);
    expect(Array.from(exactTopN(flat, new Float32Array(4), 5).items)).toEqual([0, 1, 2, 3, 4]);
  });

  it("skips NaN scores, returns fewer when fewer are eligible, and nothing for n <= 0", () => {
    const m = randomFactorModel(1, 30, 5, 9);
    m.itemBias[4] = Number.NaN;
    m.itemBias[11] = Number.NaN;
    const query = userVector(m, 0);
    const got = exactTopN(m, query, 100);
    expect(got.items.length).toBe(28);
    expect(Array.from(got.items)).not.toContain(4);
    expectSame(got, refTopN(m, query, 100));
    expect(exactTopN(m, query, 0).items.length).toBe(0);
    expect(exactTopN(m, query, -3).items.length).toBe(0);
    expect(exactTopN(m, query, 5, { allow: new Uint8Array(30) }).items.length).toBe(0);
  });

  it("consults the exclusion predicate only for items that would enter the top n", () => {
    const m = randomFactorModel(1, 5000, 16, 10);
    let calls = 0;
    exactTopN(m, userVector(m, 0), 10, {
      exclude: () => {
        calls++;
        return false;
      },
    });
    expect(calls).toBeLessThan(500);
  });

  it("rejects short queries and short allow masks", () => {
    const m = randomFactorModel(1, 10, 5, 1);
    expect(() => exactTopN(m, new Float32Array(4), 3)).toThrow(RangeError);
    expect(() => exactTopN(m, new Float32Array(5), 3, { allow: new Uint8Array(9) })).toThrow(RangeError);
  });

  it("itemScore matches exactTopN's scores exactly", () => {
    const m = randomFactorModel(2, 500, 21, 12);
    const query = userVector(m, 1);
    const got = exactTopN(m, query, 20);
    for (let j = 0; j < got.items.length; j++) {
      expect(got.scores[j]).toBe(Math.fround(itemScore(m, query, got.items[j])));
    }
  });
});

describe("similarItems", () => {
  it("equals the cosine reference, never returning the item itself", () => {
    const rng = new Random(5);
    for (let trial = 0; trial < 30; trial++) {
      // From 2 factors: with 1, every cosine is ±1 up to rounding, and the order of such "ties" is noise.
      const m = randomFactorModel(1, 50 + rng.int(500), 2 + (trial % 13), 3000 + trial, { clusters: 4 });
      const item = rng.int(m.nItems);
      for (const n of [1, 10, m.nItems]) {
        const got = similarItems(m, item, n);
        expect(Array.from(got.items)).not.toContain(item);
        expectSame(got, refSimilar(m, item, n));
      }
      const exclude = (j: number) => j % 4 === 1;
      expectSame(similarItems(m, item, 10, { exclude }), refSimilar(m, item, 10, exclude));
    }
  });

  it("skips zero vectors, breaks ties by index, and caches norms per model", () => {
    const m = randomFactorModel(1, 40, 6, 4);
    m.itemFactors.fill(0, 6 * 6, 7 * 6); // item 6 has no direction
    m.itemFactors.copyWithin(20 * 6, 2 * 6, 3 * 6); // item 20 duplicates item 2
    m.itemFactors.copyWithin(30 * 6, 2 * 6, 3 * 6); // and so does item 30
    const got = similarItems(m, 2, 39);
    expect(Array.from(got.items)).not.toContain(6);
    expect(Array.from(got.items.slice(0, 2))).toEqual([20, 30]);
    expect(got.scores[0]).toBeCloseTo(1, 6);
    expectSame(got, refSimilar(m, 2, 39));
    expect(similarItems(m, 6, 5).items.length).toBe(0);

    const norms = itemInverseNorms(m);
    expect(itemInverseNorms(m)).toBe(norms);
    m.itemFactors.fill(1, 0, 6);
    forgetItemNorms(m);
    expect(itemInverseNorms(m)).not.toBe(norms);
    expectSame(similarItems(m, 0, 10), refSimilar(m, 0, 10));
    expect(() => similarItems(m, 40, 3)).toThrow(RangeError);
  });
});

describe("nearestByCosine", () => {
  it("equals the cosine reference for any unit query, with exclusions and an allow mask", () => {
    const rng = new Random(9);
    for (let trial = 0; trial < 30; trial++) {
      const m = randomFactorModel(1, 50 + rng.int(500), 2 + (trial % 13), 4000 + trial, { clusters: 4 });
      if (trial % 3 === 0) m.itemFactors.fill(0, 0, m.factors); // item 0 has no direction
      forgetItemNorms(m);
      const raw = Array.from({ length: m.factors }, () => rng.normal());
      const length = Math.hypot(...raw);
      const query = Float32Array.from(raw, (x) => x / length);
      // The reference for a query direction: the similarItems reference with the query as an extra item.
      const withQuery = createFactorModel(1, m.nItems + 1, m.factors);
      withQuery.itemFactors.set(m.itemFactors);
      withQuery.itemFactors.set(query, m.nItems * m.factors);
      const exclude = (j: number) => j % 5 === 2;
      const allow = Uint8Array.from({ length: m.nItems }, (_, j) => (j % 7 === 3 ? 0 : 1));
      for (const n of [1, 10, m.nItems]) {
        const want = refSimilar(withQuery, m.nItems, n, (j) => j >= m.nItems);
        expectSame(nearestByCosine(m, query, n), want);
      }
      const filtered = refSimilar(withQuery, m.nItems, 20, (j) => j >= m.nItems || exclude(j) || !allow[j]);
      expectSame(nearestByCosine(m, query, 20, { exclude, allow }), filtered);
    }
  });
});
