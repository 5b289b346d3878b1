import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { countsFirstScorer, logPopularityScorer, smoothedFollows } from "./counts-first.js";
import { buildDirectedGraph } from "./graph.js";
import { chooseSmoothing, trainCountsFirstModel } from "./next-play.js";
import type { PlayTransitions } from "./plays-next.js";
import type { DirectedScorer } from "./scorers.js";

/** A prior that likes `favourite` (logit 5) from every source and nothing else (logit 0). */
function likes(favourite: number): DirectedScorer {
  return {
    scoreAll: (_u, out) => {
      out.fill(0);
      out[favourite] = 5;
    },
    score: (_u, v) => (v === favourite ? 5 : 0),
  };
}

function ranking(scorer: DirectedScorer, u: number, n: number): number[] {
  const out = new Float64Array(n);
  scorer.scoreAll(u, out);
  return Array.from({ length: n }, (_, v) => v)
    .filter((v) => v !== u)
    .sort((a, b) => out[b] - out[a] || a - b);
}

describe("counts first, a prior filling in", () => {
  // 0 -> 1 three times, 0 -> 2 once; 5 -> 0 once; node 4 has no out-edges (a cold source).
  const g = buildDirectedGraph(6, {
    sources: Int32Array.from([0, 0, 0, 0, 5]),
    targets: Int32Array.from([1, 1, 1, 2, 0]),
    weights: new Float32Array(5).fill(1),
  });

  it("answers a source with observed follow-ups from its counts, a cold one from the prior", () => {
    const scorer = countsFirstScorer(g, likes(3), { alpha: 0.1 });
    expect(ranking(scorer, 0, 6).slice(0, 3)).toEqual([1, 2, 3]); // counts, then the prior fills the list
    expect(ranking(scorer, 4, 6)[0]).toBe(3); // nothing observed: the prior's favourite
    // A strong prior outweighs a single observation, not three.
    const strong = countsFirstScorer(g, likes(3), { alpha: 30 });
    expect(ranking(strong, 0, 6).slice(0, 3)).toEqual([3, 1, 2]);
    expect(ranking(strong, 5, 6)[0]).toBe(3);
  });

  it("gives the smoothed probabilities of the formula (a slow reference on random graphs)", () => {
    const random = new Random(11);
    for (let trial = 0; trial < 5; trial++) {
      const n = 20;
      const m = 50;
      const rg = buildDirectedGraph(n, {
        sources: Int32Array.from({ length: m }, () => random.int(n)),
        targets: Int32Array.from({ length: m }, () => random.int(n)),
        weights: Float32Array.from({ length: m }, () => 0.2 + random.next()),
      });
      const u = random.int(n);
      const k = 6;
      const priorNodes = Array.from({ length: k }, (_, i) => (u + 1 + i * 3) % n).filter((v) => v !== u);
      const priorLogits = priorNodes.map(() => 3 * random.normal());
      const alpha = [0.1, 1, 10][trial % 3];
      const got = smoothedFollows(rg, u, priorNodes, priorLogits, alpha);
      // Reference: the whole distribution written out node by node.
      let w = 0;
      const edge = new Float64Array(n);
      for (let j = rg.outOffsets[u]; j < rg.outOffsets[u + 1]; j++) {
        edge[rg.outTargets[j]] = rg.outWeights[j];
        w += rg.outWeights[j];
      }
      const z = priorLogits.reduce((a, x) => a + Math.exp(x), 0);
      const q = new Float64Array(n);
      priorNodes.forEach((v, i) => {
        q[v] = Math.exp(priorLogits[i]) / z;
      });
      const expected = new Map<number, number>();
      for (let v = 0; v < n; v++)
        if (edge[v] > 0 || q[v] > 0) expected.set(v, (edge[v] + alpha * q[v]) / (w + alpha));
      expect(got.length).toBe(expected.size);
      for (const f of got) expect(f.probability).toBeCloseTo(expected.get(f.node) as number, 10);
      for (let i = 1; i < got.length; i++)
        expect(got[i - 1].probability).toBeGreaterThanOrEqual(got[i].probability);
      // Observed plus prior mass: with every prior candidate listed, the probabilities sum to 1.
      const sum = got.reduce((a, f) => a + f.probability, 0);
      expect(sum).toBeCloseTo(1, 10);
    }
  });

  it("ranks past the candidates in the prior's order, below every candidate", () => {
    const n = 30;
    const prior: DirectedScorer = {
      scoreAll: (_u, out) => {
        for (let v = 0; v < n; v++) out[v] = -v; // node 1 best, then 2, ...
      },
      score: (_u, v) => -v,
    };
    const big = buildDirectedGraph(n, {
      sources: Int32Array.from([0]),
      targets: Int32Array.from([29]),
      weights: Float32Array.from([1]),
    });
    const r = ranking(countsFirstScorer(big, prior, { alpha: 0.5, candidates: 5 }), 0, n);
    // 29 observed (1 / 1.5) first, the prior's 5 candidates, then the rest by the prior.
    expect(r).toEqual([29, ...Array.from({ length: 28 }, (_, i) => i + 1)]);
    const scorer = countsFirstScorer(big, prior, { alpha: 0.5, candidates: 5 });
    const out = new Float64Array(n);
    scorer.scoreAll(0, out);
    expect(scorer.score(0, 29)).toBe(out[29]);
    expect(out[29]).toBeCloseTo(1 / 1.5, 10);
  });

  it("chooses little smoothing when the counts are right and much when only the prior is", () => {
    // Sequences 0 -> 1 -> 2 -> 3 -> 0 repeat; validation repeats them: counts are right.
    const fit = buildDirectedGraph(6, {
      sources: Int32Array.from([0, 1, 2, 3]),
      targets: Int32Array.from([1, 2, 3, 0]),
      weights: Float32Array.from([1, 1, 1, 1]),
    });
    const repeats = { sources: Int32Array.from([0, 1, 2, 3]), targets: Int32Array.from([1, 2, 3, 0]) };
    const next: DirectedScorer = {
      // A prior that knows the sequence 0 -> 2 -> 0, 1 -> 3 -> 1 (something else entirely).
      scoreAll: (u, out) => {
        for (let v = 0; v < out.length; v++) out[v] = v === (u + 2) % 4 ? 8 : 0;
      },
      score: (u, v) => (v === (u + 2) % 4 ? 8 : 0),
    };
    expect(chooseSmoothing(fit, next, repeats).alpha).toBe(0.01);
    const jumps = { sources: Int32Array.from([0, 1, 2, 3]), targets: Int32Array.from([2, 3, 0, 1]) };
    // The prior must outweigh one observed transition (q of its favourite is about 1, W(u) = 1): alpha > 1;
    // ties go to the smaller alpha, so the first value that does it.
    expect(chooseSmoothing(fit, next, jumps)).toEqual({ alpha: 3, mrr: 1 });
  });

  it("popularity as a prior is its share of follow-ups", () => {
    const s = logPopularityScorer(g);
    const out = new Float64Array(6);
    s.scoreAll(0, out);
    expect(Math.exp(out[1])).toBeCloseTo(3, 6);
    expect(Math.exp(out[0])).toBeCloseTo(1, 6);
  });

  it("trained from time-ordered plays, answers the known next item of a seen source", () => {
    // 6 listeners loop 0 -> 1 -> ... -> 7 -> 0 over time; item 8 was never a source.
    const rows: Array<[number, number, number, number]> = [];
    for (let user = 0; user < 6; user++)
      for (let k = 0; k < 40; k++) rows.push([user, (k + user) % 8, (k + user + 1) % 8, k]);
    rows.push([0, 3, 8, 100]);
    const t: PlayTransitions = {
      userIndex: Int32Array.from(rows, (r) => r[0]),
      sources: Int32Array.from(rows, (r) => r[1]),
      targets: Int32Array.from(rows, (r) => r[2]),
      endTimeMs: Float64Array.from(rows, (r) => r[3]),
      weights: new Float32Array(rows.length).fill(1),
      sessionIndex: Int32Array.from(rows, (r) => r[0]),
    };
    for (const prior of ["blade", "popularity"] as const) {
      const model = trainCountsFirstModel(9, t, { prior, maxEpochs: 20, checkEvery: 10, l2Values: [1e-4] });
      for (let u = 0; u < 8; u++) expect(ranking(model.scorer, u, 9)[0]).toBe((u + 1) % 8);
      // A cold source still gets a full ranked list.
      expect(ranking(model.scorer, 8, 9)).toHaveLength(8);
    }
  });
});
