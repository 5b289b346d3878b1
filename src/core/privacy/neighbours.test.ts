import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { EmbeddingTable } from "./embeddings.js";
import {
  computeNeighbourhoods,
  exactSearch,
  indexedDeltaMin,
  indexSearch,
  LazyNeighbourhoods,
  type Neighbourhoods,
  nearestIndex,
  sampledDeltaMax,
} from "./neighbours.js";

function clusteredTable(n: number, d: number, seed: number): EmbeddingTable {
  const rng = new Random(seed);
  const centres = Array.from({ length: 12 }, () => Array.from({ length: d }, () => rng.normal() * 4));
  const vectors = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length];
    for (let j = 0; j < d; j++) vectors[i * d + j] = c[j] + rng.normal();
  }
  return new EmbeddingTable(
    Array.from({ length: n }, (_, i) => `w${i}`),
    d,
    vectors,
  );
}

/** Slow reference: every pair, sorted. */
function bruteForce(table: EmbeddingTable, k: number) {
  const n = table.size;
  let deltaMin = Number.POSITIVE_INFINITY;
  let deltaMax = 0;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    for (const j of others) {
      const dist = table.distance(i, j);
      if (dist > 0) deltaMin = Math.min(deltaMin, dist);
      deltaMax = Math.max(deltaMax, dist);
    }
    others.sort((a, b) => table.distance(i, a) - table.distance(i, b) || a - b);
    rows.push(others.slice(0, k));
  }
  return { rows, deltaMin, deltaMax };
}

describe("computeNeighbourhoods", () => {
  const table = clusteredTable(400, 8, 1);
  const reference = bruteForce(table, 16);

  it("exact path: the k nearest words of every word, and Δ_min / Δ_max over all pairs", () => {
    const nb = computeNeighbourhoods(table, { k: 16 });
    expect(nb.exact).toBe(true);
    for (let w = 0; w < table.size; w++) {
      expect(Array.from(nb.ids.subarray(w * 16, w * 16 + 16))).toEqual(reference.rows[w]);
      expect(nb.distances[w * 16]).toBeCloseTo(table.distance(w, reference.rows[w][0]), 5);
    }
    expect(nb.deltaMin).toBeCloseTo(reference.deltaMin, 10);
    expect(nb.deltaMax).toBeCloseTo(reference.deltaMax, 10);
  });

  it("HNSW path: high recall, Δ_min bounded below by the truth and Δ_max within a factor of two", () => {
    const nb = computeNeighbourhoods(table, { k: 16, exactUpTo: 0, farthestSample: 20 });
    expect(nb.exact).toBe(false);
    let hits = 0;
    for (let w = 0; w < table.size; w++) {
      const got = new Set(nb.ids.subarray(w * 16, w * 16 + 16));
      for (const id of reference.rows[w]) if (got.has(id)) hits++;
    }
    expect(hits / (table.size * 16)).toBeGreaterThan(0.95);
    expect(nb.deltaMin).toBeGreaterThanOrEqual(reference.deltaMin - 1e-9);
    expect(nb.deltaMax).toBeLessThanOrEqual(reference.deltaMax + 1e-9);
    expect(nb.deltaMax).toBeGreaterThanOrEqual(reference.deltaMax / 2);
  });

  it("ignores identical twins for Δ_min", () => {
    const twins = new EmbeddingTable(["a", "b", "c"], 1, Float32Array.from([0, 0, 3]));
    const nb = computeNeighbourhoods(twins, { k: 2 });
    expect(nb.deltaMin).toBe(3);
    expect(nb.deltaMax).toBe(3);
  });
});

function row(nb: Neighbourhoods, w: number): { ids: number[]; distances: number[] } {
  const at = nb.rowOf(w);
  return {
    ids: Array.from(nb.ids.subarray(at, at + nb.k)),
    distances: Array.from(nb.distances.subarray(at, at + nb.k)),
  };
}

describe("LazyNeighbourhoods", () => {
  const table = clusteredTable(400, 8, 2);
  // Words in a shuffled order with repeats, so rows are asked again after the LRU dropped them.
  const rng = new Random(4);
  const order = Array.from({ length: 1200 }, () => rng.int(table.size));

  it("exact search: every row equals computeNeighbourhoods' exact row, also after eviction", () => {
    const eager = computeNeighbourhoods(table, { k: 16 });
    const lazy = new LazyNeighbourhoods(
      table,
      exactSearch(table),
      16,
      eager.deltaMin,
      eager.deltaMax,
      true,
      50,
    );
    for (const w of order) expect(row(lazy, w)).toEqual(row(eager, w));
    expect(lazy.held).toBe(50);
    expect(lazy.computed).toBeGreaterThan(new Set(order).size);
  });

  it("HNSW search: every row equals the eager row from the same index, and Δ_min is the eager one", () => {
    const index = nearestIndex(table, 1);
    const eager = computeNeighbourhoods(table, {
      k: 16,
      exactUpTo: 0,
      farthestSample: 20,
      index,
      threads: 1,
    });
    const lazy = new LazyNeighbourhoods(table, indexSearch(index), 16, 0, 0, false, 64);
    for (const w of order) expect(row(lazy, w)).toEqual(row(eager, w));
    // Every word's nearest others from the index: the same first neighbours the eager rows start with.
    const deltaMin = indexedDeltaMin(table, index, 4, 1);
    expect(deltaMin).toBe(eager.deltaMin);
    const reference = bruteForce(table, 1);
    expect(deltaMin).toBeGreaterThanOrEqual(reference.deltaMin);
    expect(deltaMin).toBeCloseTo(reference.deltaMin, 12);
    expect(sampledDeltaMax(table, 20, 1)).toBe(eager.deltaMax);
    // At the lazy index's breadth (16) the nearest pair is still found.
    expect(indexedDeltaMin(table, nearestIndex(table, 1, 16), 4, 1)).toBeCloseTo(reference.deltaMin, 12);
  });

  it("holds every word when its capacity allows, computing each row once", () => {
    const lazy = new LazyNeighbourhoods(table, exactSearch(table), 8, 1, 2, true);
    for (const w of order) lazy.rowOf(w);
    expect(lazy.computed).toBe(new Set(order).size);
  });
});
