import { normalizeText, stripVersion } from "../matching/index.js";
import type { ResolveReason } from "../serving/resolve.js";
import {
  isPreferenceActive,
  type PreferenceFact,
  type PreferencePolarity,
  type PreferenceTargetType,
  targetKey,
} from "./preference-fact.js";
import { type PreferenceItem, preferenceIndexOf } from "./preference-index.js";
import { contextMatches, kindAccepts, type PreferenceContext, scopeMatches } from "./preference-scope.js";
import { type PreferenceEffect, preferenceReason } from "./preference-text.js";

/**
 * recommend: dislike and never leave items out. resolve: the user asked for something, so never blocks
 * (the application may confirm) and dislike only ranks lower, unless the request names it.
 */
export type PreferenceMode = "recommend" | "resolve";

export interface ApplyPreferenceOptions {
  context?: PreferenceContext;
  mode?: PreferenceMode;
  /** The request text, in resolve: a dislike it names ("hello by adele") is waived for it. */
  request?: string;
}

export interface AppliedPreference {
  factId: string;
  polarity: PreferencePolarity;
  effect: PreferenceEffect;
  /** Added to the item's score (logits). */
  boost: number;
  reason: string;
}

export interface PreferenceAdjustment {
  /** Leave the item out (recommend: never or dislike; resolve: never). */
  excluded: boolean;
  /** Excluded by a never, which even a request naming the item does not lift. */
  blocked: boolean;
  boost: number;
  reasons: string[];
  applied: AppliedPreference[];
}

/**
 * Score changes in logits, the scale of both recommend and resolve scores. A dislike's -3 in resolve
 * outweighs most taste differences between same-title candidates yet stays below the 3.6 a request
 * naming the creator adds (10·ln(1/0.7)), so a named item still wins.
 */
export const PREFERENCE_BOOSTS = { like: 0.75, more: 1.25, less: -1.25, dislike: -3 } as const;

const SPECIFICITY: Record<PreferenceTargetType, number> = { kind: 0, tag: 1, creator: 2, entity: 3 };

interface ItemNames {
  tags: Set<string>;
  creators: Set<string>;
  titles: Set<string>;
}

/** Items are the catalogue's long-lived objects: their folded names are computed once. */
const names = new WeakMap<PreferenceItem, ItemNames>();

function namesOf(item: PreferenceItem): ItemNames {
  let n = names.get(item);
  if (n === undefined) {
    const tags = new Set<string>();
    for (const t of item.tags) {
      const norm = normalizeText(t);
      tags.add(norm);
      tags.add(norm.replace(/ /g, ""));
    }
    n = {
      tags,
      creators: new Set(item.creators.map(normalizeText)),
      titles: new Set([normalizeText(item.title), normalizeText(stripVersion(item.title))]),
    };
    names.set(item, n);
  }
  return n;
}

/** True when the fact is about this item, whatever its scope. */
export function preferenceTargets(fact: PreferenceFact, item: PreferenceItem): boolean {
  const t = fact.target;
  const n = namesOf(item);
  switch (t.type) {
    case "kind":
      return item.kind === t.value;
    case "entity":
      return t.itemId !== undefined ? item.id === t.itemId : n.titles.has(t.value);
    case "creator":
      return n.creators.has(t.value) || (!t.matched && n.tags.has(t.value));
    case "tag":
      // Free text not found in the catalogue may turn out to be a creator, or a tag spelled without spaces.
      return (
        n.tags.has(t.value) ||
        (!t.matched && (n.creators.has(t.value) || n.tags.has(t.value.replace(/ /g, ""))))
      );
  }
}

function namedIn(request: string, fact: PreferenceFact): boolean {
  return request !== "" && ` ${request} `.includes(` ${fact.target.value} `);
}

/**
 * How a user's taught preferences change one item: left out, blocked, or moved up or down, with the
 * reasons to show. Expired facts and facts scoped elsewhere are ignored. Among facts about the same
 * target the newest wins; a like of something more specific (an artist, a title) overrides a dislike of
 * something broader (a genre): "I don't like country" and "I love Dolly Parton" keep Dolly.
 */
export function preferenceAdjustment(
  item: PreferenceItem,
  facts: readonly PreferenceFact[],
  nowMs: number,
  options: ApplyPreferenceOptions = {},
): PreferenceAdjustment {
  const none: PreferenceAdjustment = { excluded: false, blocked: false, boost: 0, reasons: [], applied: [] };
  const newest = new Map<string, PreferenceFact>();
  for (const fact of facts) {
    if (!isPreferenceActive(fact, nowMs) || !preferenceTargets(fact, item)) continue;
    if (!scopeMatches(fact.scope, item.kind, nowMs, options.context)) continue;
    const key = targetKey(fact.target);
    const seen = newest.get(key);
    if (seen === undefined || fact.createdAtMs >= seen.createdAtMs) newest.set(key, fact);
  }
  if (newest.size === 0) return none;
  const matching = [...newest.values()].sort(
    (a, b) =>
      SPECIFICITY[b.target.type] - SPECIFICITY[a.target.type] ||
      b.createdAtMs - a.createdAtMs ||
      a.id.localeCompare(b.id),
  );
  let likedSpecificity = -1;
  for (const f of matching) {
    if (f.polarity === "like" || f.polarity === "more") {
      likedSpecificity = Math.max(likedSpecificity, SPECIFICITY[f.target.type]);
    }
  }
  const mode = options.mode ?? "recommend";
  const request = options.request === undefined ? "" : normalizeText(options.request);
  const tz = options.context?.timeZoneOffsetMinutes ?? 0;
  const out: PreferenceAdjustment = { ...none, reasons: [], applied: [] };
  for (const fact of matching) {
    let effect: PreferenceEffect;
    let boost = 0;
    switch (fact.polarity) {
      case "never":
        effect = mode === "resolve" ? "blocked" : "excluded";
        out.excluded = true;
        out.blocked = true;
        break;
      case "dislike":
        if (likedSpecificity > SPECIFICITY[fact.target.type]) effect = "overridden";
        else if (mode === "recommend") {
          effect = "excluded";
          out.excluded = true;
        } else if (namedIn(request, fact)) effect = "waived";
        else {
          effect = "lowered";
          boost = PREFERENCE_BOOSTS.dislike;
        }
        break;
      case "less":
        if (mode === "resolve" && namedIn(request, fact)) effect = "waived";
        else {
          effect = "lowered";
          boost = PREFERENCE_BOOSTS.less;
        }
        break;
      case "like":
      case "more":
        effect = "boosted";
        boost = PREFERENCE_BOOSTS[fact.polarity];
        break;
    }
    const reason = preferenceReason(fact, effect, nowMs, tz);
    out.boost += boost;
    out.reasons.push(reason);
    out.applied.push({ factId: fact.id, polarity: fact.polarity, effect, boost, reason });
  }
  out.boost = Math.round(out.boost * 1e6) / 1e6;
  return out;
}

/** One preference's effect over a whole catalogue, for the answer's explanation. */
export interface PreferenceEffectSummary {
  factId: string;
  polarity: PreferencePolarity;
  effect: PreferenceEffect;
  /** Items it applied to in this context. */
  items: number;
  reason: string;
}

export interface PreferenceMasks {
  /** 1 = may be recommended; null when nothing is left out. AND it with the request's filter. */
  allow: Uint8Array | null;
  /** 1 = moved up by a like or more: fetch these too, so that "more jazz" can surface beyond the top-n. */
  boosted: Uint8Array | null;
  /** Per active fact, what it did (and to how many items), in the order of the facts. */
  effects: PreferenceEffectSummary[];
}

/**
 * Recommend's masks over a catalogue aligned with model indices (null = not described, left alone):
 * the items preferences leave out, and those they favour. The catalogue array is indexed on first use
 * (kept while the array lives, so it must not change): a call then costs what the facts touch.
 */
export function preferenceMasks(
  items: ReadonlyArray<PreferenceItem | null>,
  facts: readonly PreferenceFact[],
  nowMs: number,
  options: Omit<ApplyPreferenceOptions, "mode" | "request"> = {},
): PreferenceMasks {
  const context = options.context;
  const tz = context?.timeZoneOffsetMinutes ?? 0;
  const active = facts.filter((f) => isPreferenceActive(f, nowMs) && contextMatches(f.scope, nowMs, context));
  if (active.length === 0) return { allow: null, boosted: null, effects: [] };
  const index = preferenceIndexOf(items);
  // Per item, the one fact about it (its position in `active`), or -2 when several are: those need the
  // full rules (newest per target, specific likes over broad dislikes); the rest follow their fact.
  const only = new Int32Array(items.length).fill(-1);
  const touched: number[] = [];
  active.forEach((fact, k) => {
    for (const at of index.positions(fact.target)) {
      if (!kindAccepts(fact.scope?.kind, items[at]!.kind)) continue;
      if (only[at] === -1) {
        only[at] = k;
        touched.push(at);
      } else if (only[at] !== k) only[at] = -2;
    }
  });
  const allow = new Uint8Array(items.length).fill(1);
  const boosted = new Uint8Array(items.length);
  let anyExcluded = false;
  let anyBoosted = false;
  const summaries = new Map<string, PreferenceEffectSummary>();
  const count = (
    fact: { id: string; polarity: PreferencePolarity },
    effect: PreferenceEffect,
    items: number,
    reason: () => string,
  ) => {
    const key = `${fact.id}\u0000${effect}`;
    const seen = summaries.get(key);
    if (seen) seen.items += items;
    else summaries.set(key, { factId: fact.id, polarity: fact.polarity, effect, items, reason: reason() });
  };
  // Alone on an item, a fact's effect depends on its polarity only.
  const alone = active.map(
    (f): PreferenceEffect =>
      f.polarity === "never" || f.polarity === "dislike"
        ? "excluded"
        : f.polarity === "less"
          ? "lowered"
          : "boosted",
  );
  const aloneCount = new Int32Array(active.length);
  for (const at of touched) {
    const k = only[at];
    if (k >= 0) {
      aloneCount[k]++;
      if (alone[k] === "excluded") allow[at] = 0;
      else if (alone[k] === "boosted") boosted[at] = 1;
      continue;
    }
    const adj = preferenceAdjustment(items[at]!, active, nowMs, { ...options, mode: "recommend" });
    if (adj.excluded) {
      allow[at] = 0;
      anyExcluded = true;
    } else if (adj.boost > 0) {
      boosted[at] = 1;
      anyBoosted = true;
    }
    // A left-out item is reported under what left it out only.
    for (const a of adj.applied) {
      if (adj.excluded && a.effect !== "excluded") continue;
      count({ id: a.factId, polarity: a.polarity }, a.effect, 1, () => a.reason);
    }
  }
  active.forEach((fact, k) => {
    if (aloneCount[k] === 0) return;
    if (alone[k] === "excluded") anyExcluded = true;
    if (alone[k] === "boosted") anyBoosted = true;
    count(fact, alone[k], aloneCount[k], () => preferenceReason(fact, alone[k], nowMs, tz));
  });
  const order = new Map(active.map((f, k) => [f.id, k]));
  const effects = [...summaries.values()].sort(
    (a, b) => (order.get(a.factId) ?? 0) - (order.get(b.factId) ?? 0) || a.effect.localeCompare(b.effect),
  );
  return { allow: anyExcluded ? allow : null, boosted: anyBoosted ? boosted : null, effects };
}

/** Both masks' allowed items (null = no restriction). */
export function intersectMasks(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (a === null) return b;
  if (b === null) return a;
  return Uint8Array.from(a, (x, i) => x & b[i]);
}

export interface RerankedEntry<T> {
  entry: T;
  /** The entry's score plus the preferences' boost. */
  score: number;
  boost: number;
  reasons: string[];
}

/**
 * Re-ranks a recommendation list (fetched with some slack, and with the boosted items) by the
 * preferences: left-out items removed, boosts added, sorted by the new score (ties keep the list's
 * order), duplicates of one item kept once.
 */
export function rerankWithPreferences<T extends { score: number }>(
  list: readonly T[],
  itemOf: (entry: T) => PreferenceItem | null | undefined,
  facts: readonly PreferenceFact[],
  nowMs: number,
  options: Omit<ApplyPreferenceOptions, "mode" | "request"> = {},
): { items: Array<RerankedEntry<T>>; removed: Array<{ entry: T; reasons: string[] }> } {
  const items: Array<RerankedEntry<T> & { at: number }> = [];
  const removed: Array<{ entry: T; reasons: string[] }> = [];
  const seen = new Set<string>();
  list.forEach((entry, at) => {
    const item = itemOf(entry);
    if (item) {
      if (seen.has(item.id)) return;
      seen.add(item.id);
    }
    const adj = item ? preferenceAdjustment(item, facts, nowMs, { ...options, mode: "recommend" }) : null;
    if (adj?.excluded) {
      removed.push({ entry, reasons: adj.reasons });
      return;
    }
    const boost = adj?.boost ?? 0;
    items.push({ entry, score: entry.score + boost, boost, reasons: adj?.reasons ?? [], at });
  });
  items.sort((a, b) => b.score - a.score || a.at - b.at);
  return { items: items.map(({ at: _, ...rest }) => rest), removed };
}

/** What a resolved candidate needs to be adjusted; `ResolvedCandidate` fits. */
export interface AdjustableCandidate {
  item: string;
  score: number;
  confidence: number;
  reasons: ResolveReason[];
}

/**
 * Applies preferences to resolve's ranked candidates: boosts and penalties change scores (with a
 * "taught-preference" reason each), candidates a never blocks move to `blocked`, and the rest are
 * re-sorted with confidences recomputed among them. When every candidate is blocked, `candidates` is
 * empty and the application can say why, or ask whether to play it anyway.
 */
export function adjustResolvedCandidates<C extends AdjustableCandidate>(
  ranked: readonly C[],
  lookup: (itemId: string) => PreferenceItem | null | undefined,
  facts: readonly PreferenceFact[],
  nowMs: number,
  options: Omit<ApplyPreferenceOptions, "mode"> = {},
): { candidates: C[]; blocked: C[] } {
  const candidates: C[] = [];
  const blocked: C[] = [];
  for (const c of ranked) {
    const item = lookup(c.item);
    const adj = item ? preferenceAdjustment(item, facts, nowMs, { ...options, mode: "resolve" }) : null;
    if (!adj || adj.applied.length === 0) {
      candidates.push(c);
      continue;
    }
    const reasons: ResolveReason[] = [
      ...c.reasons,
      ...adj.applied.map((a) => ({ factor: "taught-preference" as const, value: a.boost, detail: a.reason })),
    ];
    const adjusted: C = { ...c, score: round(c.score + adj.boost), reasons };
    (adj.blocked ? blocked : candidates).push(adjusted);
  }
  const order = new Map(ranked.map((c, k) => [c.item, k]));
  candidates.sort((a, b) => b.score - a.score || (order.get(a.item) ?? 0) - (order.get(b.item) ?? 0));
  const top = candidates.length ? candidates[0].score : 0;
  const z = candidates.reduce((sum, c) => sum + Math.exp(c.score - top), 0);
  const out = candidates.map((c) => ({ ...c, confidence: round(Math.exp(c.score - top) / z) }));
  return { candidates: out, blocked: blocked.map((c) => ({ ...c, confidence: 0 })) };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
