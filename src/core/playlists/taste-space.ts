import type { AffinityModel } from "../affinity/affinity-model.js";
import type { FoldedCells } from "../affinity/cells.js";

/** What the taste space needs of a catalogue item: who made it and its tags (null = not described). */
export interface TasteItem {
  creators: readonly string[];
  tags: readonly string[];
  title: string;
}

/**
 * The model's item vectors as unit directions, with a vector per creator: the space in which "close"
 * means "liked by the same listeners". Cosine between unit rows is a plain dot product, so similarity,
 * diversity and coherence below all read one Float32Array. Built once per model and cached.
 */
export interface TasteSpace {
  dim: number;
  nItems: number;
  /** nItems × dim unit rows (all zeros for an item the factorization gave no direction). */
  unitItems: Float32Array;
  /** Creator names, by creator index. */
  creators: string[];
  creatorIndex: Map<string, number>;
  /** Per item, its creator indices (most items have one). */
  itemCreators: Int32Array[];
  /** nCreators × dim unit rows: the normalised sum of the creator's item directions, weighted by plays. */
  unitCreators: Float32Array;
  /** Long plays of each creator's items: how much evidence the creator's vector rests on. */
  creatorPlays: Float64Array;
}

const spaces = new WeakMap<AffinityModel, TasteSpace>();

/**
 * The taste space of a model and the catalogue aligned with its item indices (cached per model object).
 * A creator's vector weights each of their items by log(1 + long plays) + 1: a hit says more about where
 * the creator's listeners are than a track nobody played, yet an unplayed track still counts.
 */
export function tasteSpaceOf(model: AffinityModel, catalogue: ReadonlyArray<TasteItem | null>): TasteSpace {
  const cached = spaces.get(model);
  if (cached) return cached;
  const space = buildTasteSpace(model, catalogue);
  spaces.set(model, space);
  return space;
}

export function buildTasteSpace(
  model: AffinityModel,
  catalogue: ReadonlyArray<TasteItem | null>,
): TasteSpace {
  const { factors: dim, nItems, itemFactors } = model.factors;
  const unitItems = new Float32Array(nItems * dim);
  for (let i = 0; i < nItems; i++) {
    let ss = 0;
    for (let f = 0; f < dim; f++) ss += itemFactors[i * dim + f] ** 2;
    if (ss === 0) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let f = 0; f < dim; f++) unitItems[i * dim + f] = itemFactors[i * dim + f] * inv;
  }
  const creators: string[] = [];
  const creatorIndex = new Map<string, number>();
  const itemCreators: Int32Array[] = [];
  for (let i = 0; i < nItems; i++) {
    const names = catalogue[i]?.creators ?? [];
    itemCreators.push(
      Int32Array.from(names, (name) => {
        let c = creatorIndex.get(name);
        if (c === undefined) {
          c = creators.length;
          creators.push(name);
          creatorIndex.set(name, c);
        }
        return c;
      }),
    );
  }
  const sums = new Float64Array(creators.length * dim);
  const creatorPlays = new Float64Array(creators.length);
  for (let i = 0; i < nItems; i++) {
    const w = Math.log1p(model.popularity[i]) + 1;
    for (const c of itemCreators[i]) {
      creatorPlays[c] += model.popularity[i];
      for (let f = 0; f < dim; f++) sums[c * dim + f] += w * unitItems[i * dim + f];
    }
  }
  const unitCreators = new Float32Array(creators.length * dim);
  for (let c = 0; c < creators.length; c++) {
    let ss = 0;
    for (let f = 0; f < dim; f++) ss += sums[c * dim + f] ** 2;
    if (ss === 0) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let f = 0; f < dim; f++) unitCreators[c * dim + f] = sums[c * dim + f] * inv;
  }
  return { dim, nItems, unitItems, creators, creatorIndex, itemCreators, unitCreators, creatorPlays };
}

/** Cosine of two items' taste vectors (0 when either has no direction). */
export function itemCosine(space: TasteSpace, i: number, j: number): number {
  const { dim, unitItems: u } = space;
  let s = 0;
  for (let f = 0; f < dim; f++) s += u[i * dim + f] * u[j * dim + f];
  return s;
}

/** Cosine of an item with any unit query vector of the space's dimension. */
export function itemQueryCosine(space: TasteSpace, i: number, query: ArrayLike<number>): number {
  const { dim, unitItems: u } = space;
  let s = 0;
  for (let f = 0; f < dim; f++) s += u[i * dim + f] * query[f];
  return s;
}

/** A copy of v scaled to unit length (all zeros stays all zeros). */
export function unit(v: ArrayLike<number>): Float32Array {
  let ss = 0;
  for (let f = 0; f < v.length; f++) ss += v[f] * v[f];
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  return Float32Array.from(v, (x) => x * inv);
}

export function creatorVector(space: TasteSpace, c: number): Float32Array {
  return space.unitCreators.subarray(c * space.dim, (c + 1) * space.dim);
}

export interface Neighbour {
  index: number;
  similarity: number;
}

/**
 * The n rows of a matrix closest to a unit query by cosine, best first (ties by smaller index); rows
 * for which skip(r) is true are left out. One pass with a sorted buffer of n: n is small here (tens).
 * With unitRows (the taste space's matrices) the rows are known to be unit or zero, so only the dot
 * product is computed per row; skip and the zero check run only for rows good enough to enter the buffer
 * (a radio scans 100k items per request; this halves its work and calls skip a few hundred times).
 */
export function nearestRows(
  rows: Float32Array,
  dim: number,
  query: ArrayLike<number>,
  n: number,
  skip?: (r: number) => boolean,
  unitRows = false,
): Neighbour[] {
  const count = rows.length / dim;
  const best: Neighbour[] = [];
  for (let r = 0; r < count; r++) {
    const at = r * dim;
    let s = 0;
    if (unitRows) {
      for (let f = 0; f < dim; f++) s += rows[at + f] * query[f];
    } else {
      let ss = 0;
      for (let f = 0; f < dim; f++) {
        const x = rows[at + f];
        s += x * query[f];
        ss += x * x;
      }
      if (ss === 0) continue;
      // Rows of a unit matrix have ss = 1; other rows (user vectors) are normalised here.
      if (ss < 0.999 || ss > 1.001) s /= Math.sqrt(ss);
    }
    if (best.length === n && s <= best[n - 1].similarity) continue;
    if (unitRows && isZeroRow(rows, at, dim)) continue;
    if (skip?.(r)) continue;
    let k = best.length;
    while (k > 0 && best[k - 1].similarity < s) k--;
    best.splice(k, 0, { index: r, similarity: s });
    if (best.length > n) best.pop();
  }
  return best;
}

function isZeroRow(rows: Float32Array, at: number, dim: number): boolean {
  for (let f = 0; f < dim; f++) if (rows[at + f] !== 0) return false;
  return true;
}

/** Creators closest to creator c in the taste space. */
export function similarCreators(space: TasteSpace, c: number, n: number): Neighbour[] {
  return nearestRows(space.unitCreators, space.dim, creatorVector(space, c), n, (r) => r === c, true);
}

/**
 * The co-listening baseline for similar creators: Jaccard overlap of the sets of users who played each
 * creator long at least once. No model, only who listened to whom; what the taste space is measured
 * against.
 */
export function coListeningCreators(
  space: TasteSpace,
  cells: FoldedCells,
  c: number,
  n: number,
): Neighbour[] {
  const listeners = creatorListeners(space, cells);
  const mine = listeners[c];
  if (mine.size === 0) return [];
  const scored: Neighbour[] = [];
  for (let d = 0; d < listeners.length; d++) {
    if (d === c || listeners[d].size === 0) continue;
    let both = 0;
    for (const u of listeners[d]) if (mine.has(u)) both++;
    if (both === 0) continue;
    scored.push({ index: d, similarity: both / (mine.size + listeners[d].size - both) });
  }
  scored.sort((a, b) => b.similarity - a.similarity || a.index - b.index);
  return scored.slice(0, n);
}

const listenerCache = new WeakMap<FoldedCells, Array<Set<number>>>();

/** Per creator, the users with at least one long play of one of their items (cached per history). */
export function creatorListeners(space: TasteSpace, cells: FoldedCells): Array<Set<number>> {
  const cached = listenerCache.get(cells);
  if (cached && cached.length === space.creators.length) return cached;
  const sets = space.creators.map(() => new Set<number>());
  for (let u = 0; u < cells.nUsers; u++) {
    for (let k = cells.rowPtr[u]; k < cells.rowPtr[u + 1]; k++) {
      if (cells.longCount[k] === 0) continue;
      for (const c of space.itemCreators[cells.items[k]] ?? []) sets[c].add(u);
    }
  }
  listenerCache.set(cells, sets);
  return sets;
}
