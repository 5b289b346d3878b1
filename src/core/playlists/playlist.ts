import { type AffinityModel, scoreUserItem, type UserState } from "../affinity/affinity-model.js";
import { blendProbability } from "../affinity/blend.js";
import { createTopN, nearestByCosine, type TopN } from "../topn/index.js";
import {
  artistSpread,
  coherence,
  coherentOrder,
  intraListDiversity,
  type PlaylistCandidate,
  type SelectOptions,
  selectTracks,
} from "./select.js";
import { itemCosine, itemQueryCosine, type TasteItem, type TasteSpace } from "./taste-space.js";

export const playlistKinds = ["discover", "mix", "radio"] as const;
export type PlaylistKind = (typeof playlistKinds)[number];

/** The dial's default per kind: discover is all new, a mix leans familiar, radio mostly new around a seed. */
export const defaultFamiliar: Record<PlaylistKind, number> = { discover: 0, mix: 0.5, radio: 0.3 };

/** A taught preference's verdict on one item: leave it out, or move it (logits), with reasons in words. */
export interface ItemAdjustment {
  excluded: boolean;
  boost: number;
  reasons: string[];
}

export interface PlaylistInput {
  model: AffinityModel;
  space: TasteSpace;
  catalogue: ReadonlyArray<TasteItem | null>;
  /** The listener; null for an unknown listener (popular tracks, all new to them). */
  user: UserState | null;
  kind: PlaylistKind;
  /** For radio: a unit vector to play around (an item's or a creator's direction), and its name. */
  seed?: { vector: Float32Array; label: string; item?: number };
  /** The model's top-N searcher (default an exact scan). */
  topN?: TopN;
  /** 1 = may be played (a request's filter); null = everything. */
  allow?: Uint8Array | null;
  /** Taught preferences, consulted for every candidate. */
  adjust?: (index: number) => ItemAdjustment | null;
}

export interface PlaylistTrack {
  index: number;
  familiar: boolean;
  relevance: number;
  /** Plays of it by the listener so far. */
  plays: number;
  reason: string;
  /** What taught preferences did to it. */
  preferences: string[];
}

export interface PlaylistSummary {
  familiarShare: number;
  /** 1 − mean pairwise cosine in the taste space. */
  diversity: number;
  /** Mean cosine of consecutive tracks. */
  coherence: number;
  /** The same before ordering (tracks in the order they were chosen), to show what ordering bought. */
  coherenceUnordered: number;
  artistCoverage: number;
  maxPerArtist: number;
  /** Candidates passed over because their creator was at the cap. */
  capped: number;
  shortfall: { familiar: number; new: number };
}

export interface Playlist {
  tracks: PlaylistTrack[];
  summary: PlaylistSummary;
}

/**
 * A personal playlist: candidates (the listener's liked tracks as the familiar pool; the factorization's
 * best unplayed tracks, or those nearest a radio seed, as the new pool), taught preferences applied,
 * chosen by MMR under the artist cap and the familiar share, ordered for coherence, each with a reason.
 */
export function buildPlaylist(input: PlaylistInput, options: SelectOptions): Playlist {
  const candidates = playlistCandidates(input, Math.max(10 * options.length, 300));
  const byIndex = new Map(candidates.map((c) => [c.candidate.index, c]));
  const selection = selectTracks(
    candidates.map((c) => c.candidate),
    input.space,
    options,
  );
  const chosen = selection.picked.map((c) => c.index);
  // Radio opens on its seed's closest track, other playlists on their most relevant one.
  const opener = input.seed
    ? chosen.reduce((best, i) =>
        itemQueryCosine(input.space, i, input.seed!.vector) >
        itemQueryCosine(input.space, best, input.seed!.vector)
          ? i
          : best,
      )
    : selection.picked.reduce((best, c) => (c.relevance > best.relevance ? c : best)).index;
  const order = chosen.length
    ? coherentOrder([opener, ...chosen.filter((i) => i !== opener)], input.space)
    : [];
  const anchors = likedAnchors(input.user);
  const tracks = order.map((i): PlaylistTrack => {
    const c = byIndex.get(i)!;
    return {
      index: i,
      familiar: c.candidate.familiar,
      relevance: c.candidate.relevance,
      plays: c.plays,
      reason: reasonFor(input, c, anchors),
      preferences: c.preferences,
    };
  });
  const spread = artistSpread(order, input.space);
  return {
    tracks,
    summary: {
      familiarShare: tracks.length ? tracks.filter((t) => t.familiar).length / tracks.length : 0,
      diversity: intraListDiversity(order, input.space),
      coherence: coherence(order, input.space),
      coherenceUnordered: coherence(chosen, input.space),
      artistCoverage: spread.coverage,
      maxPerArtist: spread.maxPerArtist,
      capped: selection.capped,
      shortfall: selection.shortfall,
    },
  };
}

interface ScoredCandidate {
  candidate: PlaylistCandidate;
  plays: number;
  /** Cosine to the radio seed. */
  seedSimilarity: number;
  preferences: string[];
}

/** Weight of closeness to the seed in a radio track's relevance (the rest is the listener's affinity). */
const SEED_WEIGHT = 0.5;

/** The familiar pool (liked tracks) and the new pool (up to `fresh` unplayed tracks), scored. */
export function playlistCandidates(input: PlaylistInput, fresh: number): ScoredCandidate[] {
  const { model, user, space } = input;
  const allow = input.allow ?? null;
  const out: ScoredCandidate[] = [];
  const played = new Set<number>(user ? user.items : []);
  const push = (index: number, affinity: number, familiar: boolean, plays: number) => {
    if (allow && allow[index] === 0) return;
    const adjustment = input.adjust?.(index) ?? null;
    if (adjustment?.excluded) return;
    const seedSimilarity = input.seed ? itemQueryCosine(space, index, input.seed.vector) : 0;
    let relevance = affinity;
    if (adjustment && adjustment.boost !== 0) relevance = sigmoid(logit(relevance) + adjustment.boost);
    if (input.seed) relevance = (1 - SEED_WEIGHT) * relevance + SEED_WEIGHT * Math.max(0, seedSimilarity);
    out.push({
      candidate: { index, relevance, familiar },
      plays,
      seedSimilarity,
      preferences: adjustment?.reasons ?? [],
    });
  };
  if (user) {
    for (let c = 0; c < user.items.length; c++) {
      if (!(user.sum[c] > 0)) continue;
      const i = user.items[c];
      if (input.seed?.item === i) continue;
      push(i, scoreUserItem(model, user, i).affinity, true, user.count[c]);
    }
  }
  const skip = (i: number) => played.has(i) || (allow !== null && allow[i] === 0) || input.seed?.item === i;
  if (input.seed) {
    const near = nearestByCosine(model.factors, input.seed.vector, fresh, {
      exclude: skip,
      allow: allow ?? undefined,
    });
    for (const i of near.items)
      push(i, user ? scoreUserItem(model, user, i).affinity : model.itemLongRate[i], false, 0);
  } else if (user) {
    const topN = input.topN ?? createTopN(model.factors, { approximateAbove: Number.POSITIVE_INFINITY });
    const top = topN.recommend(user.vector, fresh, { exclude: skip, allow: allow ?? undefined });
    top.items.forEach((i, r) => {
      const score = model.blend.alpha + model.blend.beta * top.scores[r];
      push(i, blendProbability(model.blend, score), false, 0);
    });
  } else {
    const order = Array.from(model.popularity.keys())
      .filter((i) => !skip(i))
      .sort((a, b) => model.popularity[b] - model.popularity[a] || a - b)
      .slice(0, fresh);
    for (const i of order) push(i, model.itemLongRate[i], false, 0);
  }
  return out;
}

/** The listener's most liked tracks: what "listeners who love X" names. */
function likedAnchors(user: UserState | null, n = 50): number[] {
  if (!user) return [];
  const cells = Array.from(user.items.keys()).filter((c) => user.sum[c] > 0);
  cells.sort((a, b) => user.sum[b] - user.sum[a] || user.items[a] - user.items[b]);
  return cells.slice(0, n).map((c) => user.items[c]);
}

function reasonFor(input: PlaylistInput, c: ScoredCandidate, anchors: readonly number[]): string {
  const i = c.candidate.index;
  if (c.candidate.familiar) return `you played it ${c.plays === 1 ? "once" : `${c.plays} times`}`;
  const parts: string[] = [];
  if (input.seed) parts.push(`like ${input.seed.label}`);
  let anchor = -1;
  let best = Number.NEGATIVE_INFINITY;
  for (const a of anchors) {
    const s = itemCosine(input.space, i, a);
    if (s > best) {
      best = s;
      anchor = a;
    }
  }
  if (anchor >= 0 && best > 0) {
    parts.push(`new to you; listeners who love ${describe(input.catalogue, input.model, anchor)} play it`);
  } else parts.push(input.user ? "new to you" : "popular with listeners");
  return parts.join("; ");
}

export function describe(
  catalogue: ReadonlyArray<TasteItem | null>,
  model: AffinityModel,
  i: number,
): string {
  const item = catalogue[i];
  if (!item) return model.items[i];
  return item.creators.length ? `${item.title} by ${item.creators.join(", ")}` : item.title;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(q / (1 - q));
}
