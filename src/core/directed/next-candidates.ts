import type { FactorModel } from "../affinity/factor-model.js";
import { itemScore } from "../topn/exact.js";
import type { TopN } from "../topn/index.js";
import type { DirectedEmbeddings } from "./blade.js";
import { type DirectedGraph, hasEdge } from "./graph.js";

/**
 * Each node's best targets by the embeddings' score s_u . t_v + b_v, computed once when a model is trained
 * (never on the serving thread) and kept with it, so answering "what follows u" merges a short sorted row
 * with u's own out-edges instead of searching every node per query. Beside the row, what the counts-first
 * prior needs to stay exact: the softmax normaliser over u's whole pool (the prior's top `pool` targets) and
 * the pool's weakest member, so an observed follow-up's share of the prior is known without the pool itself.
 */
export interface NextCandidates {
  nodeCount: number;
  /** Entries kept per node (row length). */
  k: number;
  /** How many targets the counts-first prior spreads its softmax over (its `candidates`). */
  pool: number;
  /** Row u (at u * k): u's best targets, best first, u itself excluded; -1 pads a short row. */
  nodes: Int32Array;
  /** Their scores (as the top-N search returned them). */
  logits: Float32Array;
  /** log sum over u's pool of exp(logit - best logit of u). */
  logNormaliser: Float32Array;
  /**
   * The weakest pool member's score and node: a target is in u's pool when it scores above it, or the same
   * with a node number no larger (the exact search keeps the smaller node on ties). -Infinity and -1 when
   * the pool holds every other node.
   */
  floorLogit: Float32Array;
  floorNode: Int32Array;
}

/**
 * Searches every node's top `pool` targets with `topN` (an exact scan or the saved HNSW index, as served) and
 * keeps the first `k` of each. Costs one top-N search per node: seconds at 20,000 nodes with exact scans.
 */
export function buildNextCandidates(
  embeddings: DirectedEmbeddings,
  topN: TopN,
  options: { k?: number; pool?: number } = {},
): NextCandidates {
  const n = embeddings.nodeCount;
  const pool = Math.max(1, options.pool ?? 100);
  const k = Math.min(Math.max(1, options.k ?? 32), pool);
  const { dim, source } = embeddings;
  const nodes = new Int32Array(n * k).fill(-1);
  const logits = new Float32Array(n * k).fill(Number.NEGATIVE_INFINITY);
  const logNormaliser = new Float32Array(n);
  const floorLogit = new Float32Array(n);
  const floorNode = new Int32Array(n);
  let u = 0;
  const exclude = (v: number) => v === u;
  for (; u < n; u++) {
    const found = topN.recommend(source.subarray(u * dim, (u + 1) * dim), pool, { exclude });
    const count = found.items.length;
    const best = count > 0 ? found.scores[0] : 0;
    let z = 0;
    for (let j = 0; j < count; j++) z += Math.exp(found.scores[j] - best);
    logNormaliser[u] = Math.log(z);
    const whole = count < pool || count >= n - 1;
    floorLogit[u] = whole ? Number.NEGATIVE_INFINITY : found.scores[count - 1];
    floorNode[u] = whole ? -1 : found.items[count - 1];
    const kept = Math.min(k, count);
    nodes.set(found.items.subarray(0, kept), u * k);
    logits.set(found.scores.subarray(0, kept), u * k);
  }
  return { nodeCount: n, k, pool, nodes, logits, logNormaliser, floorLogit, floorNode };
}

/** One entry of an answer: the node, its score (a probability when counts first), its raw embedding score. */
export interface RankedFollow {
  node: number;
  score: number;
  logit: number;
}

/**
 * Answers from the kept rows. Reused across queries: its buffers grow to the largest answer asked and are
 * never allocated per query (a served process answers thousands a second, and garbage is what made the p99).
 */
export class CandidateAnswerer {
  private bestNode = new Int32Array(16);
  private bestScore = new Float64Array(16);
  private bestLogit = new Float64Array(16);
  private size = 0;

  constructor(
    private readonly candidates: NextCandidates,
    private readonly embeddings: DirectedEmbeddings,
    private readonly graph: DirectedGraph,
    /** The embeddings as the top-N search sees them (nextFactorModel), for scores equal to its own. */
    private readonly scoring: FactorModel,
  ) {}

  /**
   * The n best follow-ups of u: counts first (p(v | u) = (w(u, v) + alpha q(v | u)) / (W(u) + alpha), q the
   * softmax of the scores over u's pool) when alpha is given, else by the embeddings' score alone. Ordered
   * as smoothedFollows orders (probability, then score, then node). Returns null when the kept row is too
   * short to be sure of the answer (more asked than kept, or u's own edges crowding it); the caller then
   * searches as before.
   */
  answer(u: number, n: number, alpha: number | null): RankedFollow[] | null {
    const { k, nodes, logits } = this.candidates;
    const g = this.graph;
    const row = u * k;
    let rowLength = 0;
    while (rowLength < k && nodes[row + rowLength] >= 0) rowLength++;
    const rowIsWhole = rowLength < k || this.candidates.floorNode[u] < 0 || k >= this.candidates.pool;
    this.reset(n);
    if (alpha === null) {
      if (rowLength < n && !rowIsWhole) return null;
      for (let j = 0; j < rowLength && j < n; j++)
        this.offer(nodes[row + j], logits[row + j], logits[row + j]);
      return this.result();
    }
    let total = 0;
    for (let e = g.outOffsets[u]; e < g.outOffsets[u + 1]; e++) total += g.outWeights[e];
    const denominator = total + alpha;
    const best = rowLength > 0 ? logits[row] : 0;
    const logZ = this.candidates.logNormaliser[u];
    // u's observed follow-ups: counts plus their share of the prior when they are in its pool.
    for (let e = g.outOffsets[u]; e < g.outOffsets[u + 1]; e++) {
      const v = g.outTargets[e];
      if (v === u) continue;
      // Summed as the top-N scan sums it and rounded to float32 as its answers are, so this score equals the
      // one the search kept for the same pair and the pool test agrees with the search on ties.
      const x = Math.fround(
        itemScore(this.scoring, this.embeddings.source, v, true, u * this.embeddings.dim),
      );
      const inPool = this.inPool(u, v, x);
      const q = inPool ? Math.exp(x - best - logZ) : 0;
      this.offer(v, (g.outWeights[e] + alpha * q) / denominator, inPool ? x : Number.NEGATIVE_INFINITY);
    }
    // The prior's own: in pool order, so the kept row is the start of the unobserved ones.
    let unobserved = 0;
    for (let j = 0; j < rowLength; j++) {
      const v = nodes[row + j];
      if (hasEdge(g, u, v)) continue;
      unobserved++;
      const x = logits[row + j];
      this.offer(v, (alpha * Math.exp(x - best - logZ)) / denominator, x);
    }
    if (unobserved < n && !rowIsWhole) return null;
    return this.result();
  }

  private inPool(u: number, v: number, x: number): boolean {
    const floor = this.candidates.floorLogit[u];
    const floorNode = this.candidates.floorNode[u];
    return floorNode < 0 || x > floor || (x === floor && v <= floorNode);
  }

  private reset(n: number): void {
    if (this.bestNode.length < n) {
      this.bestNode = new Int32Array(n);
      this.bestScore = new Float64Array(n);
      this.bestLogit = new Float64Array(n);
    }
    this.size = 0;
    this.capacity = n;
  }

  private capacity = 0;

  /** Keeps the `capacity` best in order (insertion into a short sorted list: n is 10-100). */
  private offer(node: number, score: number, logit: number): void {
    let i = this.size;
    if (i === this.capacity) {
      if (
        i === 0 ||
        !ahead(score, logit, node, this.bestScore[i - 1], this.bestLogit[i - 1], this.bestNode[i - 1])
      )
        return;
      i--;
    } else this.size++;
    while (
      i > 0 &&
      ahead(score, logit, node, this.bestScore[i - 1], this.bestLogit[i - 1], this.bestNode[i - 1])
    ) {
      this.bestNode[i] = this.bestNode[i - 1];
      this.bestScore[i] = this.bestScore[i - 1];
      this.bestLogit[i] = this.bestLogit[i - 1];
      i--;
    }
    this.bestNode[i] = node;
    this.bestScore[i] = score;
    this.bestLogit[i] = logit;
  }

  private result(): RankedFollow[] {
    const out: RankedFollow[] = new Array(this.size);
    for (let i = 0; i < this.size; i++)
      out[i] = { node: this.bestNode[i], score: this.bestScore[i], logit: this.bestLogit[i] };
    return out;
  }
}

/** (score, logit, node) ranks before (score2, logit2, node2): higher probability, then score, then smaller node. */
function ahead(
  score: number,
  logit: number,
  node: number,
  score2: number,
  logit2: number,
  node2: number,
): boolean {
  return score > score2 || (score === score2 && (logit > logit2 || (logit === logit2 && node < node2)));
}
