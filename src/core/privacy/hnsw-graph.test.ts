import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { EmbeddingTable } from "./embeddings.js";
import { savedGraphDeltaMin } from "./hnsw-graph.js";
import { HNSW_CONNECTIVITY, indexedDeltaMin, nearestIndex } from "./neighbours.js";

/** Words scattered around 30 centres, plus one word placed very near another: a known closest pair. */
function tableWithClosePair(n: number, d: number, seed: number): EmbeddingTable {
  const rng = new Random(seed);
  const centres = Array.from({ length: 30 }, () => Array.from({ length: d }, () => 3 * rng.normal()));
  const vectors = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) vectors[i * d + j] = centres[rng.int(30)][j] + 0.8 * rng.normal();
  const twinOf = 17;
  for (let j = 0; j < d; j++) vectors[(n - 1) * d + j] = vectors[twinOf * d + j] + (j === 0 ? 0.01 : 0);
  return new EmbeddingTable(
    Array.from({ length: n }, (_, i) => `w${i}`),
    d,
    vectors,
  );
}

/** Slow reference: the smallest positive distance over every pair. */
function bruteDeltaMin(table: EmbeddingTable): number {
  let best = Number.POSITIVE_INFINITY;
  for (let a = 0; a < table.size; a++)
    for (let b = a + 1; b < table.size; b++) {
      const dist = table.distance(a, b);
      if (dist > 0 && dist < best) best = dist;
    }
  return best;
}

describe("savedGraphDeltaMin", () => {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-graph-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const saved = (table: EmbeddingTable, name: string) => {
    const path = join(dir, name);
    nearestIndex(table, 2).save(path);
    return readFileSync(path);
  };

  it("equals the brute-force Δ_min and the every-word search's, from the graph's own lists", () => {
    const table = tableWithClosePair(3000, 12, 1);
    const bytes = saved(table, "a.usearch");
    const fromGraph = savedGraphDeltaMin(table, bytes, HNSW_CONNECTIVITY, 4 * 12);
    const truth = bruteDeltaMin(table);
    expect(truth).toBeCloseTo(0.01, 6);
    expect(fromGraph).toBe(truth);
    expect(fromGraph).toBe(indexedDeltaMin(table, nearestIndex(table, 1, 16), 4, 1));
  });

  it("is never below the true Δ_min, on tables with no planted pair either", () => {
    for (const seed of [2, 3, 4]) {
      const table = tableWithClosePair(1500, 6, seed);
      // Move the planted word far away: the closest pair is whatever the draws made.
      table.vectors.fill(50, (table.size - 1) * 6, table.size * 6);
      const fromGraph = savedGraphDeltaMin(table, saved(table, `s${seed}.usearch`), HNSW_CONNECTIVITY, 24);
      expect(fromGraph).not.toBeNull();
      expect(fromGraph).toBeGreaterThanOrEqual(bruteDeltaMin(table));
      expect(fromGraph).toBeCloseTo(bruteDeltaMin(table), 12);
    }
  });

  it("skips identical twins (distance 0), as Δ_min's definition does", () => {
    const table = new EmbeddingTable(["a", "b", "c", "d"], 1, Float32Array.from([0, 0, 3, 7]));
    expect(savedGraphDeltaMin(table, saved(table, "twins.usearch"), HNSW_CONNECTIVITY, 4)).toBe(3);
  });

  it("returns null (the caller then searches) for bytes not in the layout it reads", () => {
    const table = tableWithClosePair(500, 4, 5);
    const bytes = saved(table, "b.usearch");
    expect(savedGraphDeltaMin(table, bytes.subarray(0, bytes.length - 4), HNSW_CONNECTIVITY, 16)).toBeNull();
    expect(savedGraphDeltaMin(table, bytes, HNSW_CONNECTIVITY + 1, 16)).toBeNull();
    expect(savedGraphDeltaMin(table, bytes, HNSW_CONNECTIVITY, 8)).toBeNull();
    const other = tableWithClosePair(499, 4, 5);
    expect(savedGraphDeltaMin(other, bytes, HNSW_CONNECTIVITY, 16)).toBeNull();
  });
});
