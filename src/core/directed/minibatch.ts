import type { Random } from "../random.js";
import { type Biases, type EdgeTerms, edgeTermsFused, type Forward, type TermSettings } from "./blade.js";

/**
 * Mini-batch training of the directed model: many Adam steps per pass over the edges, where full-batch
 * training takes one. Why: on a 400,000-node follow graph full-batch BLADE learned almost nothing in 40
 * epochs at any learning rate (validation HitRate@10 <= 0.007, README "What comes next"): each node's
 * vector moves about one learning rate per epoch, and a pass at a million edges costs 17 CPU seconds.
 *
 * How the layers are handled ("stale aggregation", refreshed on a schedule): the final vectors are
 * s = S0/(L+1) + N_s and t = T0/(L+1) + N_t, where N_s, N_t are what the layers bring from the sampled
 * neighbourhoods. N_s and N_t are computed by one full forward pass at each refresh (at the start of every
 * pass, and `refreshesPerPass - 1` more times within it) and held fixed in between; a batch's loss then moves
 * only the layer-0 rows it reads (its sources, targets, negatives and reversed pairs), through their direct
 * share 1/(L+1), with a sparse (lazy) Adam step on those rows only, and their rows of s and t follow at once
 * (`hops: 1` also sends the gradient one hop back into the neighbourhoods). The exact alternative,
 * propagating each batch through its two-hop sampled neighbourhoods (GraphSAGE-style), reads a large share of
 * the graph's rows per batch of a few thousand edges at fan-out 25 (`npm run bench -- directed-minibatch`
 * counts them), about an epoch's work per batch; the neighbours still shape every score through N_s and N_t,
 * which is what carries a low-degree node.
 */
export interface MiniBatchSettings {
  /** Edges per Adam step. */
  batchSize: number;
  /**
   * Full forward passes per pass over the edges that refresh the neighbourhood terms (default 1). 0: the
   * terms are computed once, from the initial random vectors, and never again ("frozen propagation"): the
   * model is then s = S0/(L+1) + N_s with N_s, N_t fixed random projections of the sampled neighbourhoods,
   * and the hops-0 gradient is exact for it. Why one would: on sparse follow graphs the untrained
   * propagation ranks better than any trained state (README, "What comes next"), and a refresh carries
   * the free vectors' memorised edges into every neighbour's terms; frozen, training can only add to it.
   * Frozen training ignores `hops` (its terms do not depend on the free vectors).
   */
  refreshesPerPass?: number;
  /**
   * With frozen propagation: where the free vectors S0, T0 start once the neighbourhood terms have been taken
   * from the random ones: "random" (default: they stay) or "zero", so training starts from the untrained
   * propagation alone, s = N_s, t = N_t, and the free vectors only learn corrections to it.
   */
  freeStart?: "random" | "zero";
  /**
   * How far a batch's gradient reaches into the layers: 0 (default), each row's direct share only; 1, also
   * one hop back through the sampled neighbourhoods (s_u reads its out-neighbours' T0 rows, t_v its
   * in-neighbours' S0 rows, each with weight a/(L+1)): the exact gradient but for the two-hop term. Not the
   * default: it cost three times the CPU per pass on a 100,000-edge follow graph and ranked worse on Cora's
   * seed-1 validation cut (README, "What comes next").
   */
  hops?: 0 | 1;
}

/** Adam over rows of a flat array, touching only the rows given (PyTorch's SparseAdam: lazy moments). */
export class SparseAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private steps = 0;
  private c1 = 1;
  private c2 = 1;

  constructor(rows: number, width: number) {
    this.m = new Float32Array(rows * width);
    this.v = new Float32Array(rows * width);
  }

  /** Starts a step: the bias corrections of every row updated in it use the same step count. */
  begin(): void {
    this.steps++;
    this.c1 = 1 - 0.9 ** this.steps;
    this.c2 = 1 - 0.999 ** this.steps;
  }

  /** The new value of entry i of params given its gradient (params itself is not written). */
  next(i: number, param: number, grad: number, lr: number): number {
    const m = 0.9 * this.m[i] + 0.1 * grad;
    const v = 0.999 * this.v[i] + 0.001 * grad * grad;
    this.m[i] = m;
    this.v[i] = v;
    return param - (lr * (m / this.c1)) / (Math.sqrt(v / this.c2) + 1e-8);
  }
}

/** What a mini-batch trainer works on: the model's parameters and the sampled layer stack. */
export interface MiniBatchModel {
  n: number;
  dim: number;
  layers: number;
  s0: Float32Array;
  t0: Float32Array;
  /** s0 and t0 are one array (the symmetric baseline). */
  tied: boolean;
  bias: Biases;
  useBias: boolean;
  useSourceBias: boolean;
  forward: Forward;
}

/**
 * One batch at a time: `gradient` fills the loss's gradient with respect to the final vectors of the rows
 * the batch reads (and lists those rows), `apply` takes the Adam step on the layer-0 rows and biases behind
 * them and brings their rows of s and t up to date. `refresh` recomputes every row from the layers.
 */
export class MiniBatchTrainer {
  readonly gS: Float32Array;
  readonly gT: Float32Array;
  readonly gBias: Biases;
  /** Gradient of the layer-0 rows S0, T0 (hops = 1: gS, gT's direct share plus what one hop brings back). */
  readonly g0S: Float32Array;
  readonly g0T: Float32Array;
  private readonly markS: Int32Array;
  private readonly markT: Int32Array;
  private listS: Int32Array;
  private listT: Int32Array;
  private countS = 0;
  private countT = 0;
  private stamp = 0;
  private readonly adamS: SparseAdam;
  private readonly adamT: SparseAdam;
  private readonly adamBias: SparseAdam;
  private readonly adamSourceBias: SparseAdam;
  private readonly batch: { u: Int32Array; v: Int32Array; c: Float32Array; reverseFree: Uint8Array };
  /** Forward passes run so far (a frozen schedule runs one). */
  refreshes = 0;

  constructor(
    private readonly model: MiniBatchModel,
    private readonly edges: EdgeTerms,
    private readonly terms: TermSettings,
    batchSize: number,
    hops: 0 | 1 = 0,
  ) {
    const { n, dim } = model;
    this.gS = new Float32Array(n * dim);
    this.gT = new Float32Array(n * dim);
    const propagates = hops === 1 && model.layers > 0 && !model.tied;
    this.g0S = propagates ? new Float32Array(n * dim) : this.gS;
    this.g0T = propagates ? new Float32Array(n * dim) : this.gT;
    this.gBias = { source: new Float32Array(n), target: new Float32Array(n) };
    this.markS = new Int32Array(n);
    this.markT = new Int32Array(n);
    this.listS = new Int32Array(2 * batchSize);
    this.listT = new Int32Array((terms.negatives + 2) * batchSize);
    this.adamS = new SparseAdam(n, dim);
    this.adamT = model.tied ? this.adamS : new SparseAdam(n, dim);
    this.adamBias = new SparseAdam(n, 1);
    this.adamSourceBias = new SparseAdam(n, 1);
    this.batch = {
      u: new Int32Array(batchSize),
      v: new Int32Array(batchSize),
      c: new Float32Array(batchSize),
      reverseFree: new Uint8Array(batchSize),
    };
  }

  /** Every row of s and t from the layers again (a full forward pass from the current S0, T0). */
  refresh(): void {
    this.model.forward.run(this.model.s0, this.model.t0);
    this.refreshes++;
  }

  /**
   * The batch's loss (a weighted mean over its edges, as the full-batch loss is over all) and its gradient
   * with respect to s, t and the biases, into gS, gT, gBias; the rows read are listed for `apply`. `edgeIds`
   * index the training edges; the batch is read in ascending order so a source's edges are consecutive.
   */
  gradient(edgeIds: Int32Array, draw: () => number): number {
    const { u, v, c, reverseFree } = this.batch;
    const m = edgeIds.length;
    if (m > u.length) throw new RangeError(`batch of ${m} edges: the trainer was made for ${u.length}`);
    this.stamp++;
    this.countS = 0;
    this.countT = 0;
    let cTotal = 0;
    for (let i = 0; i < m; i++) {
      const k = edgeIds[i];
      u[i] = this.edges.u[k];
      v[i] = this.edges.v[k];
      c[i] = this.edges.c[k];
      reverseFree[i] = this.edges.reverseFree[k];
      cTotal += c[i];
      this.touchS(u[i]);
      this.touchT(v[i]);
      if (this.terms.gamma > 0 && reverseFree[i]) {
        this.touchS(v[i]);
        this.touchT(u[i]);
      }
    }
    const recorded = () => {
      const w = draw();
      this.touchT(w);
      return w;
    };
    const batch: EdgeTerms = {
      u: u.subarray(0, m),
      v: v.subarray(0, m),
      c: c.subarray(0, m),
      reverseFree: reverseFree.subarray(0, m),
      cTotal,
    };
    const { forward, bias } = this.model;
    const loss = edgeTermsFused(
      batch,
      forward.s,
      forward.t,
      bias,
      this.gS,
      this.gT,
      this.gBias,
      this.terms,
      recorded,
    );
    if (this.g0S !== this.gS) this.propagate();
    return loss;
  }

  /**
   * Layer-0 gradients from the final ones: each touched row's direct share gS/(L+1), gT/(L+1), and one hop
   * back, T0_w += a_uw gS_u/(L+1) for w in u's sampled out-neighbourhood, S0_w += a_vw gT_v/(L+1) for w in
   * v's in-neighbourhood (the rows w reached join the touched lists). gS, gT are zeroed as they are read.
   */
  private propagate(): void {
    const { dim, layers, forward } = this.model;
    const inv = 1 / (layers + 1);
    const { gS, gT, g0S, g0T } = this;
    const aOut = forward.aOut!;
    const aIn = forward.aIn!;
    const sCount = this.countS;
    const tCount = this.countT;
    // Direct shares first (the rows reached below add to them).
    for (let j = 0; j < sCount; j++) {
      const o = this.listS[j] * dim;
      for (let d = 0; d < dim; d++) g0S[o + d] = inv * gS[o + d];
    }
    for (let j = 0; j < tCount; j++) {
      const o = this.listT[j] * dim;
      for (let d = 0; d < dim; d++) g0T[o + d] = inv * gT[o + d];
    }
    for (let j = 0; j < sCount; j++) {
      const u = this.listS[j];
      const o = u * dim;
      for (let k = aOut.offsets[u]; k < aOut.offsets[u + 1]; k++) {
        const w = aOut.nodes[k];
        if (this.markT[w] !== this.stamp) {
          this.touchT(w);
          g0T.fill(0, w * dim, (w + 1) * dim);
        }
        const a = inv * aOut.weights[k];
        const ow = w * dim;
        for (let d = 0; d < dim; d++) g0T[ow + d] += a * gS[o + d];
      }
      gS.fill(0, o, o + dim);
    }
    for (let j = 0; j < tCount; j++) {
      const v = this.listT[j];
      const o = v * dim;
      for (let k = aIn.offsets[v]; k < aIn.offsets[v + 1]; k++) {
        const w = aIn.nodes[k];
        if (this.markS[w] !== this.stamp) {
          this.touchS(w);
          g0S.fill(0, w * dim, (w + 1) * dim);
        }
        const a = inv * aIn.weights[k];
        const ow = w * dim;
        for (let d = 0; d < dim; d++) g0S[ow + d] += a * gT[o + d];
      }
      gT.fill(0, o, o + dim);
    }
  }

  /** The rows the last `gradient` read: source side (S0 rows) and target side (T0 rows). */
  touched(): { source: Int32Array; target: Int32Array } {
    return { source: this.listS.subarray(0, this.countS), target: this.listT.subarray(0, this.countT) };
  }

  /**
   * Adam on the layer-0 rows behind the last batch's gradient: row u of S0 gets gS_u / (L+1) (its direct share
   * in s_u) plus l2 * S0_u, and s_u moves by the same change / (L+1); the neighbourhood terms stay as they
   * were. Zeroes the gradient rows it used.
   */
  apply(lr: number, l2: number): void {
    const { dim, layers, s0, t0, tied, bias, useBias, useSourceBias, forward } = this.model;
    const inv = 1 / (layers + 1);
    // g0S, g0T hold the layer-0 gradient already when propagated; otherwise they are gS, gT (final vectors).
    const share = this.g0S === this.gS ? inv : 1;
    const { s, t } = forward;
    this.adamS.begin();
    if (!tied) this.adamT.begin();
    this.adamBias.begin();
    this.adamSourceBias.begin();
    if (tied) {
      // One vector per node: its gradient is the sum of both roles', and both rows of s and t follow it.
      this.stamp++;
      const rows = [this.listS.subarray(0, this.countS), this.listT.subarray(0, this.countT)];
      for (const list of rows)
        for (const r of list) {
          if (this.markS[r] === this.stamp) continue;
          this.markS[r] = this.stamp;
          const o = r * dim;
          for (let d = 0; d < dim; d++) {
            const i = o + d;
            const g = inv * (this.gS[i] + this.gT[i]) + l2 * s0[i];
            const next = this.adamS.next(i, s0[i], g, lr);
            const change = inv * (next - s0[i]);
            s0[i] = next;
            s[i] += change;
            t[i] += change;
            this.gS[i] = 0;
            this.gT[i] = 0;
          }
          this.gBias.source[r] = 0;
          this.gBias.target[r] = 0;
        }
      return;
    }
    for (let j = 0; j < this.countS; j++) {
      const r = this.listS[j];
      const o = r * dim;
      for (let d = 0; d < dim; d++) {
        const i = o + d;
        const next = this.adamS.next(i, s0[i], share * this.g0S[i] + l2 * s0[i], lr);
        s[i] += inv * (next - s0[i]);
        s0[i] = next;
        this.g0S[i] = 0;
      }
      if (useSourceBias)
        bias.source[r] = this.adamSourceBias.next(r, bias.source[r], this.gBias.source[r], lr);
      this.gBias.source[r] = 0;
    }
    for (let j = 0; j < this.countT; j++) {
      const r = this.listT[j];
      const o = r * dim;
      for (let d = 0; d < dim; d++) {
        const i = o + d;
        const next = this.adamT.next(i, t0[i], share * this.g0T[i] + l2 * t0[i], lr);
        t[i] += inv * (next - t0[i]);
        t0[i] = next;
        this.g0T[i] = 0;
      }
      if (useBias) bias.target[r] = this.adamBias.next(r, bias.target[r], this.gBias.target[r], lr);
      this.gBias.target[r] = 0;
    }
  }

  private touchS(r: number): void {
    if (this.markS[r] === this.stamp) return;
    this.markS[r] = this.stamp;
    if (this.countS === this.listS.length) this.listS = grow(this.listS);
    this.listS[this.countS++] = r;
  }

  private touchT(r: number): void {
    if (this.markT[r] === this.stamp) return;
    this.markT[r] = this.stamp;
    if (this.countT === this.listT.length) this.listT = grow(this.listT);
    this.listT[this.countT++] = r;
  }
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(2 * a.length);
  b.set(a);
  return b;
}

/**
 * One pass over the training edges in batches (a seeded shuffle per pass, each batch read in ascending edge
 * order), refreshing the neighbourhood terms `refreshesPerPass` times, the first before the first batch, so
 * a pass starts from the same state whether or not anything (a validation check) ran the forward pass in
 * between. Returns the mean batch loss; stops early when `onBatch` returns false.
 */
export function miniBatchPass(
  trainer: MiniBatchTrainer,
  edgeCount: number,
  settings: MiniBatchSettings,
  order: Int32Array,
  random: Random,
  draw: () => number,
  lr: number,
  l2: number,
  onBatch?: () => boolean | undefined,
): { loss: number; stopped: boolean } {
  for (let i = edgeCount - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const x = order[i];
    order[i] = order[j];
    order[j] = x;
  }
  const size = Math.max(1, Math.floor(settings.batchSize));
  const batches = Math.ceil(edgeCount / size);
  const frozen = isFrozen(settings);
  if (frozen && trainer.refreshes === 0) trainer.refresh();
  // A frozen schedule never refreshes again: nextRefresh stays out of reach.
  const refreshes = frozen ? 0 : Math.max(1, Math.min(batches, Math.floor(settings.refreshesPerPass ?? 1)));
  let nextRefresh = frozen ? -1 : 0;
  let refreshed = 0;
  let loss = 0;
  const ids = new Int32Array(size);
  for (let b = 0; b < batches; b++) {
    if (b === nextRefresh) {
      trainer.refresh();
      refreshed++;
      nextRefresh = Math.floor((refreshed * batches) / refreshes);
    }
    const slice = order.subarray(b * size, Math.min(edgeCount, (b + 1) * size));
    const batch = ids.subarray(0, slice.length);
    batch.set(slice);
    batch.sort();
    loss += trainer.gradient(batch, draw);
    trainer.apply(lr, l2);
    if (onBatch && onBatch() === false) return { loss: loss / (b + 1), stopped: true };
  }
  return { loss: loss / Math.max(1, batches), stopped: false };
}

/** refreshesPerPass 0: the neighbourhood terms stay those of the initial vectors (MiniBatchSettings). */
export function isFrozen(settings: MiniBatchSettings): boolean {
  return settings.refreshesPerPass !== undefined && Math.floor(settings.refreshesPerPass) === 0;
}
