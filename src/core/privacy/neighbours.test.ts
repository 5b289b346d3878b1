import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { EmbeddingTable } from "./embeddings.js";
import { computeNeighbourhoods } from "./neighbours.js";

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
