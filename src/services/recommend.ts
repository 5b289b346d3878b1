import { type ContextLift, describeLifts } from "../core/context/index.js";
import { topK } from "../core/metrics/index.js";
import {
  intersectMasks,
  type PreferenceEffectSummary,
  preferenceMasks,
  rerankWithPreferences,
} from "../core/preferences/index.js";
import { describeChoice, scoreItemItem } from "../core/recommend/index.js";
import { filterMask, type ItemFilter } from "../core/serving/catalogue-view.js";
import {
  type RecommendOptions,
  recommendItems,
  recommendWithTopN,
  type ServeSource,
} from "../core/serving/recommend.js";
import { similarItems } from "../core/topn/index.js";
import type { PlayContext } from "../schema/events.js";
import type { ServiceContext } from "./context.js";
import { type PreferencesService, preferenceContext } from "./preferences.js";
import { describeItem, itemIdentity, round6, type ServingModel, userFor } from "./serving-model.js";

export interface RecommendRequest {
  n?: number;
  /** "played" (default) leaves out what the user played; a list leaves out those ids; "none" keeps all. */
  exclude?: "played" | "none" | string[];
  filter?: ItemFilter;
  context?: PlayContext;
  /** When (default now): for context priors and preference scopes and expiry. */
  timeMs?: number;
  useContext?: boolean;
  usePreferences?: boolean;
}

export interface ItemListAnswer {
  user?: string;
  item?: string;
  model: string;
  source: ServeSource;
  /**
   * Which model ranked the items: the top-N model chosen at training ("ease (λ 200) + 0.05 popularity",
   * "item-knn (200 neighbours)", "warp (80 epochs)"), "popularity" for a user it cannot score, or
   * "affinity" where the affinity model ranked (versions without a top-N model, large catalogues).
   */
  recommender: string;
  items: Array<
    { item: string; title: string; creators: readonly string[]; kind: string } & Record<string, unknown>
  >;
  /** What each taught preference did to this answer. */
  preferences?: PreferenceEffectSummary[];
}

/** Choosing items: top-n for a user (with taught preferences and context) and items like an item. */
export class RecommendService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly preferences: PreferencesService,
  ) {}

  /** Top-n items for a user; an unknown user gets the most played items (source popularity). */
  async forUser(user: string, options: RecommendRequest = {}): Promise<ItemListAnswer> {
    const current = await this.ctx.models.require();
    const exclude = new Set<number>();
    if (Array.isArray(options.exclude)) {
      for (const id of options.exclude) {
        const i = current.itemIndex.get(id);
        if (i !== undefined) exclude.add(i);
      }
    }
    const n = options.n ?? 10;
    const now = options.timeMs ?? Date.now();
    const facts = options.usePreferences === false ? [] : await this.preferences.factsFor(user);
    const context = options.useContext === false ? undefined : options.context;
    const masks = facts.length
      ? preferenceMasks(current.view.byModelIndex, facts, now, { context: preferenceContext(context) })
      : null;
    const allow = intersectMasks(filterMask(current.view, options.filter), masks?.allow ?? null);
    const priors = context ? current.contextPriors : null;
    // Preferences and context re-rank, so fetch more than n for them to choose from.
    const fetch = masks || priors ? Math.max(3 * n, n + 20) : n;
    const state = userFor(current, user);
    const query = {
      topN: current.topN,
      excludePlayed: (options.exclude ?? "played") === "played",
      exclude,
    };
    const u = current.userIndex.get(user) ?? -1;
    // The top-N model where this version has one and it can score the user, else the affinity model.
    const rank = (o: RecommendOptions) =>
      (current.recommender && recommendWithTopN(current.recommender, current.model, state, u, o)) || {
        ...recommendItems(current.model, state, o),
        recommender: state ? "affinity" : "popularity",
      };
    const result = rank({ ...query, n: fetch, allow });
    let scored = result.items;
    if (masks?.boosted) {
      // "More jazz": the liked items beyond the plain top-n get their chance too.
      const boosted = rank({
        ...query,
        n: fetch,
        allow: intersectMasks(allow, masks.boosted),
      });
      const seen = new Set(scored.map((r) => r.index));
      scored = [...scored, ...boosted.items.filter((r) => !seen.has(r.index))];
    }
    // Most requests come from users who taught nothing and carry no context: the ranker's order stands
    // (best first, no duplicates), and the items are written straight from it. The re-ranking's per-item
    // look-ups, string sets and copied entries were a tenth of a recommendation's CPU over HTTP, the
    // copies and spreads another tenth (npm run bench -- serve with SERVER_PROF).
    if (facts.length === 0 && !priors) {
      // (No facts: no masks either. `+ 0` as the context's lift added before, so a -0 score stays 0.)
      const top = result.items.length > n ? result.items.slice(0, n) : result.items;
      return {
        user,
        model: current.manifest.version,
        source: result.source,
        recommender: result.recommender,
        items: top.map((r) => recommendedItem(current, r.index, r.affinity, r.score + 0, null, null)),
      };
    }
    const lifted = scored.map((r) => {
      const item = priors ? current.view.byModelIndex[r.index] : undefined;
      const lift =
        priors && item ? priors.score(user, { kind: item.kind, item: item.id }, context, now) : null;
      return { ...r, score: r.score + (lift?.value ?? 0), context: lift };
    });
    const reranked = rerankWithPreferences(lifted, (r) => current.view.byModelIndex[r.index], facts, now, {
      context: preferenceContext(context),
    });
    return {
      user,
      model: current.manifest.version,
      source: result.source,
      recommender: result.recommender,
      items: reranked.items
        .slice(0, n)
        .map(({ entry: r, score, reasons }) =>
          recommendedItem(current, r.index, r.affinity, score, reasons, r.context),
        ),
      ...(masks ? { preferences: masks.effects } : {}),
    };
  }

  /**
   * Items like this one: with an item-item top-N model (EASE, item-kNN), the items that liking this one
   * adds most to (its row of the model); otherwise the cosine of the factorization's item vectors. An
   * unknown item gets popular ones.
   */
  async similar(item: string, options: { n?: number; filter?: ItemFilter } = {}): Promise<ItemListAnswer> {
    const current = await this.ctx.models.require();
    const i = current.itemIndex.get(item);
    const n = options.n ?? 10;
    const allow = filterMask(current.view, options.filter);
    if (i === undefined) {
      const popular = recommendItems(current.model, null, { n, excludePlayed: false, allow });
      return {
        item,
        model: current.manifest.version,
        source: "unknown-item",
        recommender: "popularity",
        items: popular.items.map((r) =>
          describeItem(current, r.index, { similarity: null, score: round6(r.score) }),
        ),
      };
    }
    const itemItem = current.recommender?.itemItem;
    if (itemItem) {
      const row = scoreItemItem(itemItem, [i]);
      const top = topK(row, n, (j) => j === i || row[j] <= 0 || (allow !== null && allow[j] === 0));
      return {
        item,
        model: current.manifest.version,
        source: "personal",
        recommender: describeChoice(current.recommender!.choice),
        items: Array.from(top, (j) =>
          describeItem(current, j, { similarity: round6(row[j]), score: round6(row[j]) }),
        ),
      };
    }
    const similar = similarItems(current.model.factors, i, n, { allow: allow ?? undefined });
    return {
      item,
      model: current.manifest.version,
      source: "personal",
      recommender: "affinity",
      items: Array.from(similar.items, (j, r) =>
        describeItem(current, j, { similarity: round6(similar.scores[r]), score: round6(similar.scores[r]) }),
      ),
    };
  }
}

/**
 * One item of a recommendation answer: its id, title, creators and kind (as describeItem gives them), its
 * affinity and score (six decimals), and what preferences and context did to it where they did anything.
 */
function recommendedItem(
  current: ServingModel,
  index: number,
  affinity: number,
  score: number,
  reasons: string[] | null,
  context: { value: number; lifts: readonly ContextLift[] } | null | undefined,
): ItemListAnswer["items"][number] {
  // Fields added to the identity object in the answer's key order, rather than spread into a new one.
  const out: ItemListAnswer["items"][number] = Object.assign(itemIdentity(current, index), {
    affinity: round6(affinity),
    score: round6(score),
  });
  if (reasons?.length) out.preferences = reasons;
  if (context?.lifts.length)
    out.context = { value: round6(context.value), detail: describeLifts(context.lifts) };
  return out;
}
