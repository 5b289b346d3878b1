import { describe, expect, it } from "vitest";
import { userVector } from "../affinity/factor-model.js";
import { Random } from "../random.js";
import { ApproximateIndex, measureRecall } from "./ann.js";
import { exactTopN, itemScore, type TopNResult } from "./exact.js";
import { createTopN } from "./facade.js";
import { randomFactorModel } from "./synthetic.js";

function expectExactScoresDescending(m: Parameters<typeof itemScore>[0], query: Float32Array, r: TopNResult) {
  for (let j = 0; j < r.items.length; j++) {
    expect(r.scores[j]).toBe(Math.fround(itemScore(m, query, r.items[j])));
    if (j > 0) expect(r.scores[j]).toBeLessThanOrEqual(r.scores[j - 1]);
  }
  expect(new Set(r.items).size).toBe(r.items.length);
}

describe("ApproximateIndex", () => {
  it("reaches recall@10 >= 0.95 on a clustered 20k-item, 50-factor model and returns exact scores", () => {
    const m = randomFactorModel(1000, 20_000, 50, 2024, { clusters: 32 });
    const index = ApproximateIndex.build(m, { connectivity: 16, expansionAdd: 64, expansionSearch: 64 });
    expect(index.size).toBe(20_000);
    expect(index.buildSeconds).toBeLessThan(20);
    const recall = measureRecall(m, index, 300, 10, 7);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    for (let u = 0; u < 20; u++) {
      const query = userVector(m, u);
      const r = index.search(query, 10);
      expect(r.items.length).toBe(10);
      expectExactScoresDescending(m, query, r);
    }
  });

  it("filters exclusions and allow masks, over-fetching until n survive", () => {
    const m = randomFactorModel(50, 3000, 24, 99, { clusters: 8 });
    const index = ApproximateIndex.build(m, { expansionSearch: 64, maxFetch: 1000 });
    const rng = new Random(1);
    for (let u = 0; u < 50; u++) {
      const query = userVector(m, u);
      // The user's own exact top 40 as an excluded set: every one of them must be skipped.
      const played = new Set(exactTopN(m, query, 40).items);
      const a = index.search(query, 10, played);
      expect(a.items.length).toBe(10);
      for (const i of a.items) expect(played.has(i)).toBe(false);
      expectExactScoresDescending(m, query, a);

      // A predicate dropping ~80% of items: needs several rounds of over-fetching.
      const salt = rng.int(1000);
      const drop = (i: number) => (i * 7919 + salt) % 5 !== 0;
      const b = index.search(query, 10, drop);
      expect(b.items.length).toBe(10);
      for (const i of b.items) expect(drop(i)).toBe(false);
      expectExactScoresDescending(m, query, b);

      // A very selective mask (12 eligible items): falls back to the exact scan, so equals it.
      const allow = new Uint8Array(m.nItems);
      for (let j = 0; j < 12; j++) allow[rng.int(m.nItems)] = 1;
      const c = index.search(query, 10, undefined, allow);
      const want = exactTopN(m, query, 10, { allow });
      expect(Array.from(c.items)).toEqual(Array.from(want.items));
      expect(Array.from(c.scores)).toEqual(Array.from(want.scores));
    }
  });

  it("keeps the best candidates in the order a plain sort of them gives (ties by smaller item)", () => {
    const m = randomFactorModel(40, 4000, 16, 17, { clusters: 6 });
    // Items 1-7 copy item 0 (factors and bias), made long so that they lead along its direction: equal
    // scores, which must come out by item index.
    const k = m.factors;
    for (let f = 0; f < k; f++) m.itemFactors[f] *= 10;
    for (let i = 1; i < 8; i++) {
      m.itemFactors.copyWithin(i * k, 0, k);
      m.itemBias[i] = m.itemBias[0];
    }
    const index = ApproximateIndex.build(m, { expansionSearch: 64, threads: 1 });
    // The slow reference: one search for `fetch` candidates from the same index, filtered, scored
    // exactly, sorted by (score desc, item asc), the first n.
    const reference = (query: Float32Array, n: number, fetch: number, drop?: (i: number) => boolean) => {
      const y = Float32Array.of(...query, 1);
      const scored = Array.from(index.native.search(y, fetch, 1).keys, Number)
        .filter((i) => !drop?.(i))
        .map((i) => ({ i, s: itemScore(m, query, i) }))
        .sort((a, b) => b.s - a.s || a.i - b.i)
        .slice(0, n);
      return { items: scored.map((c) => c.i), scores: scored.map((c) => Math.fround(c.s)) };
    };
    const queries = [...Array.from({ length: 20 }, (_, u) => userVector(m, u)), m.itemFactors.slice(0, k)];
    let checked = 0;
    for (const query of queries)
      for (const n of [1, 3, 10, 64, 65, 120]) {
        const plain = index.search(query, n);
        const want = reference(query, n, n);
        if (want.items.length < n) continue; // the index returned too few: search falls back to a scan
        expect(Array.from(plain.items)).toEqual(want.items);
        expect(Array.from(plain.scores)).toEqual(want.scores);
        // A predicate asks for n more; kept when the first round leaves n (the usual case).
        const drop = (i: number) => i % 4 === 1;
        const filtered = reference(query, n, 2 * n, drop);
        if (filtered.items.length < n) continue;
        const got = index.search(query, n, drop);
        expect(Array.from(got.items)).toEqual(filtered.items);
        expect(Array.from(got.scores)).toEqual(filtered.scores);
        checked++;
      }
    expect(checked).toBeGreaterThan(100);
    // The copies of item 0 rank together, in item order, for a query along item 0 itself.
    const along = Array.from(index.search(queries[20], 10).items);
    const copies = along.filter((i) => i < 8);
    expect(copies).toEqual([...copies].sort((a, b) => a - b));
    expect(copies.length).toBeGreaterThan(3);
  });

  it("handles n beyond the catalogue, n <= 0, models without users, and equalised norms", () => {
    const m = randomFactorModel(0, 200, 10, 5, { clusters: 3 });
    const index = ApproximateIndex.build(m);
    const query = Float32Array.from({ length: 10 }, (_, f) => Math.sin(f));
    const all = index.search(query, 500);
    expect(all.items.length).toBe(200);
    expect(Array.from(all.items)).toEqual(Array.from(exactTopN(m, query, 500).items));
    expect(index.search(query, 0).items.length).toBe(0);
    expect(measureRecall(m, index, 20, 10, 3)).toBeGreaterThan(0.9);
    expect(() => index.search(new Float32Array(9), 3)).toThrow(RangeError);

    const equalised = ApproximateIndex.build(m, { equalizeNorms: true });
    expect(equalised.dimensions).toBe(12);
    const r = equalised.search(query, 10);
    expect(r.items.length).toBe(10);
    expectExactScoresDescending(m, query, r);
  });
});

describe("createTopN", () => {
  it("scans exactly up to the threshold and uses the index above it", () => {
    const m = randomFactorModel(100, 4000, 16, 8, { clusters: 10 });
    const query = userVector(m, 3);
    const exact = createTopN(m, { approximateAbove: 4000 });
    expect(exact.kind).toBe("exact");
    expect(exact.recall).toBeUndefined();
    expect(Array.from(exact.recommend(query, 10).items)).toEqual(Array.from(exactTopN(m, query, 10).items));

    const approximate = createTopN(m, { approximateAbove: 3999, recallQueries: 100 });
    expect(approximate.kind).toBe("approximate");
    expect(approximate.index?.size).toBe(4000);
    expect(approximate.recall).toBeGreaterThanOrEqual(0.95);
    const r = approximate.recommend(query, 10, { exclude: new Set([0, 1, 2]) });
    expect(r.items.length).toBe(10);
    expectExactScoresDescending(m, query, r);
    // Without the bias the index does not apply: an exact scan answers.
    const noBias = approximate.recommend(query, 10, { bias: false });
    expect(Array.from(noBias.items)).toEqual(Array.from(exactTopN(m, query, 10, { bias: false }).items));
  });
});
