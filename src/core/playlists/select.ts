import { itemCosine, type TasteSpace } from "./taste-space.js";

/** A track that may go into a playlist: how much the listener should like it, and whether they know it. */
export interface PlaylistCandidate {
  /** Model item index. */
  index: number;
  /** Probability of a long play (the affinity), possibly moved by taught preferences; in [0, 1]. */
  relevance: number;
  /** The listener has played (and liked) it before. */
  familiar: boolean;
}

export interface SelectOptions {
  length: number;
  /** Share of the playlist's tracks that are familiar (the exploration dial is 1 − this). */
  familiar: number;
  /** Most tracks by one creator. */
  artistCap: number;
  /**
   * Weight of diversity in maximal marginal relevance: a candidate's value is (1 − d)·relevance −
   * d·(its largest cosine to a track already chosen). 0 = by relevance alone.
   */
  diversity: number;
}

export const defaultSelectOptions: SelectOptions = {
  length: 30,
  familiar: 0.3,
  artistCap: 2,
  diversity: 0.3,
};

export interface Selection {
  picked: PlaylistCandidate[];
  /** Candidates passed over only because their creator had reached the cap. */
  capped: number;
  /** Familiar tracks the dial asked for that the listener's history could not supply (or new ones). */
  shortfall: { familiar: number; new: number };
}

/**
 * Chooses the playlist's tracks greedily by maximal marginal relevance (Carbonell & Goldstein 1998) in
 * the taste space, with a cap per creator and the familiar/new quota the dial sets. When one pool runs
 * dry the other fills in, and the shortfall is reported, so a listener with little history still gets a
 * full playlist. Cost O(candidates · length · dim).
 */
export function selectTracks(
  candidates: readonly PlaylistCandidate[],
  space: TasteSpace,
  options: SelectOptions,
): Selection {
  const familiarTarget = Math.round(Math.min(1, Math.max(0, options.familiar)) * options.length);
  const newTarget = options.length - familiarTarget;
  const d = Math.min(1, Math.max(0, options.diversity));
  const n = candidates.length;
  const maxSim = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const used = new Uint8Array(n);
  // A candidate is blocked once one of its creators reaches the cap: marked when the cap is reached
  // (a pick), not looked up per candidate per scan, so the scans below are plain array reads.
  const blocked = new Uint8Array(n);
  if (options.artistCap <= 0)
    for (let k = 0; k < n; k++) if (space.itemCreators[candidates[k].index]?.length) blocked[k] = 1;
  const perCreator = new Map<number, number>();
  const picked: PlaylistCandidate[] = [];
  const capHit = new Uint8Array(n);
  const relevance = Float64Array.from(candidates, (c) => c.relevance);
  const familiarOf = Uint8Array.from(candidates, (c) => (c.familiar ? 1 : 0));
  const { dim, unitItems: u } = space;
  let familiarPicked = 0;
  let newPicked = 0;
  const best = (familiar: boolean): number => {
    const want = familiar ? 1 : 0;
    const penalty = picked.length ? d : 0;
    let at = -1;
    let value = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      if (used[k] || familiarOf[k] !== want) continue;
      if (blocked[k]) {
        capHit[k] = 1;
        continue;
      }
      const v = (1 - d) * relevance[k] - (penalty ? penalty * maxSim[k] : 0);
      if (v > value) {
        value = v;
        at = k;
      }
    }
    return at;
  };
  while (picked.length < options.length) {
    const wantFamiliar = familiarPicked < familiarTarget;
    const wantNew = newPicked < newTarget;
    let k = best(wantFamiliar || !wantNew);
    if (k < 0) k = best(!(wantFamiliar || !wantNew));
    if (k < 0) break;
    const chosen = candidates[k];
    used[k] = 1;
    picked.push(chosen);
    if (chosen.familiar) familiarPicked++;
    else newPicked++;
    for (const c of space.itemCreators[chosen.index] ?? []) {
      const count = (perCreator.get(c) ?? 0) + 1;
      perCreator.set(c, count);
      if (count < options.artistCap) continue;
      for (let j = 0; j < n; j++)
        if (!blocked[j] && space.itemCreators[candidates[j].index]?.includes(c)) blocked[j] = 1;
    }
    const at = chosen.index * dim;
    for (let j = 0; j < n; j++) {
      if (used[j]) continue;
      const bt = candidates[j].index * dim;
      let s = 0;
      for (let f = 0; f < dim; f++) s += u[at + f] * u[bt + f];
      if (s > maxSim[j]) maxSim[j] = s;
    }
  }
  let capped = 0;
  for (let k = 0; k < n; k++) if (capHit[k] && !used[k]) capped++;
  return {
    picked,
    capped,
    shortfall: {
      familiar: Math.max(0, familiarTarget - familiarPicked),
      new: Math.max(0, newTarget - newPicked),
    },
  };
}

/**
 * An order in which consecutive tracks are close in the taste space: nearest neighbour from the first
 * track, then 2-opt moves (reverse a stretch when that raises the summed similarity of neighbours) until
 * none helps. The first track stays first (the opener, or the radio's seed).
 */
export function coherentOrder(indices: readonly number[], space: TasteSpace): number[] {
  const n = indices.length;
  if (n < 3) return [...indices];
  // Positions, not item indices, from here on: the n × n cosines are computed once, so the 2-opt rounds
  // below read a table instead of recomputing dim-long dot products (most of a playlist's time before).
  const sim = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) sim[a * n + b] = sim[b * n + a] = itemCosine(space, indices[a], indices[b]);
  const rest = Array.from({ length: n - 1 }, (_, k) => k + 1);
  const order = [0];
  while (rest.length) {
    const last = order[order.length - 1] * n;
    let at = 0;
    for (let k = 1; k < rest.length; k++) if (sim[last + rest[k]] > sim[last + rest[at]]) at = k;
    order.push(rest.splice(at, 1)[0]);
  }
  // 2-opt on an open path with a fixed start: reversing order[i..j] swaps edges (i-1,i),(j,j+1) for
  // (i-1,j),(i,j+1); the last track has no successor.
  for (let improved = true, rounds = 0; improved && rounds < 50; rounds++) {
    improved = false;
    for (let i = 1; i < n - 1; i++) {
      for (let j = i + 1; j < n; j++) {
        const next = j + 1 < n;
        const before = sim[order[i - 1] * n + order[i]] + (next ? sim[order[j] * n + order[j + 1]] : 0);
        const after = sim[order[i - 1] * n + order[j]] + (next ? sim[order[i] * n + order[j + 1]] : 0);
        if (after > before + 1e-9) {
          for (let a = i, b = j; a < b; a++, b--) [order[a], order[b]] = [order[b], order[a]];
          improved = true;
        }
      }
    }
  }
  return order.map((k) => indices[k]);
}

/** Mean cosine of consecutive tracks (1 = each flows into the next; 0 = unrelated). */
export function coherence(order: readonly number[], space: TasteSpace): number {
  if (order.length < 2) return 0;
  let s = 0;
  for (let k = 1; k < order.length; k++) s += itemCosine(space, order[k - 1], order[k]);
  return s / (order.length - 1);
}

/** Intra-list diversity: 1 − the mean cosine over all pairs of tracks. */
export function intraListDiversity(indices: readonly number[], space: TasteSpace): number {
  if (indices.length < 2) return 0;
  let s = 0;
  let pairs = 0;
  for (let a = 0; a < indices.length; a++) {
    for (let b = a + 1; b < indices.length; b++) {
      s += itemCosine(space, indices[a], indices[b]);
      pairs++;
    }
  }
  return 1 - s / pairs;
}

/** Distinct creators per track (1 = every track by someone else), and the most tracks by one creator. */
export function artistSpread(
  indices: readonly number[],
  space: TasteSpace,
): { coverage: number; maxPerArtist: number } {
  const counts = new Map<number, number>();
  for (const i of indices)
    for (const c of space.itemCreators[i] ?? []) counts.set(c, (counts.get(c) ?? 0) + 1);
  return {
    coverage: indices.length ? counts.size / indices.length : 0,
    maxPerArtist: counts.size ? Math.max(...counts.values()) : 0,
  };
}
