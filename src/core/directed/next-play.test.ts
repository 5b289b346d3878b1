import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { buildDirectedGraph, hasEdge } from "./graph.js";
import {
  evaluateNextPlay,
  popularityScorer,
  runNextPlayExperiment,
  splitByTime,
  transitionCountScorer,
} from "./next-play.js";
import { type PlayTransitions, playsNextEdges, playsNextTransitions } from "./plays-next.js";
import type { DirectedScorer } from "./scorers.js";

function transitions(rows: Array<[user: number, from: number, to: number, time: number]>): PlayTransitions {
  return {
    userIndex: Int32Array.from(rows, (r) => r[0]),
    sources: Int32Array.from(rows, (r) => r[1]),
    targets: Int32Array.from(rows, (r) => r[2]),
    endTimeMs: Float64Array.from(rows, (r) => r[3]),
    weights: new Float32Array(rows.length).fill(1),
    sessionIndex: Int32Array.from(rows, (r) => r[0]),
  };
}

describe("next-play evaluation", () => {
  it("plays-next transitions carry their listener and time, in playsNextEdges' order", () => {
    const min = 60_000;
    const plays = {
      userIndex: Int32Array.from([0, 0, 0, 1, 1]),
      itemIndex: Int32Array.from([0, 1, 2, 1, 0]),
      endTimeMs: Float64Array.from([3 * min, 6 * min, 9 * min, 4 * min, 7 * min]),
      playedMs: Float64Array.from([3 * min, 3 * min, 3 * min, 3 * min, 3 * min]),
    };
    const t = playsNextTransitions(plays);
    expect(Array.from(t.sources)).toEqual([0, 1, 1]);
    expect(Array.from(t.targets)).toEqual([1, 2, 0]);
    expect(Array.from(t.userIndex)).toEqual([0, 0, 1]);
    expect(Array.from(t.endTimeMs)).toEqual([6 * min, 9 * min, 7 * min]);
    expect(Array.from(playsNextEdges(plays).targets)).toEqual([1, 2, 0]);
  });

  it("cuts each listener's latest share by time, whatever the input order", () => {
    // user 0: times 5, 1, 3, 2, 4 (the latest 40% are times 4 and 5); user 1: times 9, 8 (latest 50%: 9).
    const t = transitions([
      [0, 0, 1, 5],
      [1, 0, 1, 9],
      [0, 0, 1, 1],
      [0, 0, 1, 3],
      [1, 0, 1, 8],
      [0, 0, 1, 2],
      [0, 0, 1, 4],
    ]);
    const { early, late } = splitByTime(t, 0.4);
    expect(Array.from(late).sort()).toEqual([0, 1, 6]); // user 0's 5 and 4, user 1's 9 (round(0.8) = 1)
    expect(Array.from(early).sort()).toEqual([2, 3, 4, 5]);
    // Within the early ones, user 0's times 1, 3, 2 (round(1.02) = 1: time 3), user 1's 8 (round(0.34) = 0).
    const again = splitByTime(t, 0.34, early);
    expect(Array.from(again.late)).toEqual([3]);
  });

  it("transition counts rank the most frequent follow-up first, ties broken by popularity", () => {
    // 0 -> 1 three times, 0 -> 2 once, 3 -> 2 three times: from 0, 1 then 2; from 4 (no out-edges) 2 then 1.
    const g = buildDirectedGraph(5, {
      sources: Int32Array.from([0, 0, 0, 0, 3, 3, 3]),
      targets: Int32Array.from([1, 1, 1, 2, 2, 2, 2]),
      weights: new Float32Array(7).fill(1),
    });
    const s = transitionCountScorer(g);
    const out = new Float64Array(5);
    s.scoreAll(0, out);
    expect(out[1]).toBeGreaterThan(out[2]);
    expect(out[2]).toBeGreaterThan(out[3]);
    expect(s.score(0, 1)).toBeCloseTo(out[1], 12);
    s.scoreAll(4, out);
    expect(out[2]).toBeGreaterThan(out[1]);
    popularityScorer(g).scoreAll(0, out);
    expect(Array.from(out)).toEqual([0, 3, 4, 0, 0]);
  });

  it("ranks, hit rates and MRR match a slow reference on random graphs and scores", () => {
    const random = new Random(7);
    for (let trial = 0; trial < 5; trial++) {
      const n = 30;
      const m = 60;
      const g = buildDirectedGraph(n, {
        sources: Int32Array.from({ length: m }, () => random.int(n - 5)), // nodes 25..29 often edgeless
        targets: Int32Array.from({ length: m }, () => random.int(n - 5)),
        weights: new Float32Array(m).fill(1),
      });
      // Scores from a small set of values, so ties occur.
      const table = Float64Array.from({ length: n * n }, () => random.int(6));
      const scorer: DirectedScorer = {
        scoreAll: (u, out) => {
          for (let v = 0; v < n; v++) out[v] = table[u * n + v];
        },
        score: (u, v) => table[u * n + v],
      };
      const q = 40;
      const queries = {
        sources: Int32Array.from({ length: q }, () => random.int(n)),
        targets: Int32Array.from({ length: q }, () => random.int(n)),
      };
      for (let k = 0; k < q; k++)
        if (queries.targets[k] === queries.sources[k]) queries.targets[k] = (queries.sources[k] + 1) % n;
      const got = evaluateNextPlay(scorer, g, queries);
      // Reference: candidates are nodes with any edge, minus the query; rank = 1 + higher + ties / 2.
      const hasAny = (v: number) =>
        g.outOffsets[v + 1] > g.outOffsets[v] || g.inOffsets[v + 1] > g.inOffsets[v];
      const sums = { all: [0, 0, 0, 0], seen: [0, 0, 0, 0], unseen: [0, 0, 0, 0] };
      for (let k = 0; k < q; k++) {
        const u = queries.sources[k];
        const v = queries.targets[k];
        let rank = Number.POSITIVE_INFINITY;
        if (hasAny(v)) {
          let higher = 0;
          let tied = 0;
          for (let w = 0; w < n; w++) {
            if (w === u || w === v || !hasAny(w)) continue;
            if (table[u * n + w] > table[u * n + v]) higher++;
            else if (table[u * n + w] === table[u * n + v]) tied++;
          }
          rank = 1 + higher + tied / 2;
        }
        for (const s of [sums.all, hasEdge(g, u, v) ? sums.seen : sums.unseen]) {
          s[0]++;
          s[1] += rank <= 10 ? 1 : 0;
          s[2] += rank <= 50 ? 1 : 0;
          s[3] += 1 / rank;
        }
      }
      for (const [name, s] of [
        ["overall", sums.all],
        ["seen", sums.seen],
        ["unseen", sums.unseen],
      ] as const) {
        const r = got[name];
        expect(r.queries).toBe(s[0]);
        if (s[0] === 0) continue;
        expect(r.hitRate10).toBeCloseTo(s[1] / s[0], 12);
        expect(r.hitRate50).toBeCloseTo(s[2] / s[0], 12);
        expect(r.mrr).toBeCloseTo(s[3] / s[0], 12);
      }
    }
  });

  it("on sequences that repeat, transition counts answer every seen transition first and popularity does not", () => {
    // 4 listeners each play 0 -> 1 -> 2 -> 3 -> 0 ... (12 transitions each, time ascending); item 4 is only
    // ever a follow-up of 3 once, early on.
    const rows: Array<[number, number, number, number]> = [];
    for (let u = 0; u < 4; u++) for (let k = 0; k < 12; k++) rows.push([u, k % 4, (k + 1) % 4, k]);
    rows.push([0, 3, 4, -1]);
    const report = runNextPlayExperiment(5, transitions(rows), {
      models: ["transition-counts", "popularity"],
    });
    const counts = report.results.find((r) => r.model === "transition-counts")!;
    expect(counts.overall.mrr).toBe(1);
    expect(counts.unseen.queries).toBe(0);
    const popularity = report.results.find((r) => r.model === "popularity")!;
    expect(popularity.overall.mrr).toBeLessThan(1);
    expect(report.testTransitions).toBe(3 + 3 * 2); // round(0.2 * 13) for listener 0, round(0.2 * 12) for the rest
  });
});
