import { topK } from "../metrics/ranking.js";
import { cooccurrenceRow, itemColumns, type PositiveRows, positiveCounts } from "./positives.js";
import { invertSymmetricPositiveDefinite } from "./symmetric-inverse.js";

/**
 * An item-item top-N model: score(u, i) = Σ_{j liked by u} W[j][i]. Stored by source item j (CSR): the
 * targets i that j adds to and by how much, so scoring a user touches only the rows of their own items.
 */
export interface ItemItemWeights {
  nItems: number;
  rowPtr: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

/** Scores every item for a user's liked items into `out` (length nItems; overwritten). */
export function scoreItemItem(
  model: ItemItemWeights,
  liked: ArrayLike<number>,
  out: Float32Array = new Float32Array(model.nItems),
): Float32Array {
  out.fill(0);
  const { rowPtr, targets, weights } = model;
  for (let x = 0; x < liked.length; x++) {
    const j = liked[x];
    for (let y = rowPtr[j]; y < rowPtr[j + 1]; y++) out[targets[y]] += weights[y];
  }
  return out;
}

/**
 * Catalogues above this many liked items get no EASE (item-kNN and WARP take over): B is dense, items x
 * items entries of 8 bytes (target and weight), 200 MB at 5,000; and the direct inverse, used when there
 * are more users than items, costs n³/2 multiply-adds (about 7 s at 2,000 items on this machine).
 */
export const defaultEaseMaxItems = 5000;

export type EaseProgress = (done: number, total: number) => void;

/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): the item-item matrix B
 * minimising ‖X − XB‖² + λ‖B‖² with diag(B) = 0, in closed form: P = (XᵀX + λI)⁻¹, B[j][i] = −P[j][i] /
 * P[i][i] (i ≠ j). Only items with at least one positive take part (an item nobody liked has a zero column
 * in X, so its row and column of B are zero anyway), and only users with one.
 *
 * With fewer users m than items n, P comes from the Woodbury identity instead of an n x n inverse (see
 * easeDual): an m x m inverse plus sums over the liked cells (m³/2 + nnz·n instead of n³/2): the demo
 * world (300 users, 2,000 songs) then takes well under a second instead of ~10 s.
 */
export function trainEase(rows: PositiveRows, lambda: number, onProgress?: EaseProgress): ItemItemWeights {
  return trainLinearAutoencoder(rows, { lambda, dropout: 0, variant: "edlae" }, onProgress);
}

/** λ, the dropout probability p and the variant of trainLinearAutoencoder. */
export interface LinearAutoencoderSettings {
  lambda: number;
  dropout: number;
  variant: "dlae" | "edlae";
}

/**
 * The denoising linear autoencoders of Steck, "Autoencoders that don't overfit towards the Identity"
 * (NeurIPS 2020). Dropout with probability p on the input is, in expectation, the L2 penalty
 * Λ = p/(1 − p)·diag(G) + λI with G = XᵀX: popular items are regularised more, which keeps the model from
 * learning the identity without the hard zero diagonal alone. With P = (G + Λ)⁻¹:
 * - "dlae": B = (G + Λ)⁻¹G = I − PΛ, so B[j][i] = −P[j][i]·Λ[i] for i ≠ j (the diagonal, which only ever
 *   scores items the user already has, is left out: those are never recommended);
 * - "edlae" (full emphasis on the dropped-out items, with diag(B) = 0): B[j][i] = −P[j][i] / P[i][i].
 * EASE is "edlae" with p = 0. p must be in [0, 1).
 */
export function trainLinearAutoencoder(
  rows: PositiveRows,
  settings: LinearAutoencoderSettings,
  onProgress?: EaseProgress,
): ItemItemWeights {
  const { lambda, dropout, variant } = settings;
  if (!(lambda > 0)) throw new RangeError(`EASE's λ must be positive, got ${lambda}`);
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`dropout must be in [0, 1), got ${dropout}`);
  const counts = positiveCounts(rows);
  const active: number[] = [];
  for (let i = 0; i < rows.nItems; i++) if (counts[i] > 0) active.push(i);
  const users: number[] = [];
  for (let u = 0; u < rows.nUsers; u++) if (rows.rowPtr[u + 1] > rows.rowPtr[u]) users.push(u);
  const n = active.length;
  // Λ over active positions: G's diagonal is each item's count of users (X is binary).
  const penalty = Float64Array.from(active, (i) => lambda + (dropout / (1 - dropout)) * counts[i]);
  const write = easeWriter(rows.nItems, active, variant, penalty);
  if (users.length < n) easeDual(rows, active, users, penalty, write, onProgress);
  else easePrimal(rows, active, penalty, write, onProgress);
  return write.weights;
}

/** Where B's rows go: row a (an active item) gets −P[a][b]·scale[b] for every other active b. */
interface EaseWriter {
  weights: ItemItemWeights;
  /** Writes row a of B from row a of P and P's diagonal (both over active positions). */
  row(a: number, pRow: Float64Array, pDiag: Float64Array): void;
}

function easeWriter(
  nItems: number,
  active: number[],
  variant: LinearAutoencoderSettings["variant"],
  penalty: Float64Array,
): EaseWriter {
  const n = active.length;
  const rowPtr = new Int32Array(nItems + 1);
  for (let a = 0; a < n; a++) rowPtr[active[a] + 1] = n - 1;
  for (let i = 0; i < nItems; i++) rowPtr[i + 1] += rowPtr[i];
  const targets = new Int32Array(n * Math.max(0, n - 1));
  const weights = new Float32Array(targets.length);
  return {
    weights: { nItems, rowPtr, targets, weights },
    row(a, pRow, pDiag) {
      let at = rowPtr[active[a]];
      for (let b = 0; b < n; b++) {
        if (b === a) continue;
        targets[at] = active[b];
        weights[at] = variant === "dlae" ? -pRow[b] * penalty[b] : -pRow[b] / pDiag[b];
        at++;
      }
    },
  };
}

/** P = (XᵀX + Λ)⁻¹ directly: n³/2 for n active items. */
function easePrimal(
  rows: PositiveRows,
  active: number[],
  penalty: Float64Array,
  write: EaseWriter,
  onProgress?: EaseProgress,
): void {
  const n = active.length;
  const columns = itemColumns(rows);
  const g = new Float64Array(n * n);
  const scratch = new Float64Array(rows.nItems);
  for (let a = 0; a < n; a++) {
    cooccurrenceRow(rows, columns, active[a], scratch);
    for (let b = 0; b < n; b++) g[a * n + b] = scratch[active[b]];
    g[a * n + a] += penalty[a];
    scratch.fill(0);
  }
  const p = invertSymmetricPositiveDefinite(g, n, onProgress);
  const diag = Float64Array.from({ length: n }, (_, a) => p[a * n + a]);
  for (let a = 0; a < n; a++) write.row(a, p.subarray(a * n, (a + 1) * n), diag);
}

/**
 * P = (XᵀX + Λ)⁻¹ by Woodbury over the m users with a positive, D = Λ⁻¹ (diagonal):
 * P = D − D·Xᵀ·K·X·D with K = (I + X·D·Xᵀ)⁻¹ (m x m), so P[a][b] = d_a·δ_ab − d_a·d_b·(XᵀKX)[a][b].
 * With Λ = λI this is (I − XᵀK'X)/λ, K' = (XXᵀ + λI)⁻¹.
 */
function easeDual(
  rows: PositiveRows,
  active: number[],
  users: number[],
  penalty: Float64Array,
  write: EaseWriter,
  onProgress?: EaseProgress,
): void {
  const n = active.length;
  const m = users.length;
  const d = Float64Array.from(penalty, (l) => 1 / l);
  const userAt = new Int32Array(rows.nUsers).fill(-1);
  users.forEach((u, v) => {
    userAt[u] = v;
  });
  // Each active item's users, as dense user positions.
  const columns = itemColumns(rows);
  const usersOf = (a: number) =>
    columns.users.subarray(columns.colPtr[active[a]], columns.colPtr[active[a] + 1]);
  // K0 = I + XDXᵀ (m x m): K0[v][w] = Σ of d over the items both liked.
  const k = new Float64Array(m * m);
  for (let a = 0; a < n; a++) {
    const us = usersOf(a);
    const da = d[a];
    for (let x = 0; x < us.length; x++) {
      const row = userAt[us[x]] * m;
      for (let y = 0; y < us.length; y++) k[row + userAt[us[y]]] += da;
    }
  }
  for (let v = 0; v < m; v++) k[v * m + v] += 1;
  invertSymmetricPositiveDefinite(k, m, onProgress);
  // KXᵀ by item (n x m): row a = Σ of K's rows over the users who liked a (K is symmetric).
  const kx = new Float64Array(n * m);
  for (let a = 0; a < n; a++) {
    const us = usersOf(a);
    const out = a * m;
    for (let x = 0; x < us.length; x++) {
      const row = userAt[us[x]] * m;
      for (let v = 0; v < m; v++) kx[out + v] += k[row + v];
    }
  }
  // diag(P)[a] = d_a − d_a²·x_aᵀ K x_a.
  const diag = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const us = usersOf(a);
    let s = 0;
    for (let x = 0; x < us.length; x++) s += kx[a * m + userAt[us[x]]];
    diag[a] = d[a] - d[a] * d[a] * s;
  }
  // Row a of P: d_a·δ_ab − d_a·d_b·Σ_{w liked a} (KX)[w][b], summing contiguous rows of KX (m x n).
  const kxByUser = new Float64Array(m * n);
  for (let a = 0; a < n; a++) for (let v = 0; v < m; v++) kxByUser[v * n + a] = kx[a * m + v];
  const pRow = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    pRow.fill(0);
    const us = usersOf(a);
    for (let x = 0; x < us.length; x++) {
      const row = userAt[us[x]] * n;
      for (let b = 0; b < n; b++) pRow[b] += kxByUser[row + b];
    }
    for (let b = 0; b < n; b++) pRow[b] = d[a] * ((a === b ? 1 : 0) - d[b] * pRow[b]);
    write.row(a, pRow, diag);
  }
}

/**
 * Item-kNN with cosine similarity over the binary matrix: s(j, i) = |U_j ∩ U_i| / √(|U_j|·|U_i|). Each
 * target item i keeps its `neighbours` most similar items (Infinity = every co-liked item, the "full
 * neighbourhood"), and score(u, i) = Σ of s(j, i) over u's liked items j among them. The co-occurrences
 * are counted one item at a time (memory O(items), no items x items matrix), so any catalogue fits.
 */
export function trainItemKnn(rows: PositiveRows, neighbours: number): ItemItemWeights {
  return trainItemKnnMany(rows, [neighbours])[0];
}

/**
 * Item-kNN for several neighbourhood sizes at once: the co-occurrence counts and similarities, most of the
 * cost, are computed once per item for all of them (model selection tries three sizes).
 */
export function trainItemKnnMany(rows: PositiveRows, neighbourhoods: readonly number[]): ItemItemWeights[] {
  for (const k of neighbourhoods)
    if (!(k >= 1)) throw new RangeError(`item-kNN needs at least 1 neighbour, got ${k}`);
  const counts = positiveCounts(rows);
  const columns = itemColumns(rows);
  const scratch = new Float64Array(rows.nItems);
  const similarity = new Float32Array(rows.nItems);
  const kept = neighbourhoods.map(() => new NeighbourPairs());
  for (let i = 0; i < rows.nItems; i++) {
    if (counts[i] === 0) continue;
    cooccurrenceRow(rows, columns, i, scratch);
    scratch[i] = 0;
    let nonZero = 0;
    for (let j = 0; j < rows.nItems; j++) {
      similarity[j] = scratch[j] > 0 ? scratch[j] / Math.sqrt(counts[i] * counts[j]) : 0;
      if (scratch[j] > 0) nonZero++;
    }
    neighbourhoods.forEach((neighbours, n) => {
      // Every co-liked item is kept when there are no more than `neighbours` of them: no ranking needed.
      if (nonZero <= neighbours) {
        for (let j = 0; j < rows.nItems; j++) if (scratch[j] > 0) kept[n].keep(j, i, similarity[j]);
      } else for (const j of topK(similarity, neighbours)) kept[n].keep(j, i, similarity[j]);
    });
    scratch.fill(0);
  }
  return kept.map((pairs) => pairs.bySource(rows.nItems));
}

/**
 * Kept (source, target, similarity) pairs, gathered by target and turned around into rows by source. Typed
 * buffers grown by doubling: the full neighbourhood keeps millions of pairs (4.5 M on the demo world), and
 * plain arrays of boxed numbers made it the slowest step of the top-N selection.
 */
class NeighbourPairs {
  private sources = new Int32Array(1024);
  private targetsOf = new Int32Array(1024);
  private values = new Float32Array(1024);
  private kept = 0;

  keep(j: number, i: number, s: number): void {
    if (this.kept === this.sources.length) {
      const grow = <T extends Int32Array | Float32Array>(a: T, b: T): T => {
        b.set(a);
        return b;
      };
      this.sources = grow(this.sources, new Int32Array(this.kept * 2));
      this.targetsOf = grow(this.targetsOf, new Int32Array(this.kept * 2));
      this.values = grow(this.values, new Float32Array(this.kept * 2));
    }
    this.sources[this.kept] = j;
    this.targetsOf[this.kept] = i;
    this.values[this.kept++] = s;
  }

  bySource(nItems: number): ItemItemWeights {
    const { sources, targetsOf, values, kept } = this;
    const rowPtr = new Int32Array(nItems + 1);
    for (let x = 0; x < kept; x++) rowPtr[sources[x] + 1]++;
    for (let i = 0; i < nItems; i++) rowPtr[i + 1] += rowPtr[i];
    const fill = rowPtr.slice(0, nItems);
    const targets = new Int32Array(kept);
    const weights = new Float32Array(kept);
    for (let x = 0; x < kept; x++) {
      const at = fill[sources[x]]++;
      targets[at] = targetsOf[x];
      weights[at] = values[x];
    }
    return { nItems, rowPtr, targets, weights };
  }
}

/**
 * The mean over users with liked items of max_i |score(u, i)|: the per-user scale that recommend divides
 * scores by before blending (blendWithPopularity), taken once for a whole model so two item-item models
 * can be added into one matrix on a common scale (mixItemItem).
 */
export function typicalUserScale(model: ItemItemWeights, rows: PositiveRows): number {
  const out = new Float32Array(model.nItems);
  let sum = 0;
  let users = 0;
  for (let u = 0; u < rows.nUsers; u++) {
    const liked = rows.items.subarray(rows.rowPtr[u], rows.rowPtr[u + 1]);
    if (liked.length === 0) continue;
    scoreItemItem(model, liked, out);
    let max = 0;
    for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs(out[i]));
    sum += max;
    users++;
  }
  return users > 0 && sum > 0 ? sum / users : 1;
}

/**
 * a·A + b·B as one item-item matrix (the union of both patterns, row by row). Scoring is linear in the
 * weights, so the sum scores every user as the two models' scores added with those factors would, and
 * serving stays one sparse pass over the user's items.
 */
export function mixItemItem(a: ItemItemWeights, wa: number, b: ItemItemWeights, wb: number): ItemItemWeights {
  if (a.nItems !== b.nItems) throw new RangeError("mixItemItem: the two models cover different items");
  const n = a.nItems;
  const dense = new Float64Array(n);
  const seen = new Uint8Array(n);
  const rowPtr = new Int32Array(n + 1);
  const targetsOut: Int32Array[] = [];
  const weightsOut: Float32Array[] = [];
  const touched: number[] = [];
  for (let j = 0; j < n; j++) {
    touched.length = 0;
    const add = (m: ItemItemWeights, w: number) => {
      for (let y = m.rowPtr[j]; y < m.rowPtr[j + 1]; y++) {
        const i = m.targets[y];
        if (!seen[i]) {
          seen[i] = 1;
          touched.push(i);
        }
        dense[i] += w * m.weights[y];
      }
    };
    add(a, wa);
    add(b, wb);
    touched.sort((x, y) => x - y);
    const t = Int32Array.from(touched);
    const v = Float32Array.from(touched, (i) => dense[i]);
    for (const i of touched) {
      dense[i] = 0;
      seen[i] = 0;
    }
    targetsOut.push(t);
    weightsOut.push(v);
    rowPtr[j + 1] = rowPtr[j] + t.length;
  }
  const targets = new Int32Array(rowPtr[n]);
  const weights = new Float32Array(rowPtr[n]);
  for (let j = 0; j < n; j++) {
    targets.set(targetsOut[j], rowPtr[j]);
    weights.set(weightsOut[j], rowPtr[j]);
  }
  return { nItems: n, rowPtr, targets, weights };
}
