import {
  type AffinityModel,
  findInState,
  scoreAffinity,
  scoreUserItem,
  type UserState,
} from "../affinity/affinity-model.js";
import { blendProbability } from "../affinity/blend.js";
import { topK } from "../metrics/ranking.js";
import { describeChoice, scoreTopN, type TopNModel } from "../recommend/index.js";
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
  // Items new to the user: the blend is α + β·m, monotone in the factorization's score m, so the top-n
  // new items are the factorization's top-n with the played ones left out (a binary search of the user's
  // sorted items: the predicate sees a few dozen candidates, not worth a Set of the history per request).
  const topN = options.topN ?? createTopN(model.factors, { approximateAbove: Number.POSITIVE_INFINITY });
  const fresh = topN.recommend(user.vector, options.n, {
    exclude: (i) => findInState(user, i) >= 0 || excluded(i),
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

/**
 * The items a top-N model reads for a user: their liked items (a long play; every played item when the
 * model counts skips as positives). A user the served model was trained on has per-play counts; a
 * folded-in overlay only has sums, so there an item is liked when its summed label·weight is positive.
 */
export function likedItems(model: AffinityModel, user: UserState, u: number, topN: TopNModel): Int32Array {
  if (user.source === "personal" && u >= 0) {
    const h = model.history;
    const out: number[] = [];
    for (let c = h.rowPtr[u]; c < h.rowPtr[u + 1]; c++)
      if (topN.skips === "positive" ? h.count[c] > 0 : h.longCount[c] > 0) out.push(h.items[c]);
    return Int32Array.from(out);
  }
  return Int32Array.from(
    Array.from(user.items).filter((_, c) => topN.skips === "positive" || user.sum[c] > 0),
  );
}

/**
 * Top-n items from the top-N model (see core/recommend): scores from the user's liked items (item-item
 * models) or their factor row (WARP), blended with popularity as chosen on validation. Null when this
 * model cannot score the user personally but the affinity model can (a folded-in user of a factor model):
 * the caller then ranks by affinity. An unknown user gets the model's popularity.
 */
export function recommendWithTopN(
  topN: TopNModel,
  model: AffinityModel,
  user: UserState | null,
  u: number,
  options: RecommendOptions,
): { source: ServeSource; recommender: string; items: ScoredItem[] } | null {
  if (user && topN.factors && (user.source !== "personal" || u < 0)) return null;
  const liked = user ? likedItems(model, user, u, topN) : new Int32Array(0);
  const { scores, personal } = scoreTopN(topN, user ? u : -1, liked);
  const allow = options.allow ?? null;
  const played = options.excludePlayed && user ? new Set<number>(user.items) : null;
  const top = topK(
    scores,
    options.n,
    (i) =>
      (allow !== null && allow[i] === 0) || (options.exclude?.has(i) ?? false) || (played?.has(i) ?? false),
  );
  return {
    source: personal && user ? user.source : "popularity",
    recommender: personal ? describeChoice(topN.choice) : "popularity",
    items: Array.from(top, (i) => ({
      index: i,
      affinity: user ? scoreUserItem(model, user, i).affinity : model.itemLongRate[i],
      score: scores[i],
    })),
  };
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
