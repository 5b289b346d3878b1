import { type AffinityModel, scoreUserItem, type UserState } from "../affinity/affinity-model.js";
import { recommendItems } from "../serving/recommend.js";
import type { TopN } from "../topn/index.js";
import { coherence, coherentOrder } from "./select.js";
import type { TasteSpace } from "./taste-space.js";

/**
 * Blend: one playlist for several listeners (Spotify's Blend, methods.md §8c). Judged on four attributes:
 * relevant (each track reflects someone's taste), coherent (it flows), equal (every member gets a fair share
 * of the joy) and democratic (every member is represented). Spotify chose to "maximize the joy": relevance
 * first, then fairness. No algorithm was published; the policy here is ours.
 */
export const blendPolicies = ["blend", "alternating", "mean"] as const;
export type BlendPolicy = (typeof blendPolicies)[number];

export interface BlendInput {
  space: TasteSpace;
  /** Model item index of each candidate. */
  candidates: Int32Array;
  /** relevance[m][c]: probability that member m plays candidate c long (predicted or, for evaluation, true). */
  relevance: Float32Array[];
}

export interface BlendOptions {
  length: number;
  artistCap: number;
  /**
   * A track serves (is attributed to) a member whose relevance reaches this. Default null: each member's
   * own bar, the relevance of their 2·length-th best candidate, i.e. the track would make their own
   * playlist twice as long. A fixed probability such as 0.5 says little where most top tracks pass it.
   */
  relevantAt: number | null;
  /**
   * Weight of the others' mean relevance beside the owed member's own in the Blend policy (0 = the owed
   * member alone, like alternating with a fairness turn; 1 = the group's sum for two members). 0.5 was
   * hand-set; `tastebud eval --playlists` chooses it on validation plays cut from the training side.
   */
  othersWeight: number;
}

export const defaultBlendOptions: BlendOptions = {
  length: 30,
  artistCap: 2,
  relevantAt: null,
  othersWeight: 0.5,
};

export interface BlendAttributes {
  /** Per member, the mean relevance of the playlist's tracks to them. */
  relevance: number[];
  /** Mean over members of `relevance`: the total joy. */
  joy: number;
  /** The least-served member's relevance. */
  worstMember: number;
  /** Min over members of their share of the summed relevance (1/members when perfectly equal). */
  equal: number;
  /** Min over members of the share of tracks that serve them. */
  democratic: number;
  /** Mean cosine of consecutive tracks in the taste space. */
  coherent: number;
}

export interface BlendResult {
  /** Candidate positions (into input.candidates), in play order. */
  order: number[];
  /** Per track in `order`, the members it serves (relevance at or past their bar; else its best member). */
  serves: number[][];
  attributes: BlendAttributes;
}

/**
 * Chooses and orders a Blend by `policy`:
 * - blend (ours): each slot goes to the member owed most (least summed relevance so far); among tracks
 *   under the artist cap it takes the one maximising that member's relevance plus othersWeight (default
 *   one half) times the mean relevance to the others, so tracks everyone likes come first and nobody falls behind (with the others at full
 *   weight the value would be the group's summed relevance for two, and the owed member would not count);
 * - alternating (baseline): members take turns, each taking their own best remaining track;
 * - mean (baseline): the tracks with the highest mean relevance over members.
 * Then the chosen tracks are ordered for coherence (coherentOrder).
 */
export function buildBlend(input: BlendInput, policy: BlendPolicy, options: BlendOptions): BlendResult {
  const { relevance, candidates, space } = input;
  const members = relevance.length;
  const n = candidates.length;
  const used = new Uint8Array(n);
  const perCreator = new Map<number, number>();
  const served = new Float64Array(members);
  const chosen: number[] = [];
  const eligible = (c: number) => {
    if (used[c]) return false;
    for (const a of space.itemCreators[candidates[c]] ?? [])
      if ((perCreator.get(a) ?? 0) >= options.artistCap) return false;
    return true;
  };
  const mean = (c: number) => {
    let s = 0;
    for (let m = 0; m < members; m++) s += relevance[m][c];
    return s / members;
  };
  const argmax = (value: (c: number) => number) => {
    let at = -1;
    let best = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < n; c++) {
      if (!eligible(c)) continue;
      const v = value(c);
      if (v > best) {
        best = v;
        at = c;
      }
    }
    return at;
  };
  for (let slot = 0; slot < options.length; slot++) {
    let c: number;
    if (policy === "mean") c = argmax(mean);
    else if (policy === "alternating") {
      const turn = slot % members;
      c = argmax((k) => relevance[turn][k]);
    } else {
      let owed = 0;
      for (let m = 1; m < members; m++) if (served[m] < served[owed]) owed = m;
      c = argmax(
        (k) =>
          relevance[owed][k] +
          (members > 1
            ? (options.othersWeight * (members * mean(k) - relevance[owed][k])) / (members - 1)
            : 0),
      );
    }
    if (c < 0) break;
    used[c] = 1;
    chosen.push(c);
    for (let m = 0; m < members; m++) served[m] += relevance[m][c];
    for (const a of space.itemCreators[candidates[c]] ?? []) perCreator.set(a, (perCreator.get(a) ?? 0) + 1);
  }
  // Ordered by item, then mapped back to candidate positions.
  const position = new Map(chosen.map((c) => [candidates[c], c]));
  const opener = chosen.length ? chosen.reduce((a, b) => (mean(b) > mean(a) ? b : a)) : -1;
  const items = chosen.length
    ? coherentOrder(
        [candidates[opener], ...chosen.filter((c) => c !== opener).map((c) => candidates[c])],
        space,
      )
    : [];
  const order = items.map((i) => position.get(i)!);
  const bars = relevance.map((r) => {
    if (options.relevantAt !== null) return options.relevantAt;
    const sorted = Float32Array.from(r).sort().reverse();
    return sorted[Math.min(sorted.length - 1, 2 * options.length - 1)] ?? 0;
  });
  const serves = order.map((c) => servedMembers(relevance, c, bars));
  return { order, serves, attributes: blendAttributes(input, order, serves) };
}

function servedMembers(relevance: Float32Array[], c: number, bars: readonly number[]): number[] {
  const out: number[] = [];
  let best = 0;
  for (let m = 0; m < relevance.length; m++) {
    if (relevance[m][c] >= bars[m]) out.push(m);
    if (relevance[m][c] > relevance[best][c]) best = m;
  }
  return out.length ? out : [best];
}

/**
 * The Blend attributes of an ordered playlist under a relevance matrix. Pass the true affinities of a
 * simulated world to judge a playlist chosen from predicted ones.
 */
export function blendAttributes(
  input: BlendInput,
  order: readonly number[],
  serves: readonly number[][],
): BlendAttributes {
  const members = input.relevance.length;
  const perMember = input.relevance.map((r) =>
    order.length ? order.reduce((s, c) => s + r[c], 0) / order.length : 0,
  );
  const total = perMember.reduce((a, b) => a + b, 0);
  const counts = new Array(members).fill(0);
  for (const s of serves) for (const m of s) counts[m]++;
  return {
    relevance: perMember,
    joy: total / members,
    worstMember: Math.min(...perMember),
    equal: total > 0 ? Math.min(...perMember) / total : 0,
    democratic: order.length ? Math.min(...counts) / order.length : 0,
    coherent: coherence(
      order.map((c) => input.candidates[c]),
      input.space,
    ),
  };
}

/** Taste match of members: mean pairwise cosine of their taste vectors (1 = the same taste). */
export function tasteMatch(vectors: ReadonlyArray<ArrayLike<number>>): number {
  let s = 0;
  let pairs = 0;
  for (let a = 0; a < vectors.length; a++) {
    for (let b = a + 1; b < vectors.length; b++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let f = 0; f < vectors[a].length; f++) {
        dot += vectors[a][f] * vectors[b][f];
        na += vectors[a][f] ** 2;
        nb += vectors[b][f] ** 2;
      }
      s += na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
      pairs++;
    }
  }
  return pairs ? s / pairs : 1;
}

/**
 * Candidates for a Blend: the union of each member's own best `perMember` tracks (known favourites
 * compete with new ones, as in recommendItems without excluding played), with every member's predicted
 * relevance for each.
 */
export function blendCandidates(
  model: AffinityModel,
  space: TasteSpace,
  members: readonly UserState[],
  perMember: number,
  options: { topN?: TopN; allow?: Uint8Array | null } = {},
): BlendInput {
  const seen = new Set<number>();
  const list: number[] = [];
  for (const state of members) {
    const top = recommendItems(model, state, {
      n: perMember,
      excludePlayed: false,
      topN: options.topN,
      allow: options.allow,
    });
    for (const r of top.items) {
      if (seen.has(r.index)) continue;
      seen.add(r.index);
      list.push(r.index);
    }
  }
  const candidates = Int32Array.from(list);
  const relevance = members.map((state) =>
    Float32Array.from(candidates, (i) => scoreUserItem(model, state, i).affinity),
  );
  return { space, candidates, relevance };
}
