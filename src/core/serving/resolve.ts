import {
  type AffinityModel,
  scoreAffinity,
  scoreUserItem,
  type UserState,
} from "../affinity/affinity-model.js";
import type { CatalogueIndex, MatchCandidate } from "../matching/index.js";
import { Random } from "../random.js";
import type { CatalogueView } from "./catalogue-view.js";
import type { ServeSource } from "./recommend.js";
import {
  candidateEvidence,
  defaultResolveBlend,
  evidenceLift,
  priorTerm,
  type ResolveBlend,
} from "./resolve-blend.js";

export type ResolveStrategy = "personal" | "popularity" | "random";

export interface ResolveReason {
  factor: "text" | "personal-affinity" | "popularity" | "context" | "taught-preference";
  value: number;
  detail: string;
}

export interface ResolvedCandidate {
  item: string;
  title: string;
  creators: readonly string[];
  kind: string;
  /** The combined score the candidates are ranked by. */
  score: number;
  /** Softmax share of this candidate among all candidates: how sure the choice is. */
  confidence: number;
  textScore: number;
  matchedSpan: [number, number] | null;
  affinity: number | null;
  source: ServeSource;
  reasons: ResolveReason[];
  /** Set when a taught "never"/"dislike" rules the candidate out; it is listed last with confidence 0. */
  excluded?: boolean;
}

/** What context or a taught preference does to one candidate: logits to add, or a hard exclusion. */
export interface CandidateAdjustment {
  value: number;
  excluded?: boolean;
  reasons: ResolveReason[];
}

/** Called once per candidate with its catalogue facts; null when it has nothing to say. */
export type CandidateAdjuster = (candidate: {
  item: string;
  kind: string;
  title: string;
  creators: readonly string[];
  tags: readonly string[];
}) => CandidateAdjustment | null;

/**
 * How much a better text match counts against preference. Scores add 10·ln(textScore): a request naming
 * the creator ("hello by adele", text 1.0 vs about 0.76 for the other Hello) outweighs a preference gap
 * of 2.7 logits, while equal titles leave the choice to the listener's taste.
 */
export const TEXT_WEIGHT = 10;

/**
 * Ranks the candidate entities of a request for a user (null when unknown): text match first, then the
 * prior (the item's popularity) moved by the user's own evidence as `blend` weighs it (personal; see
 * ResolveBlend), or the prior alone (unknown user or the popularity strategy), or a draw from
 * `randomDraw` (the random baseline; seeded, so a ranking is reproducible). Equal scores are ordered by id.
 */
export function rankCandidates(
  model: AffinityModel,
  view: CatalogueView,
  user: UserState | null,
  candidates: ReadonlyArray<
    Pick<MatchCandidate, "itemId" | "score"> & { matchedSpan?: [number, number] | null }
  >,
  strategy: ResolveStrategy = "personal",
  randomDraw: () => number = seededDraw(0),
  adjusters: readonly CandidateAdjuster[] = [],
  blend: ResolveBlend = defaultResolveBlend,
): ResolvedCandidate[] {
  const totalPopularity = totalLongPlays(model);
  const ranked = candidates.map((c) => {
    const at = view.byId.get(c.itemId);
    const entry = at === undefined ? null : view.all[at];
    const i = at === undefined ? -1 : view.modelIndexOf[at];
    const textScore = Math.max(c.score, 1e-6);
    const reasons: ResolveReason[] = [
      { factor: "text", value: round(textScore), detail: `text match ${textScore.toFixed(2)}` },
    ];
    const popularity = i >= 0 ? model.popularity[i] : 0;
    const popularityTerm = priorTerm(model, i, totalPopularity);
    let preference: number;
    let affinity: number | null = null;
    let source: ServeSource;
    if (strategy === "random") {
      preference = randomDraw();
      source = "popularity";
    } else if (strategy === "popularity" || user === null) {
      preference = popularityTerm;
      source = i >= 0 ? "popularity" : "unknown-item";
      reasons.push({
        factor: "popularity",
        value: popularity,
        detail: `${popularity} long plays by all listeners`,
      });
    } else {
      const s = i < 0 ? scoreAffinity(model, -1, -1) : scoreUserItem(model, user, i);
      affinity = s.affinity;
      source = s.source;
      // The prior, moved by this user's evidence for the item (an item the model does not know has none).
      const lift = i < 0 ? 0 : evidenceLift(blend, candidateEvidence(model, user, i));
      preference = popularityTerm + lift;
      reasons.push({
        factor: "popularity",
        value: popularity,
        detail: `prior: ${popularity} long plays by all listeners; this listener's evidence moves it ${lift >= 0 ? "+" : ""}${lift.toFixed(2)}`,
      });
      reasons.push({
        factor: "personal-affinity",
        value: round(s.affinity),
        detail:
          s.source === "personal" || s.source === "folded-in"
            ? s.plays > 0
              ? `played ${s.plays} times before (history ${s.history.toFixed(2)}); affinity ${s.affinity.toFixed(2)}`
              : `never played; taste model says ${s.affinity.toFixed(2)}`
            : "item not in the model yet; global prior",
      });
    }
    const facts = {
      item: c.itemId,
      title: entry?.title ?? c.itemId,
      creators: entry?.creators ?? [],
      kind: entry?.kind ?? "other",
      tags: entry?.tags ?? [],
    };
    let adjustment = 0;
    let excluded = false;
    for (const adjust of adjusters) {
      const a = adjust(facts);
      if (!a) continue;
      adjustment += a.value;
      excluded ||= a.excluded === true;
      reasons.push(...a.reasons);
    }
    return {
      item: c.itemId,
      title: facts.title,
      creators: facts.creators,
      kind: facts.kind,
      excluded,
      score: TEXT_WEIGHT * Math.log(textScore) + preference + adjustment,
      confidence: 0,
      textScore: round(textScore),
      matchedSpan: c.matchedSpan ?? null,
      affinity: affinity === null ? null : round(affinity),
      source,
      reasons,
    };
  });
  // An excluded candidate ("never play ...") ranks below every other but is still listed, so a caller
  // sees that it matched and why it was not chosen.
  ranked.sort(
    (a, b) => Number(a.excluded) - Number(b.excluded) || b.score - a.score || a.item.localeCompare(b.item),
  );
  const top = ranked.length ? ranked[0].score : 0;
  const z = ranked.reduce((sum, r) => sum + (r.excluded ? 0 : Math.exp(r.score - top)), 0) || 1;
  for (const r of ranked) {
    r.confidence = r.excluded ? 0 : round(Math.exp(r.score - top) / z);
    r.score = round(r.score);
  }
  return ranked.map(({ excluded, ...r }) => (excluded ? { ...r, excluded } : r));
}

/** Uniform draws in [0, 1) from a seeded generator (Math.random cannot be seeded). */
export function seededDraw(seed: number): () => number {
  const rng = new Random(seed);
  return () => rng.next();
}

/** Text candidates for a free-text request (matcher), or the given candidate ids with full text score. */
export function textCandidates(
  index: CatalogueIndex,
  request: string,
  candidateIds?: readonly string[],
  limit = 10,
): Array<Pick<MatchCandidate, "itemId" | "score"> & { matchedSpan: [number, number] | null }> {
  if (candidateIds?.length) {
    const matched = new Map(index.match(request, { limit: 50 }).map((m) => [m.itemId, m]));
    return candidateIds.map((id) => ({
      itemId: id,
      score: matched.get(id)?.score ?? 1,
      matchedSpan: matched.get(id)?.matchedSpan ?? null,
    }));
  }
  return index
    .match(request, { limit })
    .map((m) => ({ itemId: m.itemId, score: m.score, matchedSpan: m.matchedSpan }));
}

const totals = new WeakMap<AffinityModel, number>();

/** Σ popularity + 1, once per model: summing 100k items on every request was a third of resolve's cost. */
export function totalLongPlays(model: AffinityModel): number {
  let total = totals.get(model);
  if (total === undefined) {
    total = model.popularity.reduce((a, b) => a + b, 0) + 1;
    totals.set(model, total);
  }
  return total;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
