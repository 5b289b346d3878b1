import {
  type CatalogueIndex,
  creatorSimilarity,
  editSimilarity,
  normalizeText,
  stripVersion,
} from "../matching/index.js";

/** A name found in the catalogue, with how close the spoken name is to it (1 = the same after folding). */
export interface VocabularyMatch {
  /** Normalized name (normalizeText), what facts store and compare. */
  value: string;
  /** The name as the catalogue spells it. */
  display: string;
  score: number;
  /** For an entity that is a single catalogue item. */
  itemId?: string;
}

/**
 * What the preference parser needs to know of the catalogue: which names are tags, creators and titles.
 * An interface so that the parser runs over any catalogue (an in-memory list, a store query).
 */
export interface PreferenceVocabulary {
  findTag(name: string): VocabularyMatch | null;
  findCreator(name: string): VocabularyMatch | null;
  /** A title, optionally by a creator ("hello" by "adele"). */
  findEntity(name: string, creator?: string): VocabularyMatch | null;
}

/** What the vocabulary reads of an item; `CatalogueItem` and the serving view's items both fit. */
export interface VocabularyItem {
  id: string;
  title: string;
  creators?: readonly string[];
  tags?: readonly string[];
}

export interface CatalogueVocabularyOptions {
  /** Title search for entities (the serving matcher): exact and fuzzy; without it, equal titles only. */
  index?: Pick<CatalogueIndex, "match">;
  /** Least score of a fuzzy match (default 0.8). */
  minScore?: number;
}

/** Fuzzy matches stay below every exact one. */
const FUZZY_CAP = 0.95;
/** A creator in "X by Y" must be at least this close to one of the item's creators. */
const CREATOR_MATCH = 0.7;

interface Named {
  value: string;
  display: string;
}

/** The first spelling seen of each normalized name: deterministic for a given catalogue order. */
function addName(map: Map<string, Named>, raw: string) {
  const value = normalizeText(raw);
  if (value !== "" && !map.has(value)) map.set(value, { value, display: raw });
}

/** Prefers the higher score, then the shorter name, then the alphabetically first (for determinism). */
function better(a: VocabularyMatch | null, b: VocabularyMatch): boolean {
  if (a === null) return true;
  if (b.score !== a.score) return b.score > a.score;
  if (b.value.length !== a.value.length) return b.value.length < a.value.length;
  return b.value < a.value;
}

/**
 * A vocabulary over catalogue items. Tags match exactly after folding, ignoring spaces ("hip hop" for
 * "Hip-Hop") and a plural s, or by edit distance; creators as in request matching (a whole-word part of
 * the name counts, so "warriors" finds "Golden State Warriors"); titles exactly, or through `index`.
 */
export function catalogueVocabulary(
  items: readonly VocabularyItem[],
  options: CatalogueVocabularyOptions = {},
): PreferenceVocabulary {
  const minScore = options.minScore ?? 0.8;
  const tags = new Map<string, Named>();
  const creators = new Map<string, Named>();
  // Tags and creators repeat across items: each distinct spelling is folded once.
  const seenTags = new Set<string>();
  const seenCreators = new Set<string>();
  for (const item of items) {
    for (const t of item.tags ?? []) {
      if (seenTags.has(t)) continue;
      seenTags.add(t);
      addName(tags, t);
    }
    for (const c of item.creators ?? []) {
      if (seenCreators.has(c)) continue;
      seenCreators.add(c);
      addName(creators, c);
    }
  }
  const tagsCompact = new Map<string, Named>();
  for (const named of tags.values()) {
    const compact = named.value.replace(/ /g, "");
    if (!tagsCompact.has(compact)) tagsCompact.set(compact, named);
  }
  // Titles are folded on the first title lookup without an index (statements about titles are rare).
  let titles: Map<string, VocabularyItem[]> | null = null;
  const titleMap = (): Map<string, VocabularyItem[]> => {
    if (titles === null) {
      titles = new Map();
      for (const item of items) {
        for (const key of new Set([normalizeText(item.title), normalizeText(stripVersion(item.title))])) {
          if (key === "") continue;
          const list = titles.get(key);
          if (list) list.push(item);
          else titles.set(key, [item]);
        }
      }
    }
    return titles;
  };
  let byIdMap: Map<string, VocabularyItem> | null = null;
  const byId = (id: string): VocabularyItem | undefined => {
    byIdMap ??= new Map(items.map((i) => [i.id, i]));
    return byIdMap.get(id);
  };

  /** The closest name at least minScore alike, capped below the exact matches. */
  function bestFuzzy(
    names: ReadonlyMap<string, Named>,
    norm: string,
    similarity: (a: string, b: string, min: number) => number,
  ): VocabularyMatch | null {
    let best: VocabularyMatch | null = null;
    for (const named of names.values()) {
      const score = Math.min(FUZZY_CAP, similarity(norm, named.value, minScore));
      if (score >= minScore) {
        const m = { ...named, score };
        if (better(best, m)) best = m;
      }
    }
    return best;
  }

  function findTag(name: string): VocabularyMatch | null {
    const norm = normalizeText(name);
    if (norm === "") return null;
    const exact = tags.get(norm) ?? tagsCompact.get(norm.replace(/ /g, ""));
    if (exact) return { ...exact, score: 1 };
    const plural = norm.endsWith("s") ? tags.get(norm.slice(0, -1)) : tags.get(`${norm}s`);
    if (plural) return { ...plural, score: 0.98 };
    if (norm.length < 5) return null;
    return bestFuzzy(tags, norm, editSimilarity);
  }

  function findCreator(name: string): VocabularyMatch | null {
    const norm = normalizeText(name);
    if (norm === "") return null;
    const exact = creators.get(norm);
    if (exact) return { ...exact, score: 1 };
    return bestFuzzy(creators, norm, creatorSimilarity);
  }

  function entityMatch(found: readonly VocabularyItem[], score: number): VocabularyMatch {
    const first = found[0];
    const creator = first.creators?.[0];
    // Several items of one title ("Hello" by Adele and by Lionel Richie): the fact names the title.
    const single = found.every((f) => f.id === first.id);
    return {
      value: normalizeText(first.title),
      display: single && creator ? `${first.title} by ${creator}` : first.title,
      score,
      ...(single ? { itemId: first.id } : {}),
    };
  }

  function findEntity(name: string, creator?: string): VocabularyMatch | null {
    const norm = normalizeText(name);
    if (norm === "") return null;
    const creatorNorm = creator === undefined ? "" : normalizeText(creator);
    const byCreator = (item: VocabularyItem) =>
      creatorNorm === "" ||
      (item.creators ?? []).some((c) => creatorSimilarity(creatorNorm, normalizeText(c)) >= CREATOR_MATCH);
    if (options.index) {
      // The index scores equal titles 1 (and a named creator in), so it answers exact lookups as well.
      const query = creatorNorm === "" ? norm : `${norm} by ${creatorNorm}`;
      const hits = options.index.match(query, { limit: 10, minScore });
      const top = hits[0];
      if (!top || top.score < minScore || (creatorNorm !== "" && !top.creatorMatched)) return null;
      const tied = hits.filter((h) => h.score === top.score).map((h) => byId(h.itemId));
      const found = tied.filter((i): i is VocabularyItem => i !== undefined);
      if (found.length === 0) return null;
      return entityMatch(found, top.score >= 0.999 ? 1 : Math.min(FUZZY_CAP, top.score));
    }
    const map = titleMap();
    const exact = (map.get(norm) ?? map.get(normalizeText(stripVersion(name))) ?? []).filter(byCreator);
    if (exact.length === 0) return null;
    // The plain title first: "Hello" before "Hello (Live)".
    const sorted = [...exact].sort(
      (a, b) => Number(normalizeText(a.title) !== norm) - Number(normalizeText(b.title) !== norm),
    );
    const plain = sorted.filter((i) => normalizeText(i.title) === normalizeText(sorted[0].title));
    return entityMatch(plain, 1);
  }

  return { findTag, findCreator, findEntity };
}
