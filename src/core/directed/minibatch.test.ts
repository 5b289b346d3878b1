import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { type EdgeTerms, Forward, trainDirectedEmbeddings } from "./blade.js";
import { buildDirectedGraph, hasEdge } from "./graph.js";
import { MiniBatchTrainer, miniBatchPass, SparseAdam } from "./minibatch.js";
import { type SampledNeighbourhoods, sampleNeighbourhoods } from "./sampling.js";
import { embeddingScorer } from "./scorers.js";
import { simulateFollowGraph } from "./synthetic.js";

/** Dense float64 matrix of a sampled neighbourhood. */
function dense(a: SampledNeighbourhoods, n: number): number[][] {
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let u = 0; u < n; u++)
    for (let k = a.offsets[u]; k < a.offsets[u + 1]; k++) m[u][a.nodes[k]] += a.weights[k];
  return m;
}

const times = (a: number[][], x: number[][], dim: number) =>
  a.map((row) => Array.from({ length: dim }, (_, d) => row.reduce((acc, w, j) => acc + w * x[j][d], 0)));

/**
 * The loss of one batch written out slowly in float64, with the layers' terms that a batch's gradient does
 * not reach held at the values of (fixedS0, fixedT0): with hops = 1 the two-hop terms
 * s = (S0 + A_out T0 + A_out A_in fixedS0)/3, t = (T0 + A_in S0 + A_in A_out fixedT0)/3; with hops = 0 every
 * neighbourhood term, s = S0/3 + (A_out fixedT0 + A_out A_in fixedS0)/3. Its finite differences are the
 * gradient the trainer must give.
 */
function batchLoss(
  n: number,
  dim: number,
  hops: 0 | 1,
  aOut: number[][],
  aIn: number[][],
  s0: Float64Array,
  t0: Float64Array,
  fixedS0: Float64Array,
  fixedT0: Float64Array,
  bias: Float64Array,
  batch: number[],
  e: EdgeTerms,
  draws: number[],
  negatives: number,
): number {
  const rows = (x: Float64Array) =>
    Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * dim, (i + 1) * dim)));
  const [S0, T0, FS, FT] = [rows(s0), rows(t0), rows(fixedS0), rows(fixedT0)];
  const hop1S = times(aOut, hops === 1 ? T0 : FT, dim);
  const hop1T = times(aIn, hops === 1 ? S0 : FS, dim);
  const hop2S = times(aOut, times(aIn, FS, dim), dim);
  const hop2T = times(aIn, times(aOut, FT, dim), dim);
  const S = S0.map((r, i) => r.map((x, d) => (x + hop1S[i][d] + hop2S[i][d]) / 3));
  const T = T0.map((r, i) => r.map((x, d) => (x + hop1T[i][d] + hop2T[i][d]) / 3));
  const score = (u: number, v: number) => S[u].reduce((acc, x, d) => acc + x * T[v][d], 0) + bias[v];
  const logSig = (x: number) => -Math.log(1 + Math.exp(-x));
  const cTotal = batch.reduce((acc, k) => acc + e.c[k], 0);
  let loss = 0;
  let next = 0;
  for (const k of batch) {
    const c = e.c[k] / cTotal;
    const [u, v] = [e.u[k], e.v[k]];
    loss -= c * logSig(score(u, v));
    for (let j = 0; j < negatives; j++) {
      const neg = draws[next++];
      if (neg !== u && neg !== v) loss -= c * logSig(-score(u, neg));
    }
    if (e.reverseFree[k]) loss -= c * logSig(-score(v, u));
  }
  return loss;
}

describe("mini-batch training: one batch's gradient against a slow reference", () => {
  const n = 12;
  const dim = 3;
  const negatives = 2;
  const random = new Random(8);
  const g = buildDirectedGraph(n, {
    sources: Int32Array.from({ length: 30 }, () => random.int(n)),
    targets: Int32Array.from({ length: 30 }, () => random.int(n)),
    weights: Float32Array.from({ length: 30 }, () => 0.5 + random.next()),
  });
  const sampling = { mode: "biased" as const, fanOut: 3, lowDegree: 3 };
  const aOut = sampleNeighbourhoods(g, "out", sampling, random);
  const aIn = sampleNeighbourhoods(g, "in", sampling, random);
  const edgeU = new Int32Array(g.edgeCount);
  const c = new Float32Array(g.edgeCount);
  const reverseFree = new Uint8Array(g.edgeCount);
  for (let u = 0; u < n; u++)
    for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) {
      edgeU[k] = u;
      c[k] = Math.log2(1 + g.outWeights[k]);
      reverseFree[k] = hasEdge(g, g.outTargets[k], u) ? 0 : 1;
    }
  const e: EdgeTerms = { u: edgeU, v: g.outTargets, c, reverseFree, cTotal: 0 };
  // A batch of a third of the edges, in ascending order as the trainer reads them.
  const batch = Array.from({ length: g.edgeCount }, (_, k) => k).filter((k) => k % 3 === 1);
  const draws = Array.from({ length: batch.length * negatives }, () => random.int(n));
  const s0 = Float64Array.from({ length: n * dim }, () => 0.5 * random.normal());
  const t0 = Float64Array.from({ length: n * dim }, () => 0.5 * random.normal());
  const bias = Float64Array.from({ length: n }, () => 0.3 * random.normal());

  // A two-layer model over this graph, starting from copies of the vectors above.
  const freshModel = () => {
    const forward = new Forward(n, dim, 2, aOut, aIn);
    return {
      forward,
      model: {
        n,
        dim,
        layers: 2,
        s0: Float32Array.from(s0),
        t0: Float32Array.from(t0),
        tied: false,
        bias: { source: new Float32Array(n), target: Float32Array.from(bias) },
        useBias: true,
        useSourceBias: false,
        forward,
      },
    };
  };

  for (const hops of [0, 1] as const) {
    it(`hops = ${hops}: the layer-0 and bias gradients match the finite differences, rows not read get none`, () => {
      const { model } = freshModel();
      const trainer = new MiniBatchTrainer(model, e, { dim, negatives, gamma: 1 }, batch.length, hops);
      trainer.refresh();
      let next = 0;
      const loss = trainer.gradient(Int32Array.from(batch), () => draws[next++]);
      expect(next).toBe(draws.length);
      // With hops = 0 the trainer's g0S is the gradient of the final s, of which S0 has the share 1/3.
      const share = hops === 0 ? 1 / 3 : 1;
      const fixedS0 = Float64Array.from(model.s0);
      const fixedT0 = Float64Array.from(model.t0);
      const at = () =>
        batchLoss(
          n,
          dim,
          hops,
          dense(aOut, n),
          dense(aIn, n),
          s0,
          t0,
          fixedS0,
          fixedT0,
          bias,
          batch,
          e,
          draws,
          negatives,
        );
      expect(loss).toBeCloseTo(at(), 5);
      const h = 1e-5;
      const numeric = (x: Float64Array, i: number) => {
        const keep = x[i];
        x[i] = keep + h;
        const up = at();
        x[i] = keep - h;
        const down = at();
        x[i] = keep;
        return (up - down) / (2 * h);
      };
      const { source, target } = trainer.touched();
      const sRows = new Set(source);
      const tRows = new Set(target);
      let largest = 0;
      for (let i = 0; i < n * dim; i++) {
        const [gs, gt] = [numeric(s0, i), numeric(t0, i)];
        largest = Math.max(largest, Math.abs(gs), Math.abs(gt));
        expect(Math.abs(share * trainer.g0S[i] - gs)).toBeLessThan(1e-4);
        expect(Math.abs(share * trainer.g0T[i] - gt)).toBeLessThan(1e-4);
        // Every row with a gradient is listed for the Adam step (a listed row may have none).
        if (Math.abs(gs) > 1e-9) expect(sRows.has(Math.floor(i / dim))).toBe(true);
        if (Math.abs(gt) > 1e-9) expect(tRows.has(Math.floor(i / dim))).toBe(true);
      }
      expect(largest).toBeGreaterThan(1e-3);
      for (let v = 0; v < n; v++)
        expect(Math.abs(trainer.gBias.target[v] - numeric(bias, v))).toBeLessThan(1e-4);
      // One hop reaches rows the batch never scores: S0 rows of its targets' in-neighbours.
      if (hops === 1) expect(sRows.size).toBeGreaterThan(new Set(batch.map((k) => e.u[k])).size);
    });
  }

  it("the Adam step moves exactly the listed rows, and s, t follow their direct share", () => {
    const { forward, model } = freshModel();
    const trainer = new MiniBatchTrainer(model, e, { dim, negatives, gamma: 1 }, batch.length, 1);
    trainer.refresh();
    const [sBefore, tBefore, s0Before] = [forward.s.slice(), forward.t.slice(), model.s0.slice()];
    let next = 0;
    trainer.gradient(Int32Array.from(batch), () => draws[next++]);
    const listed = new Set(trainer.touched().source);
    trainer.apply(0.01, 0);
    for (let r = 0; r < n; r++)
      for (let d = 0; d < dim; d++) {
        const i = r * dim + d;
        if (!listed.has(r)) expect(model.s0[i]).toBe(s0Before[i]);
        expect(forward.s[i] - sBefore[i]).toBeCloseTo((model.s0[i] - s0Before[i]) / 3, 6);
      }
    expect(Array.from(trainer.g0S).every((x) => x === 0)).toBe(true);
    expect(Array.from(trainer.gS).every((x) => x === 0)).toBe(true);
    expect(Array.from(trainer.g0T).every((x) => x === 0)).toBe(true);
    expect(Array.from(forward.t).some((x, i) => x !== tBefore[i])).toBe(true);
  });

  it("frozen propagation (refreshesPerPass 0) keeps the initial neighbourhood terms; refreshes replace them", () => {
    const start = freshModel();
    start.forward.run(start.model.s0, start.model.t0);
    // s - S0/3 and t - T0/3: what the layers bring.
    const termsOf = (f: Forward, m: { s0: Float32Array; t0: Float32Array }) => [
      ...Array.from(f.s, (x, i) => x - m.s0[i] / 3),
      ...Array.from(f.t, (x, i) => x - m.t0[i] / 3),
    ];
    const initial = termsOf(start.forward, start.model);
    const train = (refreshesPerPass: number) => {
      const { forward, model } = freshModel();
      const trainer = new MiniBatchTrainer(model, e, { dim, negatives, gamma: 1 }, 8, 0);
      const random = new Random(3);
      const order = Int32Array.from({ length: g.edgeCount }, (_, k) => k);
      const settings = { batchSize: 8, refreshesPerPass };
      for (let pass = 0; pass < 3; pass++)
        miniBatchPass(trainer, g.edgeCount, settings, order, random, () => random.int(n), 0.05, 0);
      return {
        terms: termsOf(forward, model),
        moved: model.s0.some((x, i) => x !== start.model.s0[i]),
        trainer,
      };
    };
    const frozen = train(0);
    expect(frozen.trainer.refreshes).toBe(1);
    expect(frozen.moved).toBe(true);
    for (let i = 0; i < initial.length; i++) expect(frozen.terms[i]).toBeCloseTo(initial[i], 5);
    const refreshed = train(1);
    expect(refreshed.trainer.refreshes).toBe(3);
    expect(Math.max(...refreshed.terms.map((x, i) => Math.abs(x - initial[i])))).toBeGreaterThan(1e-3);
  });
});

describe("sparse Adam", () => {
  it("follows Adam's formulas on the rows it is given and leaves the others and their moments alone", () => {
    const adam = new SparseAdam(3, 2);
    const params = [0.5, -0.2, 0.1, 0.3, 1, 2];
    const grads = [
      [0.1, -0.3, 0.2, 0.05, 9, 9],
      [-0.2, 0.4, 0.3, -0.1, 9, 9],
    ];
    const m = [0, 0, 0, 0];
    const v = [0, 0, 0, 0];
    const lr = 0.05;
    for (let step = 1; step <= 2; step++) {
      adam.begin();
      // Rows 0 and 1 only (entries 0-3); row 2's gradient of 9 is never given.
      for (let i = 0; i < 4; i++) {
        const gi = grads[step - 1][i];
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        const expected =
          params[i] - (lr * (m[i] / (1 - 0.9 ** step))) / (Math.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8);
        params[i] = adam.next(i, params[i], gi, lr);
        expect(params[i]).toBeCloseTo(expected, 6);
      }
    }
    // A first update of row 2 at step 3: its moments start from zero, the bias correction is step 3's.
    adam.begin();
    const g = 0.4;
    const expected =
      1 - (lr * ((0.1 * g) / (1 - 0.9 ** 3))) / (Math.sqrt((0.001 * g * g) / (1 - 0.999 ** 3)) + 1e-8);
    expect(adam.next(4, 1, g, lr)).toBeCloseTo(expected, 6);
  });
});

describe("mini-batch training", () => {
  const sim = simulateFollowGraph({ nodes: 600, sequenceLength: 10, meanOutDegree: 3, noise: 0.05, seed: 2 });
  const g = buildDirectedGraph(600, sim);
  const options = { dim: 16, epochs: 12, seed: 1, miniBatch: { batchSize: 128 } };

  for (const refreshesPerPass of [1, 0]) {
    it(`is deterministic for a seed, and validation checks between passes do not change the result (refreshes ${refreshesPerPass})`, () => {
      const settings = { ...options, miniBatch: { batchSize: 128, refreshesPerPass } };
      const a = trainDirectedEmbeddings(g, settings);
      const b = trainDirectedEmbeddings(g, {
        ...settings,
        onEpoch: (_epoch, _loss, embeddings) => {
          embeddings();
          return true;
        },
      });
      expect(Array.from(a.source)).toEqual(Array.from(b.source));
      expect(Array.from(a.target)).toEqual(Array.from(b.target));
      expect(Array.from(a.targetBias)).toEqual(Array.from(b.targetBias));
      const other = trainDirectedEmbeddings(g, { ...settings, seed: 2 });
      expect(Array.from(other.source)).not.toEqual(Array.from(a.source));
    });
  }

  it("frozen propagation from zero free vectors starts as the untrained propagation alone, then learns", () => {
    const untrained = { dim: 16, epochs: 0, seed: 1 };
    const whole = trainDirectedEmbeddings(g, untrained);
    const miniBatch = { batchSize: 128, refreshesPerPass: 0, freeStart: "zero" as const };
    const zero = trainDirectedEmbeddings(g, { ...untrained, miniBatch });
    // The trainer's first draws are S0 (then T0): s was S0/3 plus the layers' terms, now the terms alone.
    const random = new Random(1);
    const s0 = Float32Array.from({ length: 600 * 16 }, () => 0.1 * random.normal());
    for (let i = 0; i < s0.length; i++) expect(zero.source[i]).toBeCloseTo(whole.source[i] - s0[i] / 3, 5);
    const trained = trainDirectedEmbeddings(g, { ...untrained, epochs: 3, miniBatch });
    expect(Array.from(trained.source)).not.toEqual(Array.from(zero.source));
  });

  it("scores u -> v and v -> u differently and learns the true order of unseen pairs", () => {
    const blade = embeddingScorer(trainDirectedEmbeddings(g, { ...options, sourceBias: true }));
    let right = 0;
    let pairs = 0;
    for (let u = 0; u + 3 < 600; u++) {
      const v = u + 3;
      if (sim.position[v] !== sim.position[u] + 3 || hasEdge(g, u, v) || hasEdge(g, v, u)) continue;
      pairs++;
      const [f, r] = [blade.score(u, v), blade.score(v, u)];
      right += f > r ? 1 : f === r ? 0.5 : 0;
    }
    expect(pairs).toBeGreaterThan(200);
    expect(right / pairs).toBeGreaterThan(0.85);
  });
});
