import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { type Biases, type EdgeTerms, edgeTermsFused, edgeTermsReference, Forward } from "./blade.js";
import { buildDirectedGraph, hasEdge } from "./graph.js";
import { type SampledNeighbourhoods, sampleNeighbourhoods } from "./sampling.js";

/**
 * The training loss written the slow, obvious way: dense matrices in float64, layer by layer, every term
 * spelled out. Its finite differences are the gradient the kernels must produce.
 */
function denseLoss(
  n: number,
  dim: number,
  layers: number,
  aOut: number[][],
  aIn: number[][],
  s0: Float64Array,
  t0: Float64Array,
  bias: Float64Array,
  sourceBias: Float64Array,
  e: EdgeTerms,
  draws: number[],
  negatives: number,
  gamma: number,
): number {
  const matmul = (a: number[][], x: number[][]) =>
    a.map((row) => Array.from({ length: dim }, (_, d) => row.reduce((acc, w, j) => acc + w * x[j][d], 0)));
  const rows = (x: Float64Array) =>
    Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * dim, (i + 1) * dim)));
  let sl = rows(s0);
  let tl = rows(t0);
  const sSum = sl.map((r) => [...r]);
  const tSum = tl.map((r) => [...r]);
  for (let l = 1; l <= layers; l++) {
    const ns = matmul(aOut, tl);
    const nt = matmul(aIn, sl);
    sl = ns;
    tl = nt;
    for (let i = 0; i < n; i++)
      for (let d = 0; d < dim; d++) {
        sSum[i][d] += sl[i][d];
        tSum[i][d] += tl[i][d];
      }
  }
  const S = sSum.map((r) => r.map((x) => x / (layers + 1)));
  const T = tSum.map((r) => r.map((x) => x / (layers + 1)));
  const score = (u: number, v: number) =>
    sourceBias[u] + S[u].reduce((acc, x, d) => acc + x * T[v][d], 0) + bias[v];
  const logSig = (x: number) => -Math.log(1 + Math.exp(-x));
  let loss = 0;
  let next = 0;
  for (let k = 0; k < e.u.length; k++) {
    const c = e.c[k] / e.cTotal;
    const [u, v] = [e.u[k], e.v[k]];
    loss -= c * logSig(score(u, v));
    for (let j = 0; j < negatives; j++) {
      const neg = draws[next++];
      if (neg !== u && neg !== v) loss -= c * logSig(-score(u, neg));
    }
    if (gamma > 0 && e.reverseFree[k]) loss -= c * gamma * logSig(-score(v, u));
  }
  return loss;
}

function dense(a: SampledNeighbourhoods, n: number): number[][] {
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let u = 0; u < n; u++)
    for (let k = a.offsets[u]; k < a.offsets[u + 1]; k++) m[u][a.nodes[k]] += a.weights[k];
  return m;
}

describe("BLADE loss and gradient against a slow reference", () => {
  const n = 12;
  const dim = 4;
  const layers = 2;
  const negatives = 2;
  const gamma = 1;
  const random = new Random(5);
  const g = buildDirectedGraph(n, {
    sources: Int32Array.from({ length: 30 }, () => random.int(n)),
    targets: Int32Array.from({ length: 30 }, () => random.int(n)),
    weights: Float32Array.from({ length: 30 }, () => 0.5 + random.next()),
  });
  // A small budget so hubs are subsampled and sparse nodes read hop-2 neighbours.
  const sampling = { mode: "biased" as const, fanOut: 3, lowDegree: 3 };
  const aOut = sampleNeighbourhoods(g, "out", sampling, random);
  const aIn = sampleNeighbourhoods(g, "in", sampling, random);
  const edgeU = new Int32Array(g.edgeCount);
  const c = new Float32Array(g.edgeCount);
  const reverseFree = new Uint8Array(g.edgeCount);
  let cTotal = 0;
  for (let u = 0; u < n; u++)
    for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) {
      edgeU[k] = u;
      c[k] = Math.log2(1 + g.outWeights[k]);
      cTotal += c[k];
      reverseFree[k] = hasEdge(g, g.outTargets[k], u) ? 0 : 1;
    }
  const e: EdgeTerms = { u: edgeU, v: g.outTargets, c, reverseFree, cTotal };
  const draws = Array.from({ length: g.edgeCount * negatives }, () => random.int(n));
  const s0 = Float64Array.from({ length: n * dim }, () => 0.5 * random.normal());
  const t0 = Float64Array.from({ length: n * dim }, () => 0.5 * random.normal());
  const bias = Float64Array.from({ length: n }, () => 0.3 * random.normal());
  const sourceBias = Float64Array.from({ length: n }, () => 0.3 * random.normal());

  // Shared negatives (fused only): edges k of one block of `negativeBlock` meet the same draws, which the
  // dense loss is given spelled out per edge.
  const negativeBlock = 4;
  const blockDraws = Array.from({ length: Math.ceil(g.edgeCount / negativeBlock) * negatives }, () =>
    random.int(n),
  );
  const perEdge = Array.from({ length: g.edgeCount * negatives }, (_, i) => {
    const k = Math.floor(i / negatives);
    return blockDraws[Math.floor(k / negativeBlock) * negatives + (i % negatives)];
  });
  for (const kernel of ["fused", "reference", "fused with shared negatives"] as const) {
    it(`${kernel}: the loss and every gradient entry match the dense loss's finite differences`, () => {
      const sharing = kernel === "fused with shared negatives";
      const kernelDraws = sharing ? blockDraws : draws;
      const denseDraws = sharing ? perEdge : draws;
      const forward = new Forward(n, dim, layers, aOut, aIn);
      forward.run(Float32Array.from(s0), Float32Array.from(t0));
      const gS = new Float32Array(n * dim);
      const gT = new Float32Array(n * dim);
      const gBias: Biases = { source: new Float32Array(n), target: new Float32Array(n) };
      let next = 0;
      const terms = kernel === "reference" ? edgeTermsReference : edgeTermsFused;
      const loss = terms(
        e,
        forward.s,
        forward.t,
        { source: Float32Array.from(sourceBias), target: Float32Array.from(bias) },
        gS,
        gT,
        gBias,
        { dim, negatives, gamma, negativeBlock: sharing ? negativeBlock : 1 },
        () => kernelDraws[next++],
      );
      expect(next).toBe(kernelDraws.length);
      const gradS0 = new Float32Array(n * dim);
      const gradT0 = new Float32Array(n * dim);
      if (kernel !== "reference") forward.backward(gS, gT, gradS0, gradT0);
      else forward.backwardReference(gS, gT, gradS0, gradT0);

      const at = () =>
        denseLoss(
          n,
          dim,
          layers,
          dense(aOut, n),
          dense(aIn, n),
          s0,
          t0,
          bias,
          sourceBias,
          e,
          denseDraws,
          negatives,
          gamma,
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
      let largest = 0;
      for (const x of [...gradS0, ...gradT0, ...gBias.target, ...gBias.source])
        largest = Math.max(largest, Math.abs(x));
      expect(largest).toBeGreaterThan(1e-3); // a gradient worth comparing
      const tolerance = 1e-4 * Math.max(1, largest);
      for (let i = 0; i < n * dim; i++) {
        expect(Math.abs(gradS0[i] - numeric(s0, i))).toBeLessThan(tolerance);
        expect(Math.abs(gradT0[i] - numeric(t0, i))).toBeLessThan(tolerance);
      }
      for (let v = 0; v < n; v++) {
        expect(Math.abs(gBias.target[v] - numeric(bias, v))).toBeLessThan(tolerance);
        expect(Math.abs(gBias.source[v] - numeric(sourceBias, v))).toBeLessThan(tolerance);
      }
    });
  }
});
