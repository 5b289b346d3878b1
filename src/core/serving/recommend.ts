import {
  type AffinityModel,
  scoreAffinity,
  scoreUserItem,
  type UserState,
} from "../affinity/affinity-model.js";
import { blendProbability } from "../affinity/blend.js";
import { topK } from "../metrics/ranking.js";
import { createTopN, itemInverseNorms, itemScore, type TopN } from "../topn/index.js";

/** How an answer was made: from the user's own model, or a stated fallback. */
export type ServeSource = "personal" | "folded-in" | "popularity" | "unknown-item";

export interface ScoredItem {
  /** Model item index. */
  index: number;
  /** Probability of a play past the threshold (for a fallback: the item's share of long plays). */
  affinity: number;
  /** The ranking score (same order as affinity within one answer). */
  score: number;
}

export interface RecommendOptions {
  /** The model's top-N searcher (exact scan or approximate index); default an exact scan. */
  topN?: TopN;
  n: number;
  /** Leave out what the user has already played. */
  excludePlayed: boolean;
  /** Model item indices to leave out. */
  exclude?: ReadonlySet<number>;
  /** 1 = eligible (from a filter); null = all. */
  allow?: Uint8Array | null;
}

/**
 * Top-n items for user index u. A known user gets the blend: the factorization for items new to them and
 * history shrunk toward it for items they know, so with excludePlayed false their favourites compete with
 * discoveries. An unknown user (u = -1) gets the most played items, ranked by long plays.
 */
export function recommendItems(
  model: AffinityModel,
  user: UserState | null,
  options: RecommendOptions,
): { source: ServeSource; items: ScoredItem[] } {
  const allow = options.allow ?? null;
  const excluded = (i: number) => (allow !== null && allow[i] === 0) || (options.exclude?.has(i) ?? false);
  if (user === null) {
    const scores = Float32Array.from(
      model.popularity,
      (p, i) => Math.log1p(p) + model.itemLongRate[i] * 1e-3,
    );
    const top = topK(scores, options.n, excluded);
    return {
      source: "popularity",
      items: Array.from(top, (i) => ({ index: i, affinity: model.itemLongRate[i], score: scores[i] })),
    };
  }
  const blend = model.blend;
  const played = new Set<number>(user.items);
  // Items new to the user: the blend is α + β·m, monotone in the factorization's score m, so the top-n
  // new items are the factorization's top-n with the played ones left out.
  const topN = options.topN ?? createTopN(model.factors, { approximateAbove: Number.POSITIVE_INFINITY });
  const fresh = topN.recommend(user.vector, options.n, {
    exclude: (i) => played.has(i) || excluded(i),
    allow: allow ?? undefined,
  });
  const found: ScoredItem[] = Array.from(fresh.items, (i, r) => {
    const score = blend.alpha + blend.beta * fresh.scores[r];
    return { index: i, affinity: blendProbability(blend, score), score };
  });
  if (!options.excludePlayed) {
    // Known items compete on their blended score (history shrunk toward the factorization).
    for (const i of user.items) {
      if (excluded(i)) continue;
      const s = scoreUserItem(model, user, i);
      found.push({ index: i, affinity: s.affinity, score: s.score });
    }
    found.sort((a, b) => b.score - a.score || a.index - b.index);
  }
  return { source: user.source, items: found.slice(0, options.n) };
}

export interface Explanation {
  affinity: number;
  source: ServeSource;
  history: { plays: number; mean: number };
  mf: number | null;
  /** The user's played items most alike to this one, weighted by how much the user liked them. */
  becauseOf: Array<{ index: number; similarity: number; history: number; pull: number }>;
}

/**
 * Why a user gets item i's affinity: their own history with it, the factorization's score, and which of
 * their plays pulled it up (cosine of item vectors x the user's history with the played item). `user` is
 * the user as scoring sees them (a folded-in overlay included), null for a user the model does not know.
 */
export function explainAffinity(model: AffinityModel, user: UserState | null, i: number, n = 5): Explanation {
  const s = user && i >= 0 ? scoreUserItem(model, user, i) : scoreAffinity(model, -1, i);
  const base = {
    affinity: s.affinity,
    source: s.source as ServeSource,
    history: { plays: s.plays, mean: s.history },
    mf: s.mf,
  };
  if (!user || i < 0) return { ...base, becauseOf: [] };
  const k = model.factors.factors;
  const inverseNorms = itemInverseNorms(model.factors);
  const itemVector = model.factors.itemFactors.subarray(i * k, (i + 1) * k);
  const pulls: Explanation["becauseOf"] = [];
  for (let c = 0; c < user.items.length; c++) {
    const j = user.items[c];
    if (j === i) continue;
    // Cosine of the two item vectors (0 when either is all zeros).
    const similarity =
      itemScore(model.factors, itemVector, j, false) * (inverseNorms[i] * inverseNorms[j] || 0);
    const history = user.sum[c] / user.count[c];
    pulls.push({ index: j, similarity, history, pull: similarity * history });
  }
  pulls.sort((a, b) => b.pull - a.pull);
  return { ...base, becauseOf: pulls.slice(0, n) };
}
