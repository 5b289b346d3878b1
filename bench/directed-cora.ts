/**
 * Cora citations (citing -> cited) through the directed evaluation, one seed and a chosen set of models per
 * run, so the seeds and models of the README's Cora table can run side by side on a shared 2-core machine
 * (`tastebud eval --graph` runs every model and seed in turn: 37 minutes and more under load). The same
 * experiment as `tastebud eval --graph --edges ../shared/data/cora-citations/cora.cites --reversed`:
 * 10% of edges held out, epochs, L2 (1e-6, 1e-4) and the bias start (zero, log-degree; `--bias-init` forces
 * one) chosen on a validation cut of the training edges.
 *   npm run bench -- directed-cora --seed 1 [--models blade,degree-only] [--source-bias] [--bias-init log-degree]
 *                                   [--batch-size 256 [--hops 0] [--refreshes 1]] [--lr 0.02]
 *                                   [--max-epochs 300] [--check-every 20] [--patience 3]
 * `--batch-size` trains the embedding models in mini-batches (an epoch is then one pass; minibatch.ts).
 */
import {
  type DirectedModelName,
  type DirectedTrainOptions,
  directedModels,
  runDirectedExperiment,
} from "../src/core/directed/index.js";
import { readEdgeFile } from "../src/services/directed.js";

export interface DirectedCoraOptions {
  seed?: number;
  models?: DirectedModelName[];
  /** Train with source biases a_u as well (off by default). */
  sourceBias?: boolean;
  biasInit?: DirectedTrainOptions["biasInit"];
  batchSize?: number;
  hops?: 0 | 1;
  refreshesPerPass?: number;
  learningRate?: number;
  maxEpochs?: number;
  checkEvery?: number;
  patience?: number;
}

export function directedCoraBench(options: DirectedCoraOptions = {}): Record<string, unknown> {
  const path = new URL("../../shared/data/cora-citations/cora.cites", import.meta.url).pathname;
  const graph = readEdgeFile(path, true);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const train: DirectedTrainOptions = {
    ...(options.sourceBias ? { sourceBias: true } : {}),
    ...(options.biasInit ? { biasInit: options.biasInit } : {}),
    ...(options.learningRate ? { learningRate: options.learningRate } : {}),
    ...(options.batchSize
      ? {
          miniBatch: {
            batchSize: options.batchSize,
            hops: options.hops ?? 0,
            refreshesPerPass: options.refreshesPerPass ?? 1,
          },
        }
      : {}),
  };
  const report = runDirectedExperiment(graph.nodeIds.length, graph.edges, {
    seed: options.seed ?? 1,
    models: options.models ?? directedModels,
    train,
    ...(options.maxEpochs ? { maxEpochs: options.maxEpochs } : {}),
    ...(options.checkEvery ? { checkEvery: options.checkEvery } : {}),
    ...(options.patience ? { patience: options.patience } : {}),
    onProgress: (phase) => process.stderr.write(`${phase}\n`),
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    train,
    ...report,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
