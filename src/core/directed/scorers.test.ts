import { describe, expect, it } from "vitest";
import {
  chooseNeighbourhoodWeights,
  neighbourhoodGrid,
  splitForEvaluation,
  symmetrised,
} from "./experiment.js";
import { buildDirectedGraph, type DirectedGraph, hasEdge } from "./graph.js";
import { evaluateDirected } from "./metrics.js";
import { cosineScorer, directedNeighbourhoodScorer } from "./scorers.js";
import { criterionOf } from "./search.js";
import { simulateFollowGraph } from "./synthetic.js";

function graphOf(n: number, pairs: Array<[number, number]>): DirectedGraph {
  return buildDirectedGraph(n, {
    sources: Int32Array.from(pairs, ([u]) => u),
    targets: Int32Array.from(pairs, ([, v]) => v),
    weights: new Float32Array(pairs.length).fill(1),
  });
}

/** The slow reference: dense rows of A + A^T + I, their cosine, and the two directed terms by definition. */
function reference(g: DirectedGraph, followers: number, reverse: number) {
  const n = g.nodeCount;
  const row = (u: number) =>
    Array.from({ length: n }, (_, x) => (x === u || hasEdge(g, u, x) || hasEdge(g, x, u) ? 1 : 0));
  const rows = Array.from({ length: n }, (_, u) => row(u));
  const cos = (u: number, v: number) => {
    let dot = 0;
    let nu = 0;
    let nv = 0;
    for (let x = 0; x < n; x++) {
      dot += rows[u][x] * rows[v][x];
      nu += rows[u][x];
      nv += rows[v][x];
    }
    return dot / Math.sqrt(nu * nv);
  };
  return (u: number, v: number) => {
    let follow = 0;
    for (let w = 0; w < n; w++) if (w !== u && hasEdge(g, w, v)) follow += cos(u, w);
    return cos(u, v) + followers * follow + (hasEdge(g, v, u) ? reverse : 0);
  };
}

/** A seeded follow graph of 200 nodes and its fit / validation cut. */
function followSplit() {
  const sim = simulateFollowGraph({ nodes: 200, sequenceLength: 8, meanOutDegree: 3, noise: 0.05, seed: 5 });
  return splitForEvaluation(200, sim, { seed: 3 });
}

describe("the directed neighbourhood scorer", () => {
  const small = graphOf(4, [
    [0, 1],
    [0, 2],
    [1, 2],
    [3, 2],
  ]);

  it("scores known answers on a hand-worked graph", () => {
    const s = directedNeighbourhoodScorer(small, { followers: 0.5, reverse: 2 });
    // Rows {0,1,2}, {0,1,2}, {0,1,2,3}, {2,3}: cos(3,1) = 1/sqrt(6); 0 -> 1 and cos(3,0) = 1/sqrt(6).
    expect(s.score(3, 1)).toBeCloseTo(1.5 / Math.sqrt(6), 12);
    // Nothing leads to 3, and 3 -> 1 is no edge: the cosine alone.
    expect(s.score(1, 3)).toBeCloseTo(1 / Math.sqrt(6), 12);
    // 0 -> 2 is an edge, so 2 -> 0 earns the reverse weight; nothing leads to 0.
    expect(s.score(2, 0)).toBeCloseTo(Math.sqrt(3) / 2 + 2, 12);
  });

  it("matches the dense reference in scoreAll and score, and is the cosine at zero weights", () => {
    const sim = simulateFollowGraph({ nodes: 60, sequenceLength: 6, meanOutDegree: 3, noise: 0.1, seed: 4 });
    const g = buildDirectedGraph(60, sim);
    const out = new Float64Array(60);
    const cosOut = new Float64Array(60);
    for (const [followers, reverse] of [
      [0.3, 1],
      [0, 0],
    ]) {
      const s = directedNeighbourhoodScorer(g, { followers, reverse });
      const ref = reference(g, followers, reverse);
      for (let u = 0; u < 60; u++) {
        s.scoreAll(u, out);
        for (let v = 0; v < 60; v++) {
          if (v === u) continue;
          expect(out[v]).toBeCloseTo(ref(u, v), 10);
          expect(s.score(u, v)).toBeCloseTo(ref(u, v), 10);
        }
        if (followers === 0 && reverse === 0) {
          cosineScorer(g).scoreAll(u, cosOut);
          expect(Array.from(out)).toEqual(Array.from(cosOut));
        }
      }
    }
  });

  it("chooses its weights on the validation cut by the search's criterion", () => {
    const { fit, train, validation } = followSplit();
    const chosen = chooseNeighbourhoodWeights(fit, train, validation);
    const pairs = neighbourhoodGrid.followers.flatMap((f) => neighbourhoodGrid.reverse.map((r) => [f, r]));
    expect(chosen.tried.map((t) => [t.followers, t.reverse])).toEqual(pairs);
    for (const t of chosen.tried) {
      const m = evaluateDirected(directedNeighbourhoodScorer(fit, t), fit, train, validation).overall;
      expect(t.mrr).toBe(m.mrr);
    }
    const best = Math.max(...chosen.tried.map(criterionOf));
    const first = chosen.tried.find((t) => criterionOf(t) === best)!;
    expect(chosen.weights).toEqual({ followers: first.followers, reverse: first.reverse });
    // Without the followers term both directions score alike: chance.
    expect(chosen.tried[0].directionAuc).toBe(0.5);
  });

  it("has an ablation that ignores direction: the same scorer on every edge walked both ways", () => {
    const both = symmetrised(small);
    expect(both.edgeCount).toBe(8);
    for (let u = 0; u < 4; u++)
      for (let v = 0; v < 4; v++)
        expect(hasEdge(both, u, v)).toBe(hasEdge(small, u, v) || hasEdge(small, v, u));
    const directed = directedNeighbourhoodScorer(small, { followers: 0.5, reverse: 2 });
    const ablation = directedNeighbourhoodScorer(both, { followers: 0.5, reverse: 2 });
    // 3 -> 2 walked back is 2 -> 3, so 2 now "leads to" 3: cos(1, 3) + 0.5 cos(1, 2) = 1/sqrt(6) + 0.5 sqrt(3)/2.
    expect(ablation.score(1, 3)).toBeCloseTo(1 / Math.sqrt(6) + 0.5 * (Math.sqrt(3) / 2), 12);
    expect(directed.score(1, 3)).toBeCloseTo(1 / Math.sqrt(6), 12);
    // 1 -> 0 is no edge, but 0 -> 1 walked back makes the reverse term pay for 0 -> 1 as well as 1 -> 0.
    expect(ablation.score(0, 1) - directed.score(0, 1)).toBeGreaterThan(1.9);
  });

  it("chooses the ablation's weights on the validation cut, scoring on the undirected fit graph", () => {
    const { fit, train, validation } = followSplit();
    const chosen = chooseNeighbourhoodWeights(fit, train, validation, neighbourhoodGrid, symmetrised);
    const both = symmetrised(fit);
    for (const t of chosen.tried) {
      const m = evaluateDirected(directedNeighbourhoodScorer(both, t), fit, train, validation).overall;
      expect([t.mrr, t.directionAuc]).toEqual([m.mrr, m.directionAuc]);
    }
    const best = Math.max(...chosen.tried.map(criterionOf));
    const first = chosen.tried.find((t) => criterionOf(t) === best)!;
    expect(chosen.weights).toEqual({ followers: first.followers, reverse: first.reverse });
  });
});
