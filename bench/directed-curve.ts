/**
 * How fast full-batch BLADE learns a large follow graph, per epoch: `simulateFollowGraph` (as in the directed
 * bench), 10% of the edges cut for validation (seed 1), training on the rest with the given learning rate(s)
 * and shared-negative block, and every `--every` epochs the loss and the validation HitRate@10, MRR and
 * direction AUC over 1,000 of the cut edges, with this process's training CPU seconds (checks excluded).
 *   npm run bench -- directed-curve [--edges 100000] [--epochs 40] [--every 5] [--lr 0.02,0.1]
 *                                   [--negative-block 1] [--batch-size 4096 [--refreshes 1]]
 * With `--batch-size` the training is mini-batch (an epoch is one pass of many Adam steps; minibatch.ts).
 */

import { loadavg } from "node:os";
import { splitEdges } from "../src/core/directed/experiment.js";
import {
  buildDirectedGraph,
  edgesOf,
  embeddingScorer,
  evaluateDirected,
  simulateFollowGraph,
  trainDirectedEmbeddings,
} from "../src/core/directed/index.js";
import { Random } from "../src/core/random.js";

export interface DirectedCurveOptions {
  edges?: number;
  epochs?: number;
  every?: number;
  learningRates?: number[];
  negativeBlock?: number;
  batchSize?: number;
  refreshesPerPass?: number;
  hops?: 0 | 1;
}

export function directedCurveBench(options: DirectedCurveOptions = {}): Record<string, unknown> {
  const log = (text: string) => process.stderr.write(`${text}\n`);
  // The directed bench's sizing: about 2.5 distinct edges per node survive at meanOutDegree 4.
  const nodes = Math.round((options.edges ?? 100_000) / (4 * 0.62));
  const full = buildDirectedGraph(nodes, simulateFollowGraph({ nodes, meanOutDegree: 4, seed: 7 }));
  const { kept, held } = splitEdges(edgesOf(full), 0.1, new Random(1));
  const fit = buildDirectedGraph(nodes, kept);
  const count = Math.min(1000, held.sources.length);
  const validation = { sources: held.sources.slice(0, count), targets: held.targets.slice(0, count) };
  const every = options.every ?? 5;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const curves: Record<string, unknown>[] = [];
  for (const learningRate of options.learningRates ?? [0.02, 0.1]) {
    const checks: Record<string, number>[] = [];
    const cpu0 = cpu();
    let checkCpu = 0;
    trainDirectedEmbeddings(fit, {
      epochs: options.epochs ?? 40,
      learningRate,
      l2: 1e-4,
      seed: 1,
      negativeBlock: options.negativeBlock ?? 1,
      ...(options.batchSize
        ? {
            miniBatch: {
              batchSize: options.batchSize,
              refreshesPerPass: options.refreshesPerPass ?? 1,
              hops: options.hops ?? 0,
            },
          }
        : {}),
      onEpoch(epoch, loss, embeddings) {
        if (epoch % every !== 0) return true;
        const c = cpu();
        const m = evaluateDirected(embeddingScorer(embeddings()), fit, full, validation).overall;
        checkCpu += cpu() - c;
        const check = {
          epoch,
          loss,
          hitRate10: m.hitRate10,
          mrr: m.mrr,
          directionAuc: m.directionAuc,
          trainCpuSeconds: cpu() - cpu0 - checkCpu,
          load: loadavg()[0],
        };
        log(JSON.stringify({ learningRate, ...check }));
        checks.push(check);
        return true;
      },
    });
    curves.push({ learningRate, checks });
  }
  return {
    graph: { nodes, edges: full.edgeCount, fitEdges: fit.edgeCount, validationEdges: count },
    negativeBlock: options.negativeBlock ?? 1,
    miniBatch: options.batchSize
      ? {
          batchSize: options.batchSize,
          refreshesPerPass: options.refreshesPerPass ?? 1,
          hops: options.hops ?? 0,
        }
      : null,
    curves,
    loadAverage: loadavg(),
  };
}
