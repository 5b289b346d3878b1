import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { dot, trainDirectedEmbeddings } from "./blade.js";
import { heldOutStructure, runDirectedExperiment, splitForEvaluation } from "./experiment.js";
import { buildDirectedGraph, type EdgeArrays, hasEdge, inDegree, outDegree } from "./graph.js";
import { evaluateDirected, rankOf } from "./metrics.js";
import { playsNextEdges } from "./plays-next.js";
import { aggregate, aggregateTransposed, sampleNeighbourhoods } from "./sampling.js";
import { type DirectedScorer, degreeScorer, embeddingScorer } from "./scorers.js";
import { simulateFollowGraph } from "./synthetic.js";

const ones = (m: number) => new Float32Array(m).fill(1);
function edges(pairs: Array<[number, number]>): EdgeArrays {
  return {
    sources: Int32Array.from(pairs, (p) => p[0]),
    targets: Int32Array.from(pairs, (p) => p[1]),
    weights: ones(pairs.length),
  };
}

describe("directed graph", () => {
  it("merges parallel edges, drops self-loops and keeps both CSR views consistent", () => {
    const g = buildDirectedGraph(4, {
      sources: Int32Array.from([0, 0, 1, 2, 2, 3]),
      targets: Int32Array.from([1, 1, 2, 2, 0, 0]),
      weights: Float32Array.from([1, 2, 1, 5, 1, 1]),
    });
    expect(g.edgeCount).toBe(4); // 0->1 (merged), 1->2, 2->0, 3->0
    expect(Array.from(g.outWeights)).toEqual([3, 1, 1, 1]);
    expect(hasEdge(g, 0, 1) && !hasEdge(g, 1, 0) && !hasEdge(g, 2, 2)).toBe(true);
    expect([0, 1, 2, 3].map((v) => inDegree(g, v))).toEqual([2, 1, 1, 0]);
    expect(Array.from(g.inSources.subarray(g.inOffsets[0], g.inOffsets[1]))).toEqual([2, 3]);
    expect(() => buildDirectedGraph(2, edges([[0, 2]]))).toThrow(/edge 0/);
  });
});

describe("plays-next graph", () => {
  it("links listened plays to the next listened play within the gap, passing over skips", () => {
    const min = 60_000;
    // user 0: A (3 min), skip X (5 s), B (2 min) right after; then 2 hours later C. user 1: B then A, B skipped.
    const rows = [
      [0, 0, 3 * min, 3 * min],
      [0, 9, 3 * min + 5000, 5000],
      [0, 1, 5 * min + 5000, 2 * min],
      [0, 2, 200 * min, 3 * min],
      [1, 1, 10 * min, 3 * min],
      [1, 0, 13 * min, 3 * min],
      [1, 1, 13 * min + 10_000, 10_000],
    ];
    const e = playsNextEdges({
      userIndex: Int32Array.from(rows, (r) => r[0]),
      itemIndex: Int32Array.from(rows, (r) => r[1]),
      endTimeMs: Float64Array.from(rows, (r) => r[2]),
      playedMs: Float64Array.from(rows, (r) => r[3]),
    });
    const got = Array.from(e.sources, (s, k) => `${s}->${e.targets[k]}:${e.weights[k].toFixed(3)}`);
    expect(got).toEqual(["0->1:0.667", "1->0:1.000"]);
  });
});

describe("degree-adaptive neighbourhood sampling", () => {
  // Node 0 is a hub with 40 out-neighbours; node 1 has 3 (below delta = 5) whose out-neighbours add hop-2;
  // node 2 has 8 (between delta and F): all of them, no hop-2.
  const pairs: Array<[number, number]> = [];
  for (let v = 10; v < 50; v++) pairs.push([0, v]);
  for (const v of [3, 4, 5]) pairs.push([1, v]);
  for (let v = 50; v < 58; v++) pairs.push([2, v]);
  for (const [u, list] of [
    [3, [60, 61, 62]],
    [4, [63, 64]],
    [5, [65, 66, 67, 68]],
  ] as const)
    for (const v of list) pairs.push([u, v]);
  const g = buildDirectedGraph(70, edges(pairs));
  const row = (a: ReturnType<typeof sampleNeighbourhoods>, u: number) =>
    Array.from(a.nodes.subarray(a.offsets[u], a.offsets[u + 1]));

  it("gives hubs F hop-1 neighbours, mid-degree nodes all of theirs, sparse nodes hop-2 as well", () => {
    const a = sampleNeighbourhoods(g, "out", { mode: "biased", fanOut: 25, lowDegree: 5 }, new Random(1));
    expect(row(a, 0)).toHaveLength(25);
    expect(a.hop1[0]).toBe(25);
    expect(row(a, 2).sort((x, y) => x - y)).toEqual([50, 51, 52, 53, 54, 55, 56, 57]);
    // Node 1: hop-1 {3, 4, 5} then all 9 hop-2 nodes (budget 25 not reached), hop-2 at half weight.
    expect(a.hop1[1]).toBe(3);
    expect(
      row(a, 1)
        .slice(3)
        .sort((x, y) => x - y),
    ).toEqual([60, 61, 62, 63, 64, 65, 66, 67, 68]);
    const w = Array.from(a.weights.subarray(a.offsets[1], a.offsets[2]));
    expect(w.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 6);
    expect(w[0]).toBeCloseTo(2 * w[5], 6);
    // A small budget is filled by hop-2 up to F and no further.
    const small = sampleNeighbourhoods(g, "out", { mode: "biased", fanOut: 5 }, new Random(1));
    expect(row(small, 1)).toHaveLength(5);
    // The ablation's uniform sampling: no hop-2, hubs still capped at F.
    const uniform = sampleNeighbourhoods(g, "out", { mode: "uniform", fanOut: 25 }, new Random(1));
    expect(row(uniform, 1).sort()).toEqual([3, 4, 5]);
    expect(row(uniform, 0)).toHaveLength(25);
    // In-neighbourhoods: node 60's only in-neighbour is 3, whose in-neighbour 1 is its hop-2.
    const inward = sampleNeighbourhoods(g, "in", { mode: "biased" }, new Random(1));
    expect(row(inward, 60)).toEqual([3, 1]);
  });

  it("draws low-degree neighbours of a hub more often than hub neighbours (deg^-beta)", () => {
    // Hub 0 -> 1..60; nodes 1..30 are hubs themselves (30 extra in-edges each), 31..60 are not.
    const p: Array<[number, number]> = [];
    for (let v = 1; v <= 60; v++) p.push([0, v]);
    for (let v = 1; v <= 30; v++) for (let x = 61; x < 91; x++) p.push([x, v]);
    const hubby = buildDirectedGraph(91, edges(p));
    let sparsePicks = 0;
    for (let seed = 0; seed < 40; seed++) {
      const a = sampleNeighbourhoods(hubby, "out", { mode: "biased", fanOut: 20 }, new Random(seed));
      sparsePicks += row(a, 0).filter((v) => v > 30).length;
    }
    // Weights 1/sqrt(2) vs 1/sqrt(32): sparse neighbours should take well over half of the 800 picks.
    expect(sparsePicks / 800).toBeGreaterThan(0.7);
    let uniformSparse = 0;
    for (let seed = 0; seed < 40; seed++) {
      const a = sampleNeighbourhoods(hubby, "out", { mode: "uniform", fanOut: 20 }, new Random(seed));
      uniformSparse += row(a, 0).filter((v) => v > 30).length;
    }
    expect(Math.abs(uniformSparse / 800 - 0.5)).toBeLessThan(0.08);
  });

  it("aggregates like a dense matrix product, and its transpose is the adjoint", () => {
    const a = sampleNeighbourhoods(g, "out", { mode: "biased" }, new Random(3));
    const dim = 3;
    const rng = new Random(5);
    const x = Float32Array.from({ length: 70 * dim }, () => rng.normal());
    const y = Float32Array.from({ length: 70 * dim }, () => rng.normal());
    const ax = new Float32Array(70 * dim);
    const aty = new Float32Array(70 * dim);
    aggregate(a, x, dim, ax);
    aggregateTransposed(a, y, dim, aty);
    // Slow reference: the dense matrix.
    const dense = Array.from({ length: 70 }, () => new Float64Array(70));
    for (let u = 0; u < 70; u++)
      for (let k = a.offsets[u]; k < a.offsets[u + 1]; k++) dense[u][a.nodes[k]] += a.weights[k];
    for (let u = 0; u < 70; u++)
      for (let d = 0; d < dim; d++) {
        let ref = 0;
        let refT = 0;
        for (let v = 0; v < 70; v++) {
          ref += dense[u][v] * x[v * dim + d];
          refT += dense[v][u] * y[v * dim + d];
        }
        expect(ax[u * dim + d]).toBeCloseTo(ref, 5);
        expect(aty[u * dim + d]).toBeCloseTo(refT, 5);
      }
  });
});

describe("directed embeddings (BLADE-style)", () => {
  it("scores u -> v and v -> u differently and learns the true order of unseen pairs", () => {
    // Ground truth: within each sequence of 10, edges run forwards (the next member most often).
    const sim = simulateFollowGraph({
      nodes: 600,
      sequenceLength: 10,
      meanOutDegree: 3,
      noise: 0.05,
      seed: 2,
    });
    const g = buildDirectedGraph(600, sim);
    /** Share of same-sequence pairs (u, u + 3), no edge either way, scored higher forwards than backwards. */
    const orderAccuracy = (scorer: DirectedScorer) => {
      let right = 0;
      let pairs = 0;
      for (let u = 0; u + 3 < 600; u++) {
        const v = u + 3;
        if (sim.position[v] !== sim.position[u] + 3 || hasEdge(g, u, v) || hasEdge(g, v, u)) continue;
        pairs++;
        const [f, r] = [scorer.score(u, v), scorer.score(v, u)];
        right += f > r ? 1 : f === r ? 0.5 : 0;
      }
      expect(pairs).toBeGreaterThan(200);
      return right / pairs;
    };
    const blade = trainDirectedEmbeddings(g, { dim: 16, epochs: 50, seed: 1, sourceBias: true });
    const plain = trainDirectedEmbeddings(g, { dim: 16, epochs: 50, seed: 1, layers: 0 });
    const symmetric = trainDirectedEmbeddings(g, { dim: 16, epochs: 50, seed: 1, layers: 0, tied: true });
    // Aggregating along the graph carries the order to pairs never seen; free vectors alone barely can.
    expect(orderAccuracy(embeddingScorer(blade))).toBeGreaterThan(0.85);
    expect(orderAccuracy(embeddingScorer(plain))).toBeLessThan(0.75);
    expect(orderAccuracy(embeddingScorer(symmetric))).toBe(0.5);
    expect(orderAccuracy(degreeScorer(g))).toBeLessThan(0.7);

    const v = g.outTargets[0]; // node 0's first out-neighbour
    expect(hasEdge(g, 0, v) && !hasEdge(g, v, 0)).toBe(true);
    const a = blade.sourceBias!;
    const forward = a[0] + dot(blade.source, 0, blade.target, v, 16) + blade.targetBias[v];
    const reverse = a[v] + dot(blade.source, v, blade.target, 0, 16) + blade.targetBias[0];
    expect(forward).toBeGreaterThan(reverse + 1);
    // The scorer serving uses computes the same numbers.
    expect(embeddingScorer(blade).score(0, v)).toBeCloseTo(forward, 5);
  });

  it("ranks held-out edges of the simulated graph far above the degree-only baseline", () => {
    const sim = simulateFollowGraph({
      nodes: 600,
      sequenceLength: 10,
      meanOutDegree: 3,
      noise: 0.05,
      seed: 2,
    });
    const report = runDirectedExperiment(600, sim, {
      seed: 4,
      maxEpochs: 60,
      checkEvery: 20,
      l2Values: [1e-4],
      train: { dim: 16 },
      models: ["blade", "degree-only", "symmetric-factors"],
    });
    const by = Object.fromEntries(report.results.map((r) => [r.model, r.report.overall]));
    expect(by["symmetric-factors"].directionAuc).toBe(0.5);
    expect(by.blade.mrr).toBeGreaterThan(by["degree-only"].mrr * 5);
    // (The symmetric factors rank held-out neighbours better here: a chain's next member is also its previous
    // one's neighbour. Direction is what they cannot give.)
  });

  it("starts its biases at the log-degrees (centred), and without source biases when tied", () => {
    const sim = simulateFollowGraph({ nodes: 200, seed: 9 });
    const g = buildDirectedGraph(200, sim);
    const start = trainDirectedEmbeddings(g, {
      dim: 8,
      epochs: 0,
      seed: 3,
      sourceBias: true,
      biasInit: "log-degree",
    });
    const centred = (offsets: Int32Array) => {
      const x = Array.from({ length: 200 }, (_, v) => Math.log1p(offsets[v + 1] - offsets[v]));
      const mean = x.reduce((a, b) => a + b, 0) / 200;
      return x.map((y) => y - mean);
    };
    const inLog = centred(g.inOffsets);
    const outLog = centred(g.outOffsets);
    for (let v = 0; v < 200; v++) {
      expect(start.targetBias[v]).toBeCloseTo(inLog[v], 5);
      expect(start.sourceBias![v]).toBeCloseTo(outLog[v], 5);
    }
    const zero = trainDirectedEmbeddings(g, { dim: 8, epochs: 0, seed: 3 });
    expect(zero.targetBias.every((b) => b === 0)).toBe(true);
    const tied = trainDirectedEmbeddings(g, {
      dim: 8,
      epochs: 0,
      seed: 3,
      tied: true,
      biasInit: "log-degree",
    });
    expect(tied.sourceBias).toBeUndefined();
    expect(tied.targetBias.every((b) => b === 0)).toBe(true);
  });

  it("is deterministic for a seed", () => {
    const sim = simulateFollowGraph({ nodes: 200, seed: 9 });
    const g = buildDirectedGraph(200, sim);
    const a = trainDirectedEmbeddings(g, { dim: 8, epochs: 5, seed: 3 });
    const b = trainDirectedEmbeddings(g, { dim: 8, epochs: 5, seed: 3 });
    expect(Array.from(a.source)).toEqual(Array.from(b.source));
    expect(Array.from(a.targetBias)).toEqual(Array.from(b.targetBias));
  });
});

describe("directed metrics", () => {
  it("match a slow reference: sort every candidate, ties at their mean position", () => {
    const rng = new Random(11);
    const n = 40;
    const sim = simulateFollowGraph({ nodes: n, sequenceLength: 8, meanOutDegree: 3, seed: 5 });
    // Every seventh edge also reversed, so some held-out edges have their reverse among the training edges.
    const back = Array.from(sim.sources, (_, k) => k).filter((k) => k % 7 === 0);
    const full = buildDirectedGraph(n, {
      sources: Int32Array.from([...sim.sources, ...back.map((k) => sim.targets[k])]),
      targets: Int32Array.from([...sim.targets, ...back.map((k) => sim.sources[k])]),
      weights: ones(sim.sources.length + back.length),
    });
    // Hold out every fifth edge; scores are random integers so ties happen.
    const held: Array<[number, number]> = [];
    const kept: Array<[number, number]> = [];
    let k = 0;
    for (let u = 0; u < n; u++)
      for (let x = full.outOffsets[u]; x < full.outOffsets[u + 1]; x++)
        (k++ % 5 === 0 ? held : kept).push([u, full.outTargets[x]]);
    const train = buildDirectedGraph(n, edges(kept));
    const table = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.int(6)));
    const scorer: DirectedScorer = {
      scoreAll: (u, out) => {
        for (let v = 0; v < n; v++) out[v] = table[u][v];
      },
      score: (u, v) => table[u][v],
    };
    const report = evaluateDirected(
      scorer,
      train,
      full,
      { sources: Int32Array.from(held, (h) => h[0]), targets: Int32Array.from(held, (h) => h[1]) },
      3,
    );
    let mrr = 0;
    let hits10 = 0;
    let aucSum = 0;
    let pairs = 0;
    for (const [u, v] of held) {
      const candidates = Array.from({ length: n }, (_, x) => x).filter(
        (x) => x !== u && !kept.some(([a, b]) => a === u && b === x),
      );
      const above = candidates.filter((x) => table[u][x] > table[u][v]).length;
      const same = candidates.filter((x) => x !== v && table[u][x] === table[u][v]).length;
      const rank = above + 1 + same / 2;
      mrr += 1 / rank;
      if (rank <= 10) hits10++;
      if (!held.some(([a, b]) => a === v && b === u) && !kept.some(([a, b]) => a === v && b === u)) {
        pairs++;
        aucSum += table[u][v] > table[v][u] ? 1 : table[u][v] === table[v][u] ? 0.5 : 0;
      }
    }
    expect(report.overall.edges).toBe(held.length);
    expect(report.overall.mrr).toBeCloseTo(mrr / held.length, 12);
    expect(report.overall.hitRate10).toBeCloseTo(hits10 / held.length, 12);
    expect(report.overall.directionPairs).toBe(pairs);
    expect(report.overall.directionAuc).toBeCloseTo(aucSum / pairs, 12);
    expect(report.lowDegree.edges + report.highDegree.edges).toBe(held.length);
    const reverseKnown = held.filter(([u, v]) => kept.some(([a, b]) => a === v && b === u));
    expect(reverseKnown.length).toBeGreaterThan(0);
    expect(report.reverseInTraining.edges).toBe(reverseKnown.length);
    expect(report.reverseNotInTraining.edges).toBe(held.length - reverseKnown.length);
    expect(report.reverseInTraining.directionPairs).toBe(0);
    expect(rankOf(Float64Array.from([3, 1, 3, 3]), 0, new Uint8Array(4))).toBe(2);
    // The degree baseline is in-degree(v) - in-degree(u).
    const nodeWithEdges = Array.from({ length: n }, (_, x) => x).find((x) => outDegree(train, x) > 0)!;
    expect(degreeScorer(train).score(nodeWithEdges, 1)).toBe(
      inDegree(train, 1) - inDegree(train, nodeWithEdges),
    );
  });

  it("describe the held-out edges from the training edges: reverse known, shared neighbour, cold, popular", () => {
    // Training 0->1, 2->1, 2->3, 4->5 over nodes 0-6; held out 0->2 (shares neighbour 1), 1->0 (its reverse is
    // a training edge; 1 and 0 share no third node), 3->6 (6 has no edge), 5->1 (1 has the most in-edges).
    const train = buildDirectedGraph(
      7,
      edges([
        [0, 1],
        [2, 1],
        [2, 3],
        [4, 5],
      ]),
    );
    const held = { sources: Int32Array.from([0, 1, 3, 5]), targets: Int32Array.from([2, 0, 6, 1]) };
    expect(heldOutStructure(train, held, 2)).toEqual({
      edges: 4,
      reverseInTraining: 0.25,
      sharedNeighbour: 0.25,
      coldTarget: 0.25,
      // Degrees (in + out): 0 -> 1, 1 -> 2, 3 -> 1, 5 -> 1; below 2 is low.
      lowDegreeSource: 0.75,
      popularTarget: 0.25,
    });
  });
});

describe("holding out whole sessions", () => {
  // Listening sessions with no direction at all: each a run of items drawn by popularity, in random order.
  function directionlessSessions(seed: number, sessions = 2000, length = 8, items = 6000) {
    const random = new Random(seed);
    const cumulative = new Float64Array(items);
    for (let i = 0, sum = 0; i < items; i++) cumulative[i] = sum += 1 / (i + 1) ** 0.8;
    const draw = () => {
      const x = random.next() * cumulative[items - 1];
      let [lo, hi] = [0, items - 1];
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const sources: number[] = [];
    const targets: number[] = [];
    const sessionOf: number[] = [];
    for (let s = 0; s < sessions; s++) {
      let previous = draw();
      for (let k = 1; k < length; k++) {
        const next = draw();
        if (next === previous) continue;
        sources.push(previous);
        targets.push(next);
        sessionOf.push(s);
        previous = next;
      }
    }
    const e = {
      sources: Int32Array.from(sources),
      targets: Int32Array.from(targets),
      weights: ones(sources.length),
    };
    return { items, edges: e, sessionOf: Int32Array.from(sessionOf) };
  }

  it("keeps each session whole on one side, and tests only pairs the kept sessions never played", () => {
    const { items, edges: e, sessionOf } = directionlessSessions(3, 400, 6, 60);
    const split = splitForEvaluation(items, e, {
      seed: 5,
      sessionOf,
      maxTestEdges: 1e9,
      maxValidationEdges: 1e9,
    });
    const sessions = Math.max(...sessionOf) + 1;
    // Which side each session fell on, read back from the graphs: a session is in training iff all its
    // transitions are training edges, and a test pair must come from a session that is not.
    const inTrain = new Array<boolean>(sessions).fill(true);
    for (let k = 0; k < sessionOf.length; k++)
      if (!hasEdge(split.train, e.sources[k], e.targets[k])) inTrain[sessionOf[k]] = false;
    const held = inTrain.filter((x) => !x).length;
    // 10% of sessions held out; a held-out session whose every pair was also played elsewhere looks kept.
    expect(held).toBeGreaterThan(0.07 * sessions);
    expect(held).toBeLessThanOrEqual(Math.round(0.1 * sessions));
    const testPairs = new Set<string>();
    for (let k = 0; k < split.testEdges.sources.length; k++) {
      const [u, v] = [split.testEdges.sources[k], split.testEdges.targets[k]];
      expect(hasEdge(split.train, u, v)).toBe(false);
      testPairs.add(`${u},${v}`);
    }
    // Every pair of a held-out session is either a test pair or a training edge (played in a kept session).
    for (let k = 0; k < sessionOf.length; k++) {
      if (inTrain[sessionOf[k]]) continue;
      const key = `${e.sources[k]},${e.targets[k]}`;
      expect(testPairs.has(key) || hasEdge(split.train, e.sources[k], e.targets[k])).toBe(true);
    }
    // The validation cut is the same one level down: its pairs are training edges missing from fit.
    expect(split.validation.sources.length).toBeGreaterThan(0);
    for (let k = 0; k < split.validation.sources.length; k++) {
      const [u, v] = [split.validation.sources[k], split.validation.targets[k]];
      expect(hasEdge(split.train, u, v) && !hasEdge(split.fit, u, v)).toBe(true);
    }
    expect(split.fit.edgeCount).toBeLessThan(split.train.edgeCount);
    const again = splitForEvaluation(items, e, {
      seed: 5,
      sessionOf,
      maxTestEdges: 1e9,
      maxValidationEdges: 1e9,
    });
    expect(Array.from(again.testEdges.targets)).toEqual(Array.from(split.testEdges.targets));
    expect(() => splitForEvaluation(items, e, { sessionOf: sessionOf.subarray(1) })).toThrow(
      /one session per edge/,
    );
  });

  it("gives a direction-blind score chance-level direction AUC, where holding out edges does not", () => {
    // The same directionless plays evaluated both ways: holding out single edges leaves the held-out A -> B's
    // neighbours X -> A and B -> Y in training, so the in-degree score favours B -> A below chance.
    const aucs = { edges: [] as number[], sessions: [] as number[] };
    for (const seed of [1, 2, 3, 4, 5]) {
      const { items, edges: e, sessionOf } = directionlessSessions(seed);
      for (const holdOut of ["edges", "sessions"] as const) {
        const report = runDirectedExperiment(items, e, {
          seed,
          models: ["degree-only"],
          ...(holdOut === "sessions" ? { sessionOf } : {}),
        });
        aucs[holdOut].push(report.results[0].report.overall.directionAuc);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(aucs.edges)).toBeLessThan(0.47);
    expect(Math.abs(mean(aucs.sessions) - 0.5)).toBeLessThan(0.02);
  });
});
