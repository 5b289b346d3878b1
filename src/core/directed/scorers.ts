import type { DirectedEmbeddings } from "./blade.js";
import { type DirectedGraph, hasEdge } from "./graph.js";

/** Something that scores "v follows u" for a query node u: the model under test or a baseline. */
export interface DirectedScorer {
  /** out[v] = score(u -> v) for every node v. */
  scoreAll(u: number, out: Float64Array): void;
  score(u: number, v: number): number;
}

/** score(u -> v) = a_u + s_u . t_v + b_v, never symmetrised (a_u = 0 for a model without source biases). */
export function embeddingScorer(e: DirectedEmbeddings): DirectedScorer {
  const { dim, source, target, nodeCount, targetBias } = e;
  const sourceBias = e.sourceBias ?? new Float32Array(nodeCount);
  return {
    scoreAll(u, out) {
      const o = u * dim;
      const au = sourceBias[u];
      for (let v = 0; v < nodeCount; v++) {
        let sum = 0;
        const ov = v * dim;
        for (let d = 0; d < dim; d++) sum += source[o + d] * target[ov + d];
        out[v] = au + sum + targetBias[v];
      }
    },
    score(u, v) {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += source[u * dim + d] * target[v * dim + d];
      return sourceBias[u] + sum + targetBias[v];
    },
  };
}

/**
 * The degree-only directed baseline: in-degree(v) - in-degree(u). It knows that what is cited or played
 * next is mostly what is popular as a follow-up, and that the popular one of a pair is the likelier target.
 */
export function degreeScorer(g: DirectedGraph): DirectedScorer {
  const inDeg = (v: number) => g.inOffsets[v + 1] - g.inOffsets[v];
  return {
    scoreAll(u, out) {
      const base = inDeg(u);
      for (let v = 0; v < g.nodeCount; v++) out[v] = inDeg(v) - base;
    },
    score: (u, v) => inDeg(v) - inDeg(u),
  };
}

/**
 * The symmetric item-kNN baseline: cosine between nodes' rows of the undirected co-occurrence matrix
 * A + A^T + I (binary), so direct neighbours and nodes sharing neighbours score high, in both directions alike.
 */
export function cosineScorer(g: DirectedGraph): DirectedScorer {
  const cosine = cosineOf(g);
  return { scoreAll: cosine.scoreAll, score: cosine.score };
}

/** The rows of A + A^T + I (binary) and the cosine between them: item-kNN's similarity. */
function cosineOf(g: DirectedGraph) {
  const n = g.nodeCount;
  const rows: Int32Array[] = [];
  for (let u = 0; u < n; u++) {
    const set = new Set<number>([u]);
    for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) set.add(g.outTargets[k]);
    for (let k = g.inOffsets[u]; k < g.inOffsets[u + 1]; k++) set.add(g.inSources[k]);
    rows.push(Int32Array.from(set));
  }
  const norm = (u: number) => Math.sqrt(rows[u].length);
  const overlap = new Float64Array(n);
  const scoreAll = (u: number, out: Float64Array) => {
    overlap.fill(0);
    // Nodes sharing a column w with u are w's own row members (the matrix is symmetric).
    for (const w of rows[u]) for (const x of rows[w]) overlap[x] += 1;
    const nu = norm(u);
    for (let v = 0; v < n; v++) out[v] = overlap[v] / (nu * norm(v));
  };
  const score = (u: number, v: number) => {
    const a = new Set(rows[u]);
    let shared = 0;
    for (const x of rows[v]) if (a.has(x)) shared++;
    return shared / (norm(u) * norm(v));
  };
  return { scoreAll, score };
}

/** The weights of directedNeighbourhoodScorer's two directed terms (the cosine's is 1). */
export interface NeighbourhoodWeights {
  /** Of "what follows nodes like u": sum over w of cos(u, w) for every training edge w -> v. */
  followers: number;
  /** Of "v led to u": 1 when v -> u is a training edge (on plays-next graphs, going back). */
  reverse: number;
}

/**
 * A directed neighbourhood model: score(u -> v) = cos(u, v) + followers * sum_{w -> v} cos(u, w)
 * + reverse * [v -> u], the cosine item-kNN's. Why these terms: on the Spotify plays-next graph a tenth of the
 * held-out follow-ups are a training edge walked back, and most share a neighbour with the query, which the
 * cosine counts in both directions alike; "what was played after items like u" is the directed form of the
 * same neighbourhood evidence. The cosine and the reverse term cancel in a direction pair (the reverse of a
 * direction pair is no edge, and neither is the held-out edge in training), so the direction AUC is the
 * followers term's.
 */
export function directedNeighbourhoodScorer(g: DirectedGraph, weights: NeighbourhoodWeights): DirectedScorer {
  const n = g.nodeCount;
  const cosine = cosineOf(g);
  const similar = new Float64Array(n);
  return {
    scoreAll(u, out) {
      cosine.scoreAll(u, similar);
      out.set(similar);
      if (weights.followers !== 0)
        for (let w = 0; w < n; w++) {
          const c = similar[w];
          if (c === 0 || w === u) continue;
          for (let k = g.outOffsets[w]; k < g.outOffsets[w + 1]; k++)
            out[g.outTargets[k]] += weights.followers * c;
        }
      if (weights.reverse !== 0)
        for (let k = g.inOffsets[u]; k < g.inOffsets[u + 1]; k++) out[g.inSources[k]] += weights.reverse;
    },
    score(u, v) {
      let followers = 0;
      if (weights.followers !== 0)
        for (let k = g.inOffsets[v]; k < g.inOffsets[v + 1]; k++) {
          const w = g.inSources[k];
          if (w !== u) followers += cosine.score(u, w);
        }
      return cosine.score(u, v) + weights.followers * followers + (hasEdge(g, v, u) ? weights.reverse : 0);
    },
  };
}

/**
 * score(u -> v) = directed(u -> v) + weight * symmetric(u, v): a directed model with a symmetric neighbourhood
 * prior (item-kNN cosine) added, its weight chosen on validation. Why this form: the symmetric term is the
 * same both ways, so it cancels in every direction pair, score(u -> v) - score(v -> u), and the direction AUC
 * stays the directed model's own; it only moves which targets rank first.
 */
export function blendedScorer(
  directed: DirectedScorer,
  symmetric: DirectedScorer,
  weight: number,
): DirectedScorer {
  let buffer = new Float64Array(0);
  return {
    scoreAll(u, out) {
      directed.scoreAll(u, out);
      if (weight === 0) return;
      if (buffer.length !== out.length) buffer = new Float64Array(out.length);
      symmetric.scoreAll(u, buffer);
      for (let v = 0; v < out.length; v++) out[v] += weight * buffer[v];
    },
    score: (u, v) => directed.score(u, v) + (weight === 0 ? 0 : weight * symmetric.score(u, v)),
  };
}
