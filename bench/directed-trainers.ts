/**
 * The directed models the plays-next benches (follow-ups, playlist-order) train, with one set of settings:
 * embeddings (BLADE or plain factors, optionally on both directions of every edge) with epochs chosen on a
 * validation cut of the edges, and counts first with a prior (alpha and the prior's epochs chosen on each
 * listener's latest 20% of the transitions, then refitted on all of them).
 */
import {
  bothDirections,
  type DirectedScorer,
  type EdgeArrays,
  embeddingScorer,
  type PlayTransitions,
  trainCountsFirstModel,
  trainDirectedModel,
} from "../src/core/directed/index.js";

export function directedTrainers(
  nodes: number,
  edges: EdgeArrays,
  transitions: PlayTransitions,
  settings: { seed: number; maxEpochs?: number },
  log: (text: string) => void,
) {
  const common = {
    seed: settings.seed,
    maxEpochs: settings.maxEpochs ?? 40,
    checkEvery: 10,
    l2Values: [1e-4],
  };
  return {
    embeddings(setup: Record<string, unknown>, symmetric = false): DirectedScorer {
      const trained = trainDirectedModel(nodes, symmetric ? bothDirections(edges) : edges, {
        ...common,
        train: setup,
      });
      log(`  trained ${JSON.stringify(setup)}: ${trained.epochs} epochs`);
      return embeddingScorer(trained.embeddings);
    },
    countsFirst(prior: "blade" | "popularity"): DirectedScorer {
      const trained = trainCountsFirstModel(nodes, transitions, { ...common, prior });
      log(`  counts first, ${prior} prior: alpha ${trained.alpha}, epochs ${trained.epochs}`);
      return trained.scorer;
    },
  };
}
