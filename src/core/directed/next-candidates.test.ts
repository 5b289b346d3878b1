import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { createTopN } from "../topn/index.js";
import type { DirectedEmbeddings } from "./blade.js";
import { buildDirectedGraph } from "./graph.js";
import { buildNextIndex, nextFactorModel, nextNodes, withCandidates } from "./next.js";
import { buildNextCandidates } from "./next-candidates.js";

/**
 * A random graph with hubs (so some sources' own edges crowd their kept row) and random embeddings; with
 * `levels` the vector entries and biases take a few values only, so many scores tie exactly.
 */
function fixture(seed: number, levels?: number) {
  const n = 60;
  const dim = 6;
  const random = new Random(seed);
  const value = () => (levels ? random.int(levels) - (levels >> 1) : random.normal());
  const sources: number[] = [];
  const targets: number[] = [];
  const weights: number[] = [];
  for (let u = 0; u < n; u++) {
    const degree = u < 4 ? 25 : random.int(5);
    for (let j = 0; j < degree; j++) {
      sources.push(u);
      targets.push(random.int(n));
      weights.push(1 + random.int(4));
    }
  }
  const graph = buildDirectedGraph(n, {
    sources: Int32Array.from(sources),
    targets: Int32Array.from(targets),
    weights: Float32Array.from(weights),
  });
  const embeddings: DirectedEmbeddings = {
    nodeCount: n,
    dim,
    source: Float32Array.from({ length: n * dim }, value),
    target: Float32Array.from({ length: n * dim }, value),
    targetBias: Float32Array.from({ length: n }, () => (levels ? 0 : 0.5 * random.normal())),
  };
  return { n, graph, embeddings };
}

describe("kept candidate rows for next", () => {
  for (const [name, levels] of [
    ["distinct scores", undefined],
    ["many tied scores", 3],
  ] as const) {
    it(`answer exactly as searching every node does (${name}), counts first and embeddings alone`, () => {
      const { n, graph, embeddings } = fixture(11, levels);
      const pool = 20;
      const candidates = buildNextCandidates(embeddings, createTopN(nextFactorModel(embeddings)), {
        k: 8,
        pool,
      });
      let answeredFromRows = 0;
      let fellBack = 0;
      for (const countsFirst of [{ alpha: 2, candidates: pool }, undefined]) {
        const searched = buildNextIndex(embeddings, graph, Number.POSITIVE_INFINITY, countsFirst);
        const kept = withCandidates(searched, candidates);
        for (let u = 0; u < n; u++)
          for (const count of [1, 5, 8, 12]) {
            const fromRows = kept.answerer!.answer(u, count, countsFirst ? countsFirst.alpha : null);
            if (fromRows) answeredFromRows++;
            else fellBack++;
            const got = nextNodes(kept, u, count);
            const want = nextNodes(searched, u, count);
            expect(got.map((x) => x.node)).toEqual(want.map((x) => x.node));
            for (const [j, x] of got.entries()) {
              expect(x.score).toBeCloseTo(want[j].score, 6);
              expect(x.reason).toEqual(want[j].reason);
            }
          }
      }
      // Both paths are exercised: rows answer most queries, crowded or too-short rows fall back.
      expect(answeredFromRows).toBeGreaterThan(fellBack);
      expect(fellBack).toBeGreaterThan(0);
    });
  }

  it("keeps each node's best targets in order, its softmax normaliser and its pool's weakest member", () => {
    const { n, embeddings } = fixture(3);
    const topN = createTopN(nextFactorModel(embeddings));
    const c = buildNextCandidates(embeddings, topN, { k: 4, pool: 10 });
    for (let u = 0; u < n; u++) {
      const { items, scores } = topN.recommend(embeddings.source.subarray(u * 6, u * 6 + 6), 10, {
        exclude: (v) => v === u,
      });
      expect(Array.from(c.nodes.subarray(u * 4, u * 4 + 4))).toEqual(Array.from(items.subarray(0, 4)));
      let z = 0;
      for (const x of scores) z += Math.exp(x - scores[0]);
      expect(c.logNormaliser[u]).toBeCloseTo(Math.log(z), 5);
      expect(c.floorNode[u]).toBe(items[9]);
      expect(c.floorLogit[u]).toBe(scores[9]);
    }
  });
});
