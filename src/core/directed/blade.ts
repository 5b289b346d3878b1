import { Random } from "../random.js";
import { type DirectedGraph, hasEdge } from "./graph.js";
import { isFrozen, type MiniBatchSettings, MiniBatchTrainer, miniBatchPass } from "./minibatch.js";
import {
  aggregate,
  aggregateTransposed,
  type SampledNeighbourhoods,
  type SamplingOptions,
  sampleNeighbourhoods,
} from "./sampling.js";

/** Final source and target vectors per node (row-major, nodeCount x dim): score(u -> v) = s_u . t_v. */
export interface DirectedEmbeddings {
  nodeCount: number;
  dim: number;
  source: Float32Array;
  target: Float32Array;
  /** Per-node target bias b_v added to every score of "-> v" (all zero when trained without it). */
  targetBias: Float32Array;
  /**
   * Per-node source bias a_u added to every score of "u ->": constant over one query's candidates, so it
   * never changes what follows u, only which way a pair points (a_u + b_v against a_v + b_u). Absent or all
   * zero when trained without it.
   */
  sourceBias?: Float32Array;
}

/** The per-node scalars of score(u -> v) = a_u + s_u . t_v + b_v. */
export interface Biases {
  source: Float32Array;
  target: Float32Array;
}

export interface DirectedTrainOptions {
  /** Vector size (default 64). */
  dim?: number;
  /** Aggregation layers L (default 2; 0 = plain source/target factorization, no graph in the vectors). */
  layers?: number;
  epochs?: number;
  learningRate?: number;
  /** L2 penalty on the free layer-0 vectors. */
  l2?: number;
  /** Negatives per edge, drawn in proportion to (in-degree + 1)^negativePower (default 5). */
  negatives?: number;
  /** 0 (default) draws negatives uniformly, which leaves popularity to the target bias; 0.75 is word2vec's. */
  negativePower?: number;
  /** Weight gamma of the reversed-edge negative (v -> u when it is not an edge); 0 turns it off (default 1). */
  reverseWeight?: number;
  /** Neighbourhood sampling for the layers (default biased, F = 25, delta = 5, beta = 0.5). */
  sampling?: SamplingOptions;
  /**
   * Learn a bias b_v per target, score(u -> v) = s_u . t_v + b_v (default true for directed models): how
   * much v is a follow-up in general, which the reversed-edge negatives turn into a sense of direction
   * (the degree-only baseline's knowledge, learned). Always off when tied.
   */
  targetBias?: boolean;
  /**
   * Learn a bias a_u per source as well (default false): with the reversed-edge negatives, a_u - b_u becomes
   * how much u sits at the start rather than the end of edges (a citing paper against a cited one), which
   * direction needs and ranking ignores. Off by default: on Cora it did not raise the direction AUC (README,
   * "What comes next"). Always off when tied.
   */
  sourceBias?: boolean;
  /**
   * Starting value of the biases: "zero" (default), or "log-degree": b_v = log(1 + in-degree of v) and
   * a_u = log(1 + out-degree of u), each minus its mean over the nodes. Why one would: Adam moves a parameter
   * by about the learning rate per step, so a bias starting at zero needs many epochs to express popularity
   * spanning 0-170 citations; from the counts' logarithm the loss only learns the correction, but the vectors
   * then learn to rank more slowly. A single training uses what it is given; the searches on validation
   * (`searchOnValidation`, so `train --graph` and `eval --graph`) try both starts and keep the better one.
   */
  biasInit?: "zero" | "log-degree";
  /** One vector per node for both roles (the symmetric factor baseline): s_u = t_u, so score is symmetric. */
  tied?: boolean;
  /**
   * "fused" (default): one pass per edge with the source's gradient kept in registers-to-be, one exp per
   * pair, uniform negatives without a search, buffers reused across epochs. "reference": the plain loops
   * the fused kernel is checked against (tests, and the baseline of `npm run bench -- directed`).
   */
  kernel?: "fused" | "reference";
  /**
   * Consecutive training edges (in source order) that share one draw of negatives (default 1: each edge its
   * own). Their rows then stay in cache across the block (see TermSettings.negativeBlock); fused kernel only.
   * Not the default: at a million edges blocks of 64 halve the edge terms' CPU time (12 s to 5.5 s), but on
   * a 100,000-edge follow graph the loss fell more slowly per epoch (4.03 after 15 epochs against 2.99 with
   * a draw per edge, learning rate 0.1), as each node then meets far fewer negatives an epoch.
   */
  negativeBlock?: number;
  /**
   * Train in mini-batches (many sparse Adam steps per pass over the edges, the layers' neighbourhood terms
   * refreshed on a schedule; `minibatch.ts`) instead of one full-batch step per epoch; an epoch is then one
   * pass over the edges. Absent: full-batch.
   */
  miniBatch?: MiniBatchSettings;
  seed?: number;
  /** Called after every epoch with the mean loss; return false to stop early. */
  onEpoch?: (epoch: number, loss: number, embeddings: () => DirectedEmbeddings) => boolean | undefined;
  /** Mini-batch only: called after every batch; return false to stop at once (a time budget). */
  onBatch?: () => boolean | undefined;
}

const defaults = {
  dim: 64,
  layers: 2,
  epochs: 150,
  learningRate: 0.02,
  l2: 1e-4,
  negatives: 5,
  reverseWeight: 1,
  seed: 1,
};

/**
 * BLADE-style directed node embeddings (Virinchi & Saladi, WSDM 2023; methods.md section 4): each node has
 * a free source vector S0 and target vector T0; layer l sets S^l = A_out T^{l-1} (a node's source side reads
 * its sampled out-neighbours' target vectors) and T^l = A_in S^{l-1} (its target side reads its in-neighbours'
 * source vectors); the final vectors are the mean over layers 0..L. Layers are linear (no weight matrices or
 * ReLU, as in LightGCN): the graph is non-attributed, so the free vectors already carry all the capacity, and
 * a linear stack trains full-batch with an exact, cheap backward pass (the transposed aggregation).
 *
 * Loss per training edge u -> v (weight c = log2(1 + w)):
 *   -log sig(s_u.t_v) - sum_n log sig(-s_u.t_n) - gamma [v -> u not an edge] log sig(-s_v.t_u),
 * the last term being the asymmetric, reversed-edge negative. Optimised full-batch with Adam, deterministic for
 * a seed. Plain TypeScript loops over typed arrays: an epoch is a few sparse products and one pass over the
 * edges, memory-bound rather than compute-bound, so a WebAssembly kernel would buy little here.
 */
export function trainDirectedEmbeddings(
  g: DirectedGraph,
  options: DirectedTrainOptions = {},
): DirectedEmbeddings {
  const dim = options.dim ?? defaults.dim;
  const layers = options.layers ?? defaults.layers;
  const epochs = options.epochs ?? defaults.epochs;
  const lr = options.learningRate ?? defaults.learningRate;
  const l2 = options.l2 ?? defaults.l2;
  const negatives = options.negatives ?? defaults.negatives;
  const gamma = options.tied ? 0 : (options.reverseWeight ?? defaults.reverseWeight);
  const useBias = !options.tied && (options.targetBias ?? true);
  const useSourceBias = !options.tied && (options.sourceBias ?? false);
  const random = new Random(options.seed ?? defaults.seed);
  const n = g.nodeCount;
  const size = n * dim;

  const s0 = new Float32Array(size);
  const t0 = options.tied ? s0 : new Float32Array(size);
  for (let i = 0; i < size; i++) s0[i] = 0.1 * random.normal();
  if (!options.tied) for (let i = 0; i < size; i++) t0[i] = 0.1 * random.normal();

  const sampling = options.sampling ?? { mode: "biased" };
  const aOut = layers > 0 ? sampleNeighbourhoods(g, "out", sampling, random) : null;
  const aIn = layers > 0 ? sampleNeighbourhoods(g, "in", sampling, random) : null;

  // Training edges, their loss weights, and whether each one's reverse is a (known) edge.
  const edgeU = new Int32Array(g.edgeCount);
  const edgeV = g.outTargets;
  const edgeC = new Float32Array(g.edgeCount);
  const reverseFree = new Uint8Array(g.edgeCount);
  let cTotal = 0;
  for (let u = 0; u < n; u++)
    for (let k = g.outOffsets[u]; k < g.outOffsets[u + 1]; k++) {
      edgeU[k] = u;
      edgeC[k] = Math.log2(1 + Math.max(0, g.outWeights[k]));
      cTotal += edgeC[k];
      reverseFree[k] = hasEdge(g, edgeV[k], u) ? 0 : 1;
    }
  const power = options.negativePower ?? 0;
  const negativeCdf = cumulative(n, (v) => (g.inOffsets[v + 1] - g.inOffsets[v] + 1) ** power);

  const forward = new Forward(n, dim, layers, aOut, aIn);
  const bias: Biases = { source: new Float32Array(n), target: new Float32Array(n) };
  if (options.biasInit === "log-degree") {
    if (useBias) logDegreeInto(bias.target, g.inOffsets);
    if (useSourceBias) logDegreeInto(bias.source, g.outOffsets);
  }
  const snapshot = (): DirectedEmbeddings => ({
    nodeCount: n,
    dim,
    source: forward.s.slice(),
    target: forward.t.slice(),
    targetBias: bias.target.slice(),
    ...(useSourceBias ? { sourceBias: bias.source.slice() } : {}),
  });
  const kernel = options.kernel ?? "fused";
  const edges: EdgeTerms = { u: edgeU, v: edgeV, c: edgeC, reverseFree, cTotal };
  const terms: TermSettings = { dim, negatives, gamma, negativeBlock: options.negativeBlock ?? 1 };
  const uniform = power === 0;
  const draw = uniform ? () => Math.floor(random.next() * n) : () => drawFromCdf(negativeCdf, random);

  if (options.miniBatch) {
    const settings = options.miniBatch;
    const model = {
      n,
      dim,
      layers,
      s0,
      t0,
      tied: options.tied ?? false,
      bias,
      useBias,
      useSourceBias,
      forward,
    };
    const trainer = new MiniBatchTrainer(
      model,
      edges,
      terms,
      Math.max(1, Math.floor(settings.batchSize)),
      // Frozen terms do not depend on the free vectors, so no gradient goes back through them.
      isFrozen(settings) ? 0 : (settings.hops ?? 0),
    );
    const order = Int32Array.from({ length: g.edgeCount }, (_, k) => k);
    // Frozen propagation: s and t are kept current by the trainer (S0's share moves, the neighbourhood terms
    // of the initial vectors stay), and a forward pass from the trained S0 would replace those terms.
    const frozen = isFrozen(settings);
    if (frozen && settings.freeStart === "zero") {
      trainer.refresh();
      const inv = 1 / (layers + 1);
      for (let i = 0; i < size; i++) {
        forward.s[i] -= inv * s0[i];
        forward.t[i] -= inv * t0[i];
        s0[i] = 0;
        t0[i] = 0;
      }
    }
    const upToDate = () => {
      if (!frozen) forward.run(s0, t0);
      else if (trainer.refreshes === 0) trainer.refresh();
    };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const pass = miniBatchPass(
        trainer,
        g.edgeCount,
        settings,
        order,
        random,
        draw,
        lr,
        l2,
        options.onBatch,
      );
      if (pass.stopped) break;
      if (options.onEpoch) {
        // The next pass starts with a refresh, so running the forward pass here changes nothing after.
        const current = () => {
          upToDate();
          return snapshot();
        };
        if (options.onEpoch(epoch, pass.loss, current) === false) break;
      }
    }
    upToDate();
    return snapshot();
  }

  const gS = new Float32Array(size);
  const gT = new Float32Array(size);
  const adamS = new Adam(size);
  const adamT = options.tied ? adamS : new Adam(size);
  const gradS0 = new Float32Array(size);
  const gradT0 = new Float32Array(size);
  const gBias: Biases = { source: new Float32Array(n), target: new Float32Array(n) };
  const adamBias = new Adam(n);
  const adamSourceBias = new Adam(n);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    forward.run(s0, t0);
    const { s, t } = forward;
    gS.fill(0);
    gT.fill(0);
    gBias.source.fill(0);
    gBias.target.fill(0);
    const loss =
      kernel === "fused"
        ? edgeTermsFused(edges, s, t, bias, gS, gT, gBias, terms, draw)
        : edgeTermsReference(edges, s, t, bias, gS, gT, gBias, terms, () => drawFromCdf(negativeCdf, random));
    if (kernel === "fused") forward.backward(gS, gT, gradS0, gradT0);
    else forward.backwardReference(gS, gT, gradS0, gradT0);
    if (options.tied) {
      for (let i = 0; i < size; i++) gradS0[i] += gradT0[i] + l2 * s0[i];
      adamS.step(s0, gradS0, lr);
    } else {
      for (let i = 0; i < size; i++) {
        gradS0[i] += l2 * s0[i];
        gradT0[i] += l2 * t0[i];
      }
      adamS.step(s0, gradS0, lr);
      adamT.step(t0, gradT0, lr);
      if (useBias) adamBias.step(bias.target, gBias.target, lr);
      if (useSourceBias) adamSourceBias.step(bias.source, gBias.source, lr);
    }
    if (options.onEpoch) {
      let ran = false;
      const current = () => {
        if (!ran) forward.run(s0, t0);
        ran = true;
        return snapshot();
      };
      if (options.onEpoch(epoch, loss, current) === false) break;
    }
  }
  forward.run(s0, t0);
  return snapshot();
}

/** The training edges as the loss reads them: u -> v with loss weight c, and whether v -> u is not an edge. */
export interface EdgeTerms {
  u: Int32Array;
  v: Int32Array;
  c: Float32Array;
  reverseFree: Uint8Array;
  /** Sum of c: every term is divided by it, so the loss is a weighted mean over edges. */
  cTotal: number;
}

/** What the edge terms need besides the vectors: dimension, negatives per edge, reversed-edge weight. */
export interface TermSettings {
  dim: number;
  negatives: number;
  gamma: number;
  /**
   * Consecutive edges sharing one draw of negatives (edgeTermsFused only; default 1, a draw per edge). Each
   * edge still meets `negatives` uniform draws, so the loss's expectation is unchanged; sharing them makes
   * their rows of t and of gT stay in cache across the block instead of being fetched at random per pair.
   */
  negativeBlock?: number;
}

/**
 * The loss over every edge (positive, `negatives` drawn negatives, the reversed edge) and its gradient with
 * respect to the final vectors s, t and the source and target biases, added into gS, gT, gBias: the plain
 * loops, one helper per pair. `draw` gives the next negative; a draw equal to u or v is skipped (and still
 * consumed).
 */
export function edgeTermsReference(
  e: EdgeTerms,
  s: Float32Array,
  t: Float32Array,
  bias: Biases,
  gS: Float32Array,
  gT: Float32Array,
  gBias: Biases,
  { dim, negatives, gamma }: TermSettings,
  draw: () => number,
): number {
  let loss = 0;
  const scale = 1 / Math.max(e.cTotal, 1e-12);
  const score = (a: number, b: number) => bias.source[a] + dot(s, a, t, b, dim) + bias.target[b];
  /** The gradient g of a term in score(a -> b), into every parameter the score reads. */
  const grad = (a: number, b: number, g: number) => {
    pairGradient(s, t, gS, gT, a, b, dim, g);
    gBias.source[a] += g;
    gBias.target[b] += g;
  };
  for (let k = 0; k < e.u.length; k++) {
    const c = e.c[k] * scale;
    if (c === 0) continue;
    const u = e.u[k];
    const v = e.v[k];
    const xPos = score(u, v);
    loss -= c * logSigmoid(xPos);
    grad(u, v, c * (sigmoid(xPos) - 1));
    for (let j = 0; j < negatives; j++) {
      const neg = draw();
      if (neg === v || neg === u) continue;
      const x = score(u, neg);
      loss -= c * logSigmoid(-x);
      grad(u, neg, c * sigmoid(x));
    }
    if (gamma > 0 && e.reverseFree[k]) {
      const x = score(v, u);
      loss -= c * gamma * logSigmoid(-x);
      grad(v, u, c * gamma * sigmoid(x));
    }
  }
  return loss;
}

/**
 * edgeTermsReference's loss and gradient, computed faster: the edges of one source are consecutive (CSR
 * order), so u's row of s is read into a local copy once per source and its gradient summed there and added
 * once; each pair costs one exp (sigmoid and log-sigmoid share it) and one fused pass over the dimensions.
 */
export function edgeTermsFused(
  e: EdgeTerms,
  s: Float32Array,
  t: Float32Array,
  bias: Biases,
  gS: Float32Array,
  gT: Float32Array,
  gBias: Biases,
  { dim, negatives, gamma, negativeBlock = 1 }: TermSettings,
  draw: () => number,
): number {
  let loss = 0;
  const scale = 1 / Math.max(e.cTotal, 1e-12);
  const { source: a, target: b } = bias;
  const shared = negativeBlock > 1;
  // With shared negatives: the block's draws, their rows of t (t is constant during the pass, so the copy is
  // exact) and their gradient, summed here and added to gT once per block.
  const pool = new Int32Array(negatives);
  const poolT = new Float64Array(shared ? negatives * dim : 0);
  const poolG = new Float64Array(shared ? negatives * dim : 0);
  let blockEnd = 0;
  const flushPool = () => {
    for (let j = 0; j < negatives; j++) {
      const ow = pool[j] * dim;
      const oj = j * dim;
      for (let d = 0; d < dim; d++) gT[ow + d] += poolG[oj + d];
    }
  };
  const su = new Float64Array(dim);
  const gu = new Float64Array(dim);
  let current = -1;
  let gau = 0;
  const flush = () => {
    if (current < 0) return;
    const o = current * dim;
    for (let d = 0; d < dim; d++) gS[o + d] += gu[d];
    gBias.source[current] += gau;
  };
  /** Adds coefficient * t_w to u's gradient and coefficient * s_u to t_w's. */
  const pair = (w: number, coefficient: number) => {
    const ow = w * dim;
    for (let d = 0; d < dim; d++) {
      gu[d] += coefficient * t[ow + d];
      gT[ow + d] += coefficient * su[d];
    }
  };
  let au = 0;
  const score = (w: number) => {
    const ow = w * dim;
    let x = au + b[w];
    for (let d = 0; d < dim; d++) x += su[d] * t[ow + d];
    return x;
  };
  for (let k = 0; k < e.u.length; k++) {
    const c = e.c[k] * scale;
    if (c === 0) continue;
    const u = e.u[k];
    const v = e.v[k];
    if (u !== current) {
      flush();
      current = u;
      au = a[u];
      gau = 0;
      const o = u * dim;
      for (let d = 0; d < dim; d++) {
        su[d] = s[o + d];
        gu[d] = 0;
      }
    }
    // Positive: -log sig(x), gradient (sig(x) - 1) = -sig(-x).
    const xPos = score(v);
    const ePos = Math.exp(-Math.abs(xPos));
    loss += c * (Math.log1p(ePos) + (xPos < 0 ? -xPos : 0));
    const gPos = -c * (xPos >= 0 ? ePos / (1 + ePos) : 1 / (1 + ePos));
    pair(v, gPos);
    gBias.target[v] += gPos;
    gau += gPos;
    if (shared) {
      if (k >= blockEnd) {
        if (blockEnd > 0) flushPool();
        blockEnd = k + negativeBlock;
        for (let j = 0; j < negatives; j++) {
          const w = draw();
          pool[j] = w;
          const ow = w * dim;
          const oj = j * dim;
          for (let d = 0; d < dim; d++) {
            poolT[oj + d] = t[ow + d];
            poolG[oj + d] = 0;
          }
        }
      }
      for (let j = 0; j < negatives; j++) {
        const neg = pool[j];
        if (neg === v || neg === u) continue;
        const oj = j * dim;
        let x = au + b[neg];
        for (let d = 0; d < dim; d++) x += su[d] * poolT[oj + d];
        const ex = Math.exp(-Math.abs(x));
        loss += c * (Math.log1p(ex) + (x > 0 ? x : 0));
        const g = c * (x >= 0 ? 1 / (1 + ex) : ex / (1 + ex));
        for (let d = 0; d < dim; d++) {
          gu[d] += g * poolT[oj + d];
          poolG[oj + d] += g * su[d];
        }
        gBias.target[neg] += g;
        gau += g;
      }
    } else {
      for (let j = 0; j < negatives; j++) {
        const neg = draw();
        if (neg === v || neg === u) continue;
        // Negative: -log sig(-x), gradient sig(x).
        const x = score(neg);
        const ex = Math.exp(-Math.abs(x));
        loss += c * (Math.log1p(ex) + (x > 0 ? x : 0));
        const g = c * (x >= 0 ? 1 / (1 + ex) : ex / (1 + ex));
        pair(neg, g);
        gBias.target[neg] += g;
        gau += g;
      }
    }
    if (gamma > 0 && e.reverseFree[k]) {
      // The reversed edge v -> u reads s_v and t_u: not u's row, so it goes straight to the arrays.
      const x = a[v] + dot(s, v, t, u, dim) + b[u];
      const ex = Math.exp(-Math.abs(x));
      loss += c * gamma * (Math.log1p(ex) + (x > 0 ? x : 0));
      const g = c * gamma * (x >= 0 ? 1 / (1 + ex) : ex / (1 + ex));
      pairGradient(s, t, gS, gT, v, u, dim, g);
      gBias.source[v] += g;
      gBias.target[u] += g;
    }
  }
  flush();
  if (shared && blockEnd > 0) flushPool();
  return loss;
}

/** The layer stack's forward pass (keeping what backward needs) and its exact backward pass. */
export class Forward {
  readonly s: Float32Array;
  readonly t: Float32Array;
  private readonly sLayers: Float32Array[];
  private readonly tLayers: Float32Array[];
  private readonly scratch: Float32Array;
  private back: Float32Array[] | undefined;

  constructor(
    n: number,
    private readonly dim: number,
    private readonly layers: number,
    readonly aOut: SampledNeighbourhoods | null,
    readonly aIn: SampledNeighbourhoods | null,
  ) {
    this.s = new Float32Array(n * dim);
    this.t = new Float32Array(n * dim);
    this.sLayers = Array.from({ length: layers + 1 }, () => new Float32Array(n * dim));
    this.tLayers = Array.from({ length: layers + 1 }, () => new Float32Array(n * dim));
    this.scratch = new Float32Array(n * dim);
  }

  run(s0: Float32Array, t0: Float32Array): void {
    this.sLayers[0].set(s0);
    this.tLayers[0].set(t0);
    for (let l = 1; l <= this.layers; l++) {
      aggregate(this.aOut!, this.tLayers[l - 1], this.dim, this.sLayers[l]);
      aggregate(this.aIn!, this.sLayers[l - 1], this.dim, this.tLayers[l]);
    }
    const inv = 1 / (this.layers + 1);
    this.s.fill(0);
    this.t.fill(0);
    for (let l = 0; l <= this.layers; l++) {
      const sl = this.sLayers[l];
      const tl = this.tLayers[l];
      for (let i = 0; i < sl.length; i++) {
        this.s[i] += inv * sl[i];
        this.t[i] += inv * tl[i];
      }
    }
  }

  /**
   * Gradients of the layer-0 vectors from those of the final ones: with dS^l, dT^l the total gradients of
   * layer l, dS^L = gS/(L+1), and going down dS^l = gS/(L+1) + A_in^T dT^{l+1}, dT^l = gT/(L+1) + A_out^T dS^{l+1}.
   * Into buffers kept across epochs (at 400k nodes x 64 dims each is 100 MB, so allocating four per layer
   * each epoch was a large share of an epoch).
   */
  backward(gS: Float32Array, gT: Float32Array, outS0: Float32Array, outT0: Float32Array): void {
    const inv = 1 / (this.layers + 1);
    if (this.layers === 0) {
      for (let i = 0; i < gS.length; i++) {
        outS0[i] = inv * gS[i];
        outT0[i] = inv * gT[i];
      }
      return;
    }
    this.back ??= Array.from({ length: 4 }, () => new Float32Array(gS.length));
    let [dS, dT, nextS, nextT] = this.back;
    for (let i = 0; i < gS.length; i++) {
      dS[i] = inv * gS[i];
      dT[i] = inv * gT[i];
    }
    for (let l = this.layers - 1; l >= 0; l--) {
      // The last step writes straight into the outputs.
      const toS = l === 0 ? outS0 : nextS;
      const toT = l === 0 ? outT0 : nextT;
      aggregateTransposed(this.aIn!, dT, this.dim, toS);
      aggregateTransposed(this.aOut!, dS, this.dim, toT);
      for (let i = 0; i < toS.length; i++) {
        toS[i] += inv * gS[i];
        toT[i] += inv * gT[i];
      }
      [dS, nextS] = [nextS, dS];
      [dT, nextT] = [nextT, dT];
    }
  }

  /** backward as first written: fresh arrays per layer (the reference kernel's). */
  backwardReference(gS: Float32Array, gT: Float32Array, outS0: Float32Array, outT0: Float32Array): void {
    const inv = 1 / (this.layers + 1);
    let dS = new Float32Array(gS.length);
    let dT = new Float32Array(gT.length);
    for (let i = 0; i < gS.length; i++) {
      dS[i] = inv * gS[i];
      dT[i] = inv * gT[i];
    }
    for (let l = this.layers - 1; l >= 0; l--) {
      const nextS = new Float32Array(gS.length);
      const nextT = new Float32Array(gT.length);
      aggregateTransposed(this.aIn!, dT, this.dim, this.scratch);
      for (let i = 0; i < nextS.length; i++) nextS[i] = inv * gS[i] + this.scratch[i];
      aggregateTransposed(this.aOut!, dS, this.dim, this.scratch);
      for (let i = 0; i < nextT.length; i++) nextT[i] = inv * gT[i] + this.scratch[i];
      dS = nextS;
      dT = nextT;
    }
    outS0.set(dS);
    outT0.set(dT);
  }
}

/** Adam (Kingma & Ba) over one flat parameter array. */
class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private steps = 0;

  constructor(size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  step(params: Float32Array, grad: Float32Array, lr: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    this.steps++;
    const c1 = 1 - b1 ** this.steps;
    const c2 = 1 - b2 ** this.steps;
    for (let i = 0; i < params.length; i++) {
      const gi = grad[i];
      this.m[i] = b1 * this.m[i] + (1 - b1) * gi;
      this.v[i] = b2 * this.v[i] + (1 - b2) * gi * gi;
      params[i] -= (lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + 1e-8);
    }
  }
}

export function dot(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let sum = 0;
  const oa = i * dim;
  const ob = j * dim;
  for (let d = 0; d < dim; d++) sum += a[oa + d] * b[ob + d];
  return sum;
}

/** Adds coefficient * t_v to gS[u] and coefficient * s_u to gT[v]: the gradient of a term f(s_u . t_v). */
function pairGradient(
  s: Float32Array,
  t: Float32Array,
  gS: Float32Array,
  gT: Float32Array,
  u: number,
  v: number,
  dim: number,
  coefficient: number,
): void {
  const ou = u * dim;
  const ov = v * dim;
  for (let d = 0; d < dim; d++) {
    gS[ou + d] += coefficient * t[ov + d];
    gT[ov + d] += coefficient * s[ou + d];
  }
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** log sig(x), stable for large |x|. */
function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** out[v] = log(1 + degree of v) from CSR offsets, minus its mean over the nodes. */
function logDegreeInto(out: Float32Array, offsets: Int32Array): void {
  let sum = 0;
  for (let v = 0; v < out.length; v++) {
    out[v] = Math.log1p(offsets[v + 1] - offsets[v]);
    sum += out[v];
  }
  const mean = sum / Math.max(1, out.length);
  for (let v = 0; v < out.length; v++) out[v] -= mean;
}

function cumulative(n: number, weight: (i: number) => number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += weight(i);
    cdf[i] = total;
  }
  for (let i = 0; i < n; i++) cdf[i] /= total;
  return cdf;
}

function drawFromCdf(cdf: Float64Array, random: Random): number {
  const x = random.next();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
