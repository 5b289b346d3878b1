import { sigmoid } from "./blade.js";
import type { DirectedGraph } from "./graph.js";
import type { DirectedScorer } from "./scorers.js";

/**
 * "What follows u" from the graph's own edges first, a learned model as the prior: the smoothed follow-up
 * probability
 *
 *   p(v | u) = (w(u, v) + alpha * q(v | u)) / (W(u) + alpha),
 *
 * where w(u, v) is the observed transition weight, W(u) the sum of u's out-weights, and q(v | u) the prior's
 * softmax over its top `candidates` targets for u (zero outside them). Why this form: it is the posterior
 * mean of a multinomial under a Dirichlet prior centred on the model, so a source with many observed
 * follow-ups is answered by its counts (the measured winner on every plays-next task) and a cold source,
 * W(u) = 0, by the model alone; `alpha` says how many transitions the prior is worth and is chosen on a
 * validation cut. Truncating q to the prior's top candidates keeps serving to one top-K search plus u's row
 * (the full softmax needs a pass over every node); it changes nothing above rank `candidates`.
 */
export interface CountsFirstOptions {
  /** Prior strength in units of transition weight (> 0). */
  alpha: number;
  /** How many of the prior's best targets carry its probability mass (default 100). */
  candidates?: number;
}

/** A candidate's smoothed probability; `logit` is the prior's raw score, used only to break ties. */
export interface SmoothedFollow {
  node: number;
  probability: number;
  logit: number;
  /** w(u, v) > 0: the transition was observed. */
  observed: boolean;
}

/** Below any smoothed probability: orders what the formula leaves at 0 (and ties) by the prior's score. */
const tieBreak = 1e-12;

/**
 * The smoothed probabilities of u's candidates: every out-edge of u and the prior's top ones (`priorNodes`
 * with their `priorLogits`, any order, u itself excluded by the caller), best first. Serving and evaluation
 * both rank with this, so what is measured is what is served.
 */
export function smoothedFollows(
  g: DirectedGraph,
  u: number,
  priorNodes: ArrayLike<number>,
  priorLogits: ArrayLike<number>,
  alpha: number,
): SmoothedFollow[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < priorNodes.length; k++) max = Math.max(max, priorLogits[k]);
  let z = 0;
  for (let k = 0; k < priorNodes.length; k++) z += Math.exp(priorLogits[k] - max);
  let total = 0;
  for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) total += g.outWeights[k];
  const denominator = total + alpha;
  const byNode = new Map<number, SmoothedFollow>();
  for (let k = 0; k < priorNodes.length; k++) {
    const v = priorNodes[k];
    const q = Math.exp(priorLogits[k] - max) / z;
    byNode.set(v, {
      node: v,
      probability: (alpha * q) / denominator,
      logit: priorLogits[k],
      observed: false,
    });
  }
  for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) {
    const v = g.outTargets[k];
    const add = g.outWeights[k] / denominator;
    const known = byNode.get(v);
    if (known) {
      known.probability += add;
      known.observed = true;
    } else byNode.set(v, { node: v, probability: add, logit: Number.NEGATIVE_INFINITY, observed: true });
  }
  return [...byNode.values()].sort(
    (a, b) => b.probability - a.probability || b.logit - a.logit || a.node - b.node,
  );
}

/**
 * The counts-first model as a DirectedScorer over every node (for the evaluations): candidates get their
 * smoothed probability, every other node a score below all of them in the prior's order, so ranks past the
 * candidates are the prior's own. score(u, v) reuses the last query's scores (an ordering asks about one u
 * many times in a row).
 */
export function countsFirstScorer(
  g: DirectedGraph,
  prior: DirectedScorer,
  options: CountsFirstOptions,
): DirectedScorer {
  const n = g.nodeCount;
  const k = Math.min(options.candidates ?? 100, Math.max(0, n - 1));
  const logits = new Float64Array(n);
  const top = new TopK(k);
  const scoreAll = (u: number, out: Float64Array) => {
    prior.scoreAll(u, logits);
    top.clear();
    for (let v = 0; v < n; v++) if (v !== u) top.offer(v, logits[v]);
    const { nodes, values } = top.result();
    // Outside the candidates: in (-1, 0), by the prior's score; candidates: their probability (>= 0) plus
    // a tie-break by the same score, which never reorders distinct probabilities of real size.
    for (let v = 0; v < n; v++) out[v] = -1 + sigmoid(logits[v]);
    for (const f of smoothedFollows(g, u, nodes, values, options.alpha))
      out[f.node] = f.probability + tieBreak * sigmoid(Number.isFinite(f.logit) ? f.logit : logits[f.node]);
  };
  let cachedU = -1;
  const cached = new Float64Array(n);
  return {
    scoreAll,
    score(u, v) {
      if (u !== cachedU) {
        scoreAll(u, cached);
        cachedU = u;
      }
      return cached[v];
    },
  };
}

/** log(popularity as a follow-up): popularity as a prior whose softmax is the popularity share. */
export function logPopularityScorer(g: DirectedGraph): DirectedScorer {
  const logPop = new Float64Array(g.nodeCount);
  for (let v = 0; v < g.nodeCount; v++) {
    let w = 0;
    for (let k = g.inOffsets[v]; k < g.inOffsets[v + 1]; k++) w += g.inWeights[k];
    logPop[v] = Math.log(w + 1e-9);
  }
  return {
    scoreAll(_u, out) {
      out.set(logPop);
    },
    score: (_u, v) => logPop[v],
  };
}

/** The k largest (value, node) pairs offered, ties to the smaller node. */
class TopK {
  private readonly nodes: Int32Array;
  private readonly values: Float64Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.nodes = new Int32Array(k);
    this.values = new Float64Array(k);
  }

  clear(): void {
    this.size = 0;
  }

  /** A min-heap on (value, -node): the root is the weakest kept. */
  offer(node: number, value: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.weaker(node, value, this.nodes[p], this.values[p])) break;
        this.nodes[i] = this.nodes[p];
        this.values[i] = this.values[p];
        i = p;
      }
      this.nodes[i] = node;
      this.values[i] = value;
      return;
    }
    if (!this.weaker(this.nodes[0], this.values[0], node, value)) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c =
        r < this.size && this.weaker(this.nodes[r], this.values[r], this.nodes[l], this.values[l]) ? r : l;
      if (!this.weaker(this.nodes[c], this.values[c], node, value)) break;
      this.nodes[i] = this.nodes[c];
      this.values[i] = this.values[c];
      i = c;
    }
    this.nodes[i] = node;
    this.values[i] = value;
  }

  result(): { nodes: Int32Array; values: Float64Array } {
    return { nodes: this.nodes.subarray(0, this.size), values: this.values.subarray(0, this.size) };
  }

  private weaker(a: number, av: number, b: number, bv: number): boolean {
    return av < bv || (av === bv && a > b);
  }
}
