import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { EmbeddingTable } from "./embeddings.js";
import {
  buildIvf,
  IvfNearestWord,
  IvfSearcher,
  ivfAssignment,
  ivfDeltaMin,
  ivfFromAssignment,
} from "./ivf.js";
import { ExactNearestWord } from "./mechanisms.js";
import { exactNearest } from "./neighbours.js";

/** Words around 25 centres, plus one word placed very near another: a known closest pair. */
function table(n: number, d: number, seed: number, closePair = true): EmbeddingTable {
  const rng = new Random(seed);
  const centres = Array.from({ length: 25 }, () => Array.from({ length: d }, () => 2 * rng.normal()));
  const vectors = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(25)];
    for (let j = 0; j < d; j++) vectors[i * d + j] = c[j] + 0.7 * rng.normal();
  }
  if (closePair)
    for (let j = 0; j < d; j++) vectors[(n - 1) * d + j] = vectors[40 * d + j] + (j === 0 ? 0.02 : 0);
  return new EmbeddingTable(
    Array.from({ length: n }, (_, i) => `w${i}`),
    d,
    vectors,
  );
}

/** Slow reference: the smallest positive distance over every pair. */
function bruteDeltaMin(t: EmbeddingTable): number {
  let best = Number.POSITIVE_INFINITY;
  for (let a = 0; a < t.size; a++)
    for (let b = a + 1; b < t.size; b++) {
      const dist = t.distance(a, b);
      if (dist > 0 && dist < best) best = dist;
    }
  return best;
}

describe("IVF index", () => {
  const t = table(1500, 12, 3);
  const build = buildIvf(t, { lists: 30, seed: 2 });

  it("files every word once, each under its nearest centroid", () => {
    const { index } = build;
    expect(Array.from(index.order).sort((a, b) => a - b)).toEqual(
      Array.from({ length: t.size }, (_, i) => i),
    );
    const assignment = ivfAssignment(index);
    for (let w = 0; w < t.size; w += 37) {
      let best = 0;
      let bestDist = Number.POSITIVE_INFINITY;
      for (let l = 0; l < index.lists; l++) {
        let s = 0;
        for (let j = 0; j < t.dimensions; j++)
          s += (t.vectors[w * 12 + j] - index.centroids[l * 12 + j]) ** 2;
        if (s < bestDist) [best, bestDist] = [l, s];
      }
      expect(assignment[w]).toBe(best);
    }
    // Rebuilt from the saved parts, the same lists.
    const again = ivfFromAssignment(t, index.centroids, assignment);
    expect(again.order).toEqual(index.order);
    expect(again.listStart).toEqual(index.listStart);
  });

  it("probing every list is exact: the k nearest equal brute force (recall 1)", () => {
    const searcher = new IvfSearcher(build.index, build.index.lists);
    const ids = new Int32Array(10);
    const dist = new Float64Array(10);
    const rng = new Random(9);
    for (let q = 0; q < 60; q++) {
      const v = Float32Array.from({ length: 12 }, () => 2 * rng.normal());
      expect(searcher.search(v, 10, ids, dist)).toBe(10);
      expect(Array.from(ids)).toEqual(exactNearest(t, v, 10));
    }
    const nearest = new IvfNearestWord(build.index, build.index.lists);
    const exact = new ExactNearestWord(t);
    const vs = Float32Array.from({ length: 40 * 12 }, () => 2 * rng.normal());
    const a = new Int32Array(40);
    const b = new Int32Array(40);
    nearest.nearestMany(vs, 40, a);
    exact.nearestMany(vs, 40, b);
    expect(a).toEqual(b);
  });

  it("probing fewer lists still finds most neighbours", () => {
    const searcher = new IvfSearcher(build.index, 6);
    const ids = new Int32Array(10);
    const dist = new Float64Array(10);
    let hits = 0;
    for (let w = 0; w < 200; w++) {
      searcher.search(t.vector(w), 10, ids, dist);
      const want = new Set(exactNearest(t, t.vector(w), 10));
      for (const id of ids) if (want.has(id)) hits++;
    }
    expect(hits / 2000).toBeGreaterThan(0.9);
  });

  it("Δ_min is never below the true one, and finds the planted closest pair", () => {
    expect(ivfDeltaMin(t, build)).toBeCloseTo(bruteDeltaMin(t), 12);
    for (const seed of [4, 5, 6]) {
      const u = table(800, 6, seed, false);
      const got = ivfDeltaMin(u, buildIvf(u, { lists: 28, seed }));
      const want = bruteDeltaMin(u);
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got).toBeCloseTo(want, 12);
    }
  });
});
