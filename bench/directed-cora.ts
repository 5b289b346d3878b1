/**
 * Cora citations (citing -> cited), or with `--graph spotify` the plays-next graph of the shared Spotify
 * histories (what `tastebud eval --graph` evaluates on a store holding them), through the directed
 * evaluation, one seed and a chosen set of models per run, so the seeds and models of the README's Cora table can run side by side on a shared 2-core machine
 * (`tastebud eval --graph` runs every model and seed in turn: 37 minutes and more under load). The same
 * experiment as `tastebud eval --graph --edges ../shared/data/cora-citations/cora.cites --reversed`:
 * 10% of edges held out, epochs, L2 (1e-6, 1e-4) and the bias start (zero, log-degree; `--bias-init` forces
 * one) chosen on a validation cut of the training edges.
 *   npm run bench -- directed-cora --seed 1 [--models blade,degree-only] [--source-bias] [--bias-init log-degree]
 *                                   [--batch-size 256 [--hops 0] [--refreshes 1]] [--lr 0.02]
 *                                   [--max-epochs 300] [--check-every 20] [--patience 3]
 *                                   [--graph cora|spotify [--hold-out edges|sessions]] [--dim 64] [--l2 1e-6,1e-4]
 *                                   [--max-validation-edges 1000]
 * `--hold-out sessions` (Spotify only) holds out whole listening sessions instead of single edges, as
 * `tastebud eval --graph` does on plays by default (experiment.ts's `sessionOf` says why); the default here
 * stays edges, so the README's earlier Spotify rows reproduce.
 * `--batch-size` trains the embedding models in mini-batches (an epoch is then one pass; minibatch.ts);
 * `--refreshes 0` keeps the neighbourhood terms of the initial vectors (frozen propagation; `--free-start zero`
 * then starts the free vectors at zero); `--no-bias` trains without the per-target bias.
 */
import {
  type DirectedModelName,
  type DirectedTrainOptions,
  directedModels,
  type EdgeArrays,
  runDirectedExperiment,
} from "../src/core/directed/index.js";
import { readEdgeFile } from "../src/services/directed.js";
import { spotifyTransitions } from "./next-play.js";

export interface DirectedCoraOptions {
  graph?: "cora" | "spotify";
  holdOut?: "edges" | "sessions";
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
  dim?: number;
  freeStart?: "random" | "zero";
  /** Train without the per-target bias (`--no-bias`). */
  noBias?: boolean;
  l2Values?: number[];
  maxValidationEdges?: number;
}

export async function directedCoraBench(options: DirectedCoraOptions = {}): Promise<Record<string, unknown>> {
  const holdOut = options.holdOut ?? "edges";
  if (holdOut !== "edges" && holdOut !== "sessions")
    throw new Error(`--hold-out expects edges or sessions, not "${holdOut}"`);
  const graph = await graphOf(options.graph ?? "cora");
  if (holdOut === "sessions" && !graph.sessionOf)
    throw new Error("--hold-out sessions needs --graph spotify: Cora's citations have no sessions");
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const train: DirectedTrainOptions = {
    ...(options.sourceBias ? { sourceBias: true } : {}),
    ...(options.biasInit ? { biasInit: options.biasInit } : {}),
    ...(options.learningRate ? { learningRate: options.learningRate } : {}),
    ...(options.dim ? { dim: options.dim } : {}),
    ...(options.noBias ? { targetBias: false } : {}),
    ...(options.batchSize
      ? {
          miniBatch: {
            batchSize: options.batchSize,
            hops: options.hops ?? 0,
            refreshesPerPass: options.refreshesPerPass ?? 1,
            ...(options.freeStart ? { freeStart: options.freeStart } : {}),
          },
        }
      : {}),
  };
  const report = runDirectedExperiment(graph.nodes, graph.edges, {
    seed: options.seed ?? 1,
    models: options.models ?? directedModels,
    ...(holdOut === "sessions" ? { sessionOf: graph.sessionOf } : {}),
    train,
    ...(options.maxEpochs ? { maxEpochs: options.maxEpochs } : {}),
    ...(options.checkEvery ? { checkEvery: options.checkEvery } : {}),
    ...(options.patience ? { patience: options.patience } : {}),
    ...(options.l2Values ? { l2Values: options.l2Values } : {}),
    ...(options.maxValidationEdges ? { maxValidationEdges: options.maxValidationEdges } : {}),
    onProgress: (phase) => process.stderr.write(`${phase}\n`),
    onCheck: (c) =>
      process.stderr.write(
        `  check ${new Date().toISOString().slice(11, 19)} cpu ${cpuSince(cpu0).toFixed(0)} s: ${JSON.stringify(c)}\n`,
      ),
  });
  return {
    graph: options.graph ?? "cora",
    holdOut,
    train,
    ...report,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpuSince(cpu0),
  };
}

async function graphOf(
  name: "cora" | "spotify",
): Promise<{ nodes: number; edges: EdgeArrays; sessionOf?: Int32Array }> {
  if (name === "spotify") {
    const { items, transitions } = await spotifyTransitions();
    const { sources, targets, weights, sessionIndex } = transitions;
    return { nodes: items, edges: { sources, targets, weights }, sessionOf: sessionIndex };
  }
  if (name !== "cora") throw new Error(`--graph expects cora or spotify, not "${name}"`);
  const path = new URL("../../shared/data/cora-citations/cora.cites", import.meta.url).pathname;
  const graph = readEdgeFile(path, true);
  return { nodes: graph.nodeIds.length, edges: graph.edges };
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1e6;
}
