/**
 * Directed "what follows" model at the scale (issue 17's targets: training a 1 M-edge graph in under
 * 2 minutes on 2 cores, `next` p99 under 1 ms in process). The graph is `simulateFollowGraph`'s (ordered
 * sequences, heavy-tailed out-degrees), so the figures need no download:
 *   - building the graph's CSR views, and the BLADE epoch time (median of `--epochs` timed epochs after one
 *     warm-up, 64 dims, 2 layers, biased sampling, 5 negatives and the reversed-edge negative), wall and CPU,
 *     for the reference loops and the fused kernel in turn (their ratio; the rest uses the fused one);
 *   - what one `tastebud train --graph` costs at that pace: its default search (2 L2 values x up to 300 epochs
 *     on validation, then the final fit) is estimated from the epoch time, not run;
 *   - the served index build (HNSW above 20,000 nodes, as the service does) and `next` latency, p50/p99 over
 *     `--queries` random query nodes, reasons included.
 *   npm run bench -- directed [--edges 1000000] [--epochs 3] [--queries 5000 | 0 to skip `next`]
 */

import { loadavg } from "node:os";
import {
  buildDirectedGraph,
  buildNextIndex,
  nextNodes,
  simulateFollowGraph,
  trainDirectedEmbeddings,
} from "../src/core/directed/index.js";
import { Random } from "../src/core/random.js";
import { median, percentiles } from "./record.js";

export interface DirectedBenchOptions {
  edges?: number;
  epochs?: number;
  queries?: number;
}

export function directedBench(options: DirectedBenchOptions = {}): Record<string, unknown> {
  const wanted = options.edges ?? 1_000_000;
  const timedEpochs = Math.max(1, options.epochs ?? 3);
  const queries = options.queries ?? 5000;
  const log = (text: string) => process.stderr.write(`${text}\n`);

  // After merging parallel edges (a sequence's next member is drawn again and again) simulateFollowGraph keeps
  // about 2.5 distinct edges per node at meanOutDegree 4, so the node count is set from that and the realised
  // edge count is reported.
  const meanOutDegree = 4;
  const nodes = Math.max(100, Math.round(wanted / (meanOutDegree * 0.62)));
  let t = performance.now();
  const edges = simulateFollowGraph({ nodes, meanOutDegree, seed: 7 });
  const simulateSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const graph = buildDirectedGraph(nodes, edges);
  const graphSeconds = (performance.now() - t) / 1000;
  log(`graph: ${nodes} nodes, ${graph.edgeCount} edges (${graphSeconds.toFixed(2)} s)`);

  // Each kernel in turn (the reference loops first, as the baseline of the ratio): one warm-up epoch (JIT,
  // first touch of the arrays), then the timed ones, each from onEpoch to onEpoch, in wall time and in this
  // process's CPU time (on a shared machine the wall time is mostly other processes' turn).
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const kernels: Record<string, Record<string, number>> = {};
  let embeddings = null as ReturnType<typeof trainDirectedEmbeddings> | null;
  let epochSeconds = 0;
  let setupSeconds = 0;
  let totalTrainSeconds = 0;
  for (const kernel of ["reference", "fused"] as const) {
    const stamps: number[] = [];
    const cpu: number[] = [];
    t = performance.now();
    const cpu0 = cpuMs();
    embeddings = trainDirectedEmbeddings(graph, {
      epochs: timedEpochs + 1,
      seed: 1,
      kernel,
      onEpoch(epoch) {
        stamps.push(performance.now());
        cpu.push(cpuMs());
        log(`${kernel} epoch ${epoch}: ${((stamps.at(-1) as number) - (stamps.at(-2) ?? t)) / 1000} s`);
        return true;
      },
    });
    totalTrainSeconds = (performance.now() - t) / 1000;
    const firstEpochSeconds = (stamps[0] - t) / 1000;
    epochSeconds = median(stamps.slice(1).map((s, k) => (s - stamps[k]) / 1000));
    // The sampling and set-up before the first epoch are in firstEpochSeconds; what is left of it after an
    // ordinary epoch is the fixed cost of one training run.
    setupSeconds = Math.max(0, firstEpochSeconds - epochSeconds);
    kernels[kernel] = {
      secondsPerEpoch: epochSeconds,
      cpuSecondsPerEpoch: median(cpu.slice(1).map((c, k) => (c - cpu[k]) / 1000)),
      setupSeconds,
      setupCpuSeconds: (cpu[0] - cpu0) / 1000,
    };
  }
  const ratio = {
    wall: kernels.fused.secondsPerEpoch / kernels.reference.secondsPerEpoch,
    cpu: kernels.fused.cpuSecondsPerEpoch / kernels.reference.cpuSecondsPerEpoch,
  };
  log(`fused / reference per epoch: wall ${ratio.wall.toFixed(3)}, cpu ${ratio.cpu.toFixed(3)}`);
  if (!embeddings) throw new Error("no kernel ran");

  // `next` as served: embeddings alone (edge files) and counts first (plays: u's row plus the embeddings'
  // top 100 as the prior). `--queries 0` skips the index build (987 s at 400k nodes under load).
  let next: Record<string, unknown> | null = null;
  if (queries > 0) {
    t = performance.now();
    const index = buildNextIndex(embeddings, graph, 20_000);
    const indexSeconds = (performance.now() - t) / 1000;
    const latencyOf = (served: typeof index) => {
      const random = new Random(3);
      for (let k = 0; k < 200; k++) nextNodes(served, random.int(nodes), 10);
      const ms: number[] = [];
      for (let k = 0; k < queries; k++) {
        const u = random.int(nodes);
        const s = performance.now();
        nextNodes(served, u, 10);
        ms.push(performance.now() - s);
      }
      return percentiles(ms);
    };
    next = {
      n: 10,
      indexBuildSeconds: indexSeconds,
      approximate: nodes > 20_000,
      ms: latencyOf(index),
      countsFirstMs: latencyOf({ ...index, countsFirst: { alpha: 1, candidates: 100 } }),
    };
  }

  // `train --graph` defaults: each of 2 L2 values trained up to 300 epochs on 90% of the edges, then the
  // final fit at the chosen count (at most 300). An upper bound: early stopping usually ends sooner.
  const searchEpochs = 2 * 300 + 300;
  return {
    graph: { nodes, edges: graph.edgeCount, simulateSeconds, buildSeconds: graphSeconds },
    training: {
      dim: embeddings.dim,
      layers: 2,
      timedEpochs,
      kernels,
      fusedOverReference: ratio,
      secondsPerEpoch: epochSeconds,
      setupSeconds,
      totalSeconds: totalTrainSeconds,
      edgesPerSecond: Math.round(graph.edgeCount / epochSeconds),
      epochsIn2Minutes: Math.floor((120 - setupSeconds) / epochSeconds),
      trainGraphDefaultsUpperBoundSeconds: setupSeconds * 3 + searchEpochs * epochSeconds,
    },
    next,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    loadAverage: loadavg(),
  };
}
