import type { FactorModel } from "../affinity/factor-model.js";
import { createTopN, type TopN } from "../topn/index.js";
import type { DirectedEmbeddings } from "./blade.js";
import { smoothedFollows } from "./counts-first.js";
import { type DirectedGraph, hasEdge } from "./graph.js";
import { CandidateAnswerer, type NextCandidates } from "./next-candidates.js";

/** Why v is offered as what follows u. */
export type NextReason =
  | { kind: "edge"; weight: number }
  | { kind: "two-step"; via: number }
  | { kind: "learned" };

export interface NextItem {
  node: number;
  score: number;
  reason: NextReason;
}

/**
 * What serving needs to answer "what follows u": the embeddings behind a top-N searcher (an exact scan for
 * small graphs, an HNSW index above `approximateAbove` nodes) and the training graph for reasons.
 */
export interface NextIndex {
  embeddings: DirectedEmbeddings;
  graph: DirectedGraph;
  topN: TopN;
  /**
   * When set, answers are counts first (smoothedFollows: u's observed follow-ups, the embeddings' top
   * `candidates` as the prior of strength alpha); unset, the embeddings alone rank (models saved before).
   */
  countsFirst?: { alpha: number; candidates: number };
  /**
   * Each node's best targets kept with the model (buildNextCandidates, at training time): when set, an
   * answer merges u's row with u's out-edges and only falls back to `topN` when the row is too short.
   */
  answerer?: CandidateAnswerer;
}

/** The index answering from kept candidate rows first (see NextIndex.answerer). */
export function withCandidates(index: NextIndex, candidates: NextCandidates): NextIndex {
  if (index.countsFirst && index.countsFirst.candidates !== candidates.pool)
    throw new Error(
      `candidate rows were kept over a pool of ${candidates.pool}, the model's prior spreads over ${index.countsFirst.candidates}`,
    );
  return {
    ...index,
    answerer: new CandidateAnswerer(
      candidates,
      index.embeddings,
      index.graph,
      nextFactorModel(index.embeddings),
    ),
  };
}

/**
 * Builds the searcher: s_u . t_v + b_v is a factor model's score with s as the "user" (query) vectors and
 * t, b as the item vectors and biases, so the shared top-N code (exact or approximate) answers it as is.
 */
export function buildNextIndex(
  embeddings: DirectedEmbeddings,
  graph: DirectedGraph,
  approximateAbove = 50_000,
  countsFirst?: NextIndex["countsFirst"],
): NextIndex {
  return {
    embeddings,
    graph,
    topN: createTopN(nextFactorModel(embeddings), { approximateAbove }),
    ...(countsFirst ? { countsFirst } : {}),
  };
}

/**
 * The embeddings as the factor model the top-N code searches, so an index built elsewhere (on a worker
 * thread at training time, kept in the version folder) can be searched with `{ embeddings, graph, topN }`.
 */
export function nextFactorModel(embeddings: DirectedEmbeddings): FactorModel {
  return {
    nUsers: embeddings.nodeCount,
    nItems: embeddings.nodeCount,
    factors: embeddings.dim,
    userFactors: embeddings.source,
    itemFactors: embeddings.target,
    itemBias: embeddings.targetBias,
  };
}

/**
 * The n nodes most likely to follow u (u itself excluded), best first, each with its reason. Counts first:
 * one top-K search of the embeddings (the prior) and u's own row, so the cost stays that of one search.
 */
export function nextNodes(index: NextIndex, u: number, n: number): NextItem[] {
  const { dim, source } = index.embeddings;
  const query = source.subarray(u * dim, (u + 1) * dim);
  const exclude = (v: number) => v === u;
  const kept = index.answerer?.answer(u, n, index.countsFirst ? index.countsFirst.alpha : null);
  if (kept)
    return kept.map((f) => ({ node: f.node, score: f.score, reason: reasonFor(index.graph, u, f.node) }));
  if (index.countsFirst) {
    const { alpha, candidates } = index.countsFirst;
    const prior = index.topN.recommend(query, Math.max(n, candidates), { exclude });
    return smoothedFollows(index.graph, u, prior.items, prior.scores, alpha)
      .slice(0, n)
      .map((f) => ({ node: f.node, score: f.probability, reason: reasonFor(index.graph, u, f.node) }));
  }
  const result = index.topN.recommend(query, n, { exclude });
  return Array.from(result.items, (v, k) => ({
    node: v,
    score: result.scores[k],
    reason: reasonFor(index.graph, u, v),
  }));
}

/** A direct edge u -> v (with its weight), else an intermediate w with u -> w -> v (the strongest), else learned. */
export function reasonFor(g: DirectedGraph, u: number, v: number): NextReason {
  let via = -1;
  let viaWeight = 0;
  for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) {
    const w = g.outTargets[k];
    if (w === v) return { kind: "edge", weight: g.outWeights[k] };
    if (g.outWeights[k] > viaWeight && hasEdge(g, w, v)) {
      via = w;
      viaWeight = g.outWeights[k];
    }
  }
  return via >= 0 ? { kind: "two-step", via } : { kind: "learned" };
}
