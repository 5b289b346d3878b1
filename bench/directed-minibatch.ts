/**
 * Issue 17's training target, "a 1 M-edge graph in under 2 minutes on 2 cores", as one budgeted training
 * run: `simulateFollowGraph` at the directed bench's sizing, 10% of its edges cut for validation (seed 1),
 * and BLADE trained on the rest in mini-batches (minibatch.ts) until the budget is spent, checking after
 * every pass (and after the last batch the budget allows) on a fixed, seeded sample of `--queries`
 * validation edges, each ranked against every node. The budget counts everything from the start of the
 * training call: set-up (sampling), passes and checks. `--batch-size 0` runs full-batch epochs instead
 * (the code before mini-batches), so the same command gives the baseline.
 *   npm run bench -- directed-minibatch [--edges 1000000] [--budget 120] [--clock wall|cpu]
 *                                       [--batch-size 4096] [--hops 0] [--refreshes 1] [--lr 0.02] [--l2 1e-4]
 *                                       [--queries 200] [--bias-init zero|log-degree] [--dim 64]
 * `--refreshes 0` keeps the neighbourhood terms of the initial vectors (frozen propagation, minibatch.ts);
 * with it, `--free-start zero` starts the free vectors at zero (training starts from the propagation alone);
 * `--no-bias` trains without the per-target bias.
 * Also counts, for one batch, the rows an exact two-hop propagation would read (the union of the sampled
 * two-hop neighbourhoods of the rows the batch scores): why the layers' terms are refreshed on a schedule.
 */

import { loadavg } from "node:os";
import { splitEdges } from "../src/core/directed/experiment.js";
import type { DirectedGraph } from "../src/core/directed/graph.js";
import {
  buildDirectedGraph,
  type DirectedEmbeddings,
  edgesOf,
  embeddingScorer,
  evaluateDirected,
  sampleNeighbourhoods,
  simulateFollowGraph,
  trainDirectedEmbeddings,
} from "../src/core/directed/index.js";
import { Random } from "../src/core/random.js";

export interface DirectedMiniBatchOptions {
  edges?: number;
  /** Seconds, counted on `clock` (default 120 s of wall time). */
  budget?: number;
  clock?: "wall" | "cpu";
  batchSize?: number;
  hops?: 0 | 1;
  refreshesPerPass?: number;
  learningRate?: number;
  l2?: number;
  queries?: number;
  biasInit?: "zero" | "log-degree";
  dim?: number;
  freeStart?: "random" | "zero";
  /** Train without the per-target bias (`--no-bias`). */
  noBias?: boolean;
}

export function directedMiniBatchBench(options: DirectedMiniBatchOptions = {}): Record<string, unknown> {
  const log = (text: string) => process.stderr.write(`${text}\n`);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const wall = () => performance.now() / 1000;
  const loadBefore = loadavg();
  const nodes = Math.max(100, Math.round((options.edges ?? 1_000_000) / (4 * 0.62)));
  const full = buildDirectedGraph(nodes, simulateFollowGraph({ nodes, meanOutDegree: 4, seed: 7 }));
  const { kept, held } = splitEdges(edgesOf(full), 0.1, new Random(1));
  const fit = buildDirectedGraph(nodes, kept);
  // A fixed, seeded sample of validation edges: the same queries at every check and in every run.
  const queries = Math.min(options.queries ?? 200, held.sources.length);
  const pick = new Random(2);
  const chosen = new Set<number>();
  while (chosen.size < queries) chosen.add(pick.int(held.sources.length));
  const ids = [...chosen].sort((a, b) => a - b);
  const validation = {
    sources: Int32Array.from(ids, (k) => held.sources[k]),
    targets: Int32Array.from(ids, (k) => held.targets[k]),
  };
  log(`graph: ${nodes} nodes, ${fit.edgeCount} fit edges, ${queries} validation queries`);

  const batchSize = options.batchSize ?? 4096;
  const miniBatch =
    batchSize > 0
      ? {
          batchSize,
          hops: options.hops ?? 0,
          refreshesPerPass: options.refreshesPerPass ?? 1,
          ...(options.freeStart ? { freeStart: options.freeStart } : {}),
        }
      : undefined;
  const budget = options.budget ?? 120;
  const clock = options.clock ?? "wall";
  const wall0 = wall();
  const cpu0 = cpu();
  const spent = () => (clock === "wall" ? wall() - wall0 : cpu() - cpu0);
  const checks: Record<string, number>[] = [];
  let checkWall = 0;
  let checkCpu = 0;
  let setup: { wall: number; cpu: number } | null = null;
  let passes = 0;
  let batches = 0;
  let best = { hitRate10: 0, mrr: 0, directionAuc: Number.NaN, at: 0 };
  const check = (label: number, embeddings: DirectedEmbeddings) => {
    const [w, c] = [wall(), cpu()];
    const m = evaluateDirected(embeddingScorer(embeddings), fit, full, validation).overall;
    checkWall += wall() - w;
    checkCpu += cpu() - c;
    const row = {
      pass: label,
      batches,
      hitRate10: m.hitRate10,
      mrr: m.mrr,
      directionAuc: m.directionAuc,
      wallSeconds: wall() - wall0,
      cpuSeconds: cpu() - cpu0,
      checkCpuSeconds: cpu() - c,
      load: loadavg()[0],
    };
    log(JSON.stringify(row));
    checks.push(row);
    if (m.mrr > best.mrr)
      best = { hitRate10: m.hitRate10, mrr: m.mrr, directionAuc: m.directionAuc, at: label };
  };
  // The budget is checked after every batch; a pass's check (about `queries` x nodes dot products) must fit
  // too, so a pass stops early when less than the last check's cost is left.
  let lastCheck = 0;
  let stoppedInPass = false;
  const final = trainDirectedEmbeddings(fit, {
    epochs: 1000,
    seed: 1,
    l2: options.l2 ?? 1e-4,
    ...(options.learningRate ? { learningRate: options.learningRate } : {}),
    ...(options.biasInit ? { biasInit: options.biasInit } : {}),
    ...(options.dim ? { dim: options.dim } : {}),
    ...(options.noBias ? { targetBias: false } : {}),
    ...(miniBatch ? { miniBatch } : {}),
    onBatch() {
      if (!setup) setup = { wall: wall() - wall0, cpu: cpu() - cpu0 };
      batches++;
      const go = spent() + lastCheck < budget;
      if (!go) stoppedInPass = true;
      return go;
    },
    onEpoch(epoch, loss, embeddings) {
      if (!setup) setup = { wall: wall() - wall0, cpu: cpu() - cpu0 };
      passes = epoch;
      log(
        `pass ${epoch}: loss ${loss.toFixed(4)}, ${(wall() - wall0).toFixed(1)} s wall, ${(cpu() - cpu0).toFixed(1)} CPU s`,
      );
      const before = clock === "wall" ? wall() : cpu();
      check(epoch, embeddings());
      lastCheck = (clock === "wall" ? wall() : cpu()) - before;
      return spent() + lastCheck < budget;
    },
  });
  // A run the budget stopped within a pass is checked once more on what it has learned (inside the budget:
  // the pass stopped with a check's cost left).
  if (stoppedInPass) check(batches / Math.ceil(fit.edgeCount / batchSize), final);
  const total = { wallSeconds: wall() - wall0, cpuSeconds: cpu() - cpu0 };
  log(
    `done: ${total.wallSeconds.toFixed(1)} s wall, ${total.cpuSeconds.toFixed(1)} CPU s; best MRR ${best.mrr}`,
  );

  return {
    graph: { nodes, fitEdges: fit.edgeCount, validationQueries: queries },
    settings: {
      budget,
      clock,
      miniBatch: miniBatch ?? null,
      learningRate: options.learningRate ?? 0.02,
      l2: options.l2 ?? 1e-4,
      dim: options.dim ?? 64,
      biasInit: options.biasInit ?? "zero",
      targetBias: !options.noBias,
      freeStart: options.freeStart ?? "random",
    },
    setup,
    passes,
    batches,
    checks,
    checkTotals: { wallSeconds: checkWall, cpuSeconds: checkCpu },
    best,
    total,
    exactTwoHopRowsPerBatch: miniBatch ? twoHopReach(fit, batchSize) : null,
    loadAverage: { before: loadBefore, after: loadavg() },
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/**
 * Rows an exact per-batch propagation would read for one batch of random edges (5 uniform negatives each,
 * the reversed pairs): s_u depends on T0 over u's sampled out-neighbourhood and on S0 over its in-of-out
 * two-hop set, t_v likewise the other way round. Counted with the default biased sampling.
 */
function twoHopReach(g: DirectedGraph, batchSize: number): Record<string, number> {
  const random = new Random(11);
  const aOut = sampleNeighbourhoods(g, "out", { mode: "biased" }, random);
  const aIn = sampleNeighbourhoods(g, "in", { mode: "biased" }, random);
  const sRows = new Set<number>();
  const tRows = new Set<number>();
  const edgeSources = new Int32Array(g.edgeCount);
  for (let u = 0; u < g.nodeCount; u++) edgeSources.fill(u, g.outOffsets[u], g.outOffsets[u + 1]);
  for (let i = 0; i < batchSize; i++) {
    const k = random.int(g.edgeCount);
    const [u, v] = [edgeSources[k], g.outTargets[k]];
    sRows.add(u).add(v);
    tRows.add(v).add(u);
    for (let j = 0; j < 5; j++) tRows.add(random.int(g.nodeCount));
  }
  const reach = (rows: Set<number>, first: typeof aOut, second: typeof aIn) => {
    const one = new Set<number>();
    for (const r of rows)
      for (let k = first.offsets[r]; k < first.offsets[r + 1]; k++) one.add(first.nodes[k]);
    const two = new Set<number>();
    for (const r of one)
      for (let k = second.offsets[r]; k < second.offsets[r + 1]; k++) two.add(second.nodes[k]);
    return { one: one.size, two: two.size };
  };
  const fromS = reach(sRows, aOut, aIn);
  const fromT = reach(tRows, aIn, aOut);
  let entries = 0;
  for (let u = 0; u < g.nodeCount; u++) entries += aOut.offsets[u + 1] - aOut.offsets[u];
  return {
    nodes: g.nodeCount,
    scoredRows: sRows.size + tRows.size,
    oneHopRows: fromS.one + fromT.one,
    twoHopRows: fromS.two + fromT.two,
    meanSampledNeighbours: entries / g.nodeCount,
  };
}
