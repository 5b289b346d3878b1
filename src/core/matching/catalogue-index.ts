import { normalizeText } from "./normalize.js";
import { phoneticPhrase } from "./phonetic.js";
import { type KindHint, type RequestReading, requestReadings, type Span } from "./request.js";
import { creatorSimilarity, editSimilarity } from "./similarity.js";
import { type Hit, TopK } from "./top-k.js";
import { TrigramIndex } from "./trigram-index.js";
import { stripSpokenVersion, stripVersion } from "./version.js";
import { WordIndex } from "./word-index.js";

/** What the index needs of an item; `CatalogueItem` and the simulator's items both fit. */
export interface MatchableItem {
  id: string;
  title: string;
  creators?: readonly string[];
  kind?: string;
}

export type MatchedOn = "exact" | "normalized" | "fuzzy";

export interface MatchCandidate {
  itemId: string;
  title: string;
  creators: readonly string[];
  kind: string | null;
  /** Text similarity of request and item, 0..1, title and (when the request names one) creator. */
  score: number;
  /** The title part of `score` alone. */
  titleScore: number;
  /** Character span of the request text that matched the title. */
  matchedSpan: Span;
  /** "exact": equal ignoring case; "normalized": equal after folding or as base titles; else "fuzzy". */
  matchedOn: MatchedOn;
  /** True when the request names a creator and it matches one of the item's creators. */
  creatorMatched: boolean;
}

export interface MatchOptions {
  /** Maximum candidates (default 10); items tied with the best score are all returned even beyond it. */
  limit?: number;
  /** Only items of this kind. */
  kind?: string;
  /** Minimum score (default 0.5); when nothing reaches it, the best candidates above 0.3 are returned. */
  minScore?: number;
}

const DEFAULT_LIMIT = 10;
const DEFAULT_MIN_SCORE = 0.5;
/** Floor for the fallback when nothing reaches minScore: near misses, not noise. */
const FALLBACK_FLOOR = 0.3;
/** Title scores below this are not candidates at all. */
const MIN_TITLE_SCORE = 0.35;
/** Equal base titles: "hello" for "Hello (Live)", "hello (live)" for "Hello". */
const BASE_TITLE_SCORE = 0.9;
/** Equal base titles, both with a version, not the same one: "hello (live)" for "Hello (Acoustic)". */
const OTHER_VERSION_SCORE = 0.85;
/** Fuzzy matches stay below every equal base title. */
const FUZZY_CAP = 0.89;
/** Base-title fuzzy matches count a little less than full-title ones. */
const BASE_FUZZY_FACTOR = 0.9;
/** Added when every word of the title sounds like the request's ("hallo" / "hello"). */
const PHONETIC_BONUS = 0.08;
/** Share of the title in the score of a request naming a creator. */
const TITLE_WEIGHT = 0.7;
/** Creator similarity from which a creator counts as matched ("adel" for "Adele" is 0.91). */
const CREATOR_MATCH = 0.7;
/**
 * Score factor for an item whose kind contradicts the request's kind words ("the audio book"): the same
 * as a named creator the item lacks (TITLE_WEIGHT), so that what was said outweighs taste and context
 * priors, as a named creator does (at 0.95, "play the audio book dune" on a TV ranked the movie first).
 */
const KIND_MISMATCH = 0.7;
/** Titles shortlisted per query string by each index before edit-distance re-scoring. */
const SHORTLIST = 24;
/** Word-index hits scoring below this share of the best hit are not worth re-scoring. */
const RELATIVE_WORD_SCORE = 0.5;
/** Least trigram Dice coefficient for a title to be shortlisted by the trigram index. */
const MIN_DICE = 0.3;
/** When no title scores this high from the word index, the trigram index is searched too. */
const DEEP_SEARCH_BELOW = 0.8;

const KIND_COMPATIBLE: Record<KindHint, readonly string[]> = {
  song: ["song"],
  video: ["video", "movie"],
  movie: ["movie", "video"],
  podcast: ["podcast"],
  audiobook: ["audiobook", "book"],
  book: ["book", "audiobook"],
};

const MATCHED_ON: readonly MatchedOn[] = ["exact", "normalized", "fuzzy"];
const EXACT = 0;
const NORMALIZED = 1;
const FUZZY = 2;

function lowerCollapsed(s: string): string {
  return s.toLowerCase().replace(/\s+/g, " ").trim();
}

/** Scores are rounded so that equal scores reached by different arithmetic compare equal (ties matter). */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** A reading prepared for scoring: query strings and per-key fuzzy score caches. */
interface Query {
  reading: RequestReading;
  /** Position among the match call's readings. */
  index: number;
  lower: string;
  full: string;
  base: string;
  fullPhonetic: string;
  basePhonetic: string;
  compatibleKinds: readonly string[] | null;
  /** Stamp of this query in the scratch caches (keys scored, fuzzy and creator similarities). */
  stamp: number;
  /** How the last `titleScore` call matched: EXACT, NORMALIZED or FUZZY. */
  matchedOn: number;
}

/**
 * Per-item and per-creator scratch arrays reused by every match call: one typed array per field instead
 * of an object per scored item keeps a query free of allocation and garbage. Stamps mark which entries
 * belong to the current call, so nothing has to be cleared between calls.
 */
class Scratch {
  /** Stamp of the current match call, for the per-item arrays. */
  stamp = 0;
  readonly seen: Int32Array;
  readonly score: Float64Array;
  readonly titleScore: Float64Array;
  readonly matchedOn: Uint8Array;
  readonly reading: Uint8Array;
  readonly creatorMatched: Uint8Array;
  touched: number[] = [];
  /** The `limit` best first scores of distinct items: a lower bound on the final top scores. */
  top = new TopK(0);
  /** Stamp of the current query (reading), for the per-key and per-creator caches. */
  queryStamp = 0;
  readonly keyScored: Int32Array;
  readonly fullStamp: Int32Array;
  readonly fullSim: Float64Array;
  readonly baseStamp: Int32Array;
  readonly baseSim: Float64Array;
  readonly creatorStamp: Int32Array;
  readonly creatorSim: Float64Array;

  constructor(items: number, keys: number, creators: number) {
    this.seen = new Int32Array(items);
    this.score = new Float64Array(items);
    this.titleScore = new Float64Array(items);
    this.matchedOn = new Uint8Array(items);
    this.reading = new Uint8Array(items);
    this.creatorMatched = new Uint8Array(items);
    this.keyScored = new Int32Array(keys);
    this.fullStamp = new Int32Array(keys);
    this.fullSim = new Float64Array(keys);
    this.baseStamp = new Int32Array(keys);
    this.baseSim = new Float64Array(keys);
    this.creatorStamp = new Int32Array(creators);
    this.creatorSim = new Float64Array(creators);
  }
}

/**
 * Finds the catalogue items a request may mean. It does not choose among them: "play hello" returns
 * both "Hello" by Adele and "Hello" by Lionel Richie with the same score, and the personal affinity
 * model decides. The index is therefore about recall and honest text scores:
 *
 * - every title is keyed as written and as its base title (without "(Live)", "- Remastered 2011"...);
 * - candidates come, for each reading of the request, from a word index (request words matched exactly,
 *   within one edit or by sound: fast, and enough for almost every request) and, when that finds nothing
 *   close, from a character-trigram index over whole titles (merged or split words, heavier slips);
 * - the shortlist is re-scored by edit distance (plus a bonus when titles sound alike), and creator
 *   names in the request lift matching items.
 *
 * Score scale (text similarity, 0..1): 1 for an equal title (ignoring case, accents, punctuation);
 * 0.9 for an equal base title ("hello" vs "Hello (Live)"), 0.85 when both carry different versions;
 * at most 0.89 for a fuzzy match, so a typo never outranks the real thing. With a creator in the
 * request, 70 % title and 30 % creator (0 when it does not match), so the named creator's item comes
 * first while other items of that title stay visible at 0.7. Kind words that contradict the item's
 * kind ("the movie" for a song) cost 30 %, readings other than the main one 2-3 %.
 *
 * Built once (about a second for 100k items); `match` is synchronous and reuses scratch arrays, so
 * one index serves one caller at a time, which is every caller in a single JavaScript thread.
 */
export class CatalogueIndex {
  /** Distinct normalized strings: every full title and every base title. */
  private readonly keys: string[] = [];
  private readonly keyIds = new Map<string, number>();
  private readonly keyPhonetic: string[];
  /**
   * Per key, the items whose full title normalizes to it and carries no version (their title score
   * depends on the key alone), those whose full title normalizes to it and carries a version, and those
   * whose base title normalizes to it.
   */
  private readonly keyPlain: number[][] = [];
  private readonly keyVersioned: number[][] = [];
  private readonly keyBase: number[][] = [];
  private readonly fullOf: Int32Array;
  private readonly baseOf: Int32Array;
  private readonly lower: string[];
  private readonly kinds: Array<string | undefined>;
  /** Distinct normalized creator names; per item its creator ids, flat with offsets. */
  private readonly creators: string[] = [];
  private readonly itemCreators: Int32Array;
  private readonly itemCreatorStart: Int32Array;
  /** Normalized creator names, also without a leading "the", for spotting a creator named without "by". */
  private readonly creatorNames = new Set<string>();
  private readonly words: WordIndex;
  private readonly trigrams: TrigramIndex;
  private readonly scratch: Scratch;

  constructor(private readonly items: readonly MatchableItem[]) {
    const n = items.length;
    const keyOf = (s: string): number => {
      let id = this.keyIds.get(s);
      if (id === undefined) {
        id = this.keys.length;
        this.keyIds.set(s, id);
        this.keys.push(s);
        this.keyPlain.push([]);
        this.keyVersioned.push([]);
        this.keyBase.push([]);
      }
      return id;
    };
    const creatorIds = new Map<string, number>();
    const itemCreators: number[] = [];
    this.itemCreatorStart = new Int32Array(n + 1);
    this.fullOf = new Int32Array(n);
    this.baseOf = new Int32Array(n);
    this.lower = new Array(n);
    this.kinds = new Array(n);
    for (let i = 0; i < n; i++) {
      const { title, creators = [], kind } = items[i];
      const full = normalizeText(title);
      const baseRaw = stripVersion(title);
      const base = baseRaw === title.trim() ? full : normalizeText(baseRaw) || full;
      const f = keyOf(full);
      const b = base === full ? f : keyOf(base);
      this.fullOf[i] = f;
      this.baseOf[i] = b;
      if (b === f) this.keyPlain[f].push(i);
      else {
        this.keyVersioned[f].push(i);
        this.keyBase[b].push(i);
      }
      this.lower[i] = lowerCollapsed(title);
      this.kinds[i] = kind;
      this.itemCreatorStart[i] = itemCreators.length;
      for (const name of creators) {
        const c = normalizeText(name);
        if (c === "") continue;
        let id = creatorIds.get(c);
        if (id === undefined) {
          id = this.creators.length;
          creatorIds.set(c, id);
          this.creators.push(c);
          this.creatorNames.add(c);
          if (c.startsWith("the ")) this.creatorNames.add(c.slice(4));
        }
        itemCreators.push(id);
      }
    }
    this.itemCreatorStart[n] = itemCreators.length;
    this.itemCreators = Int32Array.from(itemCreators);
    this.keyPhonetic = this.keys.map(phoneticPhrase);
    this.words = new WordIndex(this.keys);
    this.trigrams = new TrigramIndex(this.keys);
    this.scratch = new Scratch(n, this.keys.length, this.creators.length);
  }

  /** Number of items indexed. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Candidates for a request such as "play hello by adele", best first. Every reading of the request
   * (see `requestReadings`) is matched and each item keeps its best score. All items tied with the best
   * score are returned even beyond `limit`: same-title items are the ambiguity the caller must see.
   */
  match(text: string, options: MatchOptions = {}): MatchCandidate[] {
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!(limit >= 1)) return [];
    const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
    const s = this.scratch;
    s.stamp++;
    s.touched = [];
    s.top = new TopK(limit);
    const isCreator = (norm: string) => this.creatorNames.has(norm);
    const queries = requestReadings(text, isCreator)
      .filter((r) => r.titleNorm !== "")
      .map((r, index) => this.prepare(r, index));
    let bestTitle = 0;
    for (const q of queries) {
      bestTitle = Math.max(bestTitle, this.scoreKeys(q, this.fastKeys(q), options.kind));
    }
    if (bestTitle < DEEP_SEARCH_BELOW) {
      // Nothing close by words: search whole titles by trigrams (not for the "alternative" readings,
      // which exist for titles that literally contain the words the main reading dropped).
      for (const q of queries) {
        if (q.reading.source !== "alternative") this.scoreKeys(q, this.deepKeys(q), options.kind);
      }
    }

    const all = s.touched.sort(
      (a, b) =>
        s.score[b] - s.score[a] ||
        s.matchedOn[a] - s.matchedOn[b] ||
        s.creatorMatched[b] - s.creatorMatched[a] ||
        a - b,
    );
    let kept = all.filter((i) => s.score[i] >= minScore);
    if (kept.length === 0) kept = all.filter((i) => s.score[i] >= FALLBACK_FLOOR);
    let end = Math.min(limit, kept.length);
    while (end < kept.length && s.score[kept[end]] === s.score[kept[0]]) end++;
    return kept.slice(0, end).map((i) => this.candidate(i, queries));
  }

  private candidate(i: number, queries: Query[]): MatchCandidate {
    const item = this.items[i];
    const s = this.scratch;
    return {
      itemId: item.id,
      title: item.title,
      creators: item.creators ?? [],
      kind: item.kind ?? null,
      score: s.score[i],
      titleScore: s.titleScore[i],
      matchedSpan: [...queries[s.reading[i]].reading.titleSpan],
      matchedOn: MATCHED_ON[s.matchedOn[i]],
      creatorMatched: s.creatorMatched[i] === 1,
    };
  }

  private prepare(reading: RequestReading, index: number): Query {
    const full = reading.titleNorm;
    const stripped = stripVersion(reading.title);
    let base = stripped === reading.title.trim() ? full : normalizeText(stripped) || full;
    if (base === full) base = stripSpokenVersion(full);
    return {
      reading,
      index,
      lower: lowerCollapsed(reading.title),
      full,
      base,
      fullPhonetic: phoneticPhrase(full),
      basePhonetic: base === full ? "" : phoneticPhrase(base),
      compatibleKinds: reading.kindHint === null ? null : KIND_COMPATIBLE[reading.kindHint],
      stamp: ++this.scratch.queryStamp,
      matchedOn: FUZZY,
    };
  }

  /**
   * Keys from the word index, for the title and its base title. "Alternative" readings only look up their
   * exact title: they exist for titles that literally contain the words the main reading dropped
   * ("Stand By Me", "Start Me Up"), and searching them fuzzily would cost more than it finds.
   */
  private fastKeys(q: Query): number[] {
    if (q.reading.source === "alternative") {
      const out: number[] = [];
      for (const s of q.base === q.full ? [q.full] : [q.full, q.base]) {
        const k = this.keyIds.get(s);
        if (k !== undefined) out.push(k);
      }
      return out;
    }
    const hits = this.words.search(q.full, SHORTLIST);
    if (q.base !== q.full) hits.push(...this.words.search(q.base, SHORTLIST));
    let top = 0;
    for (const h of hits) top = Math.max(top, h.score);
    return hits.filter((h) => h.score >= RELATIVE_WORD_SCORE * top).map((h) => h.id);
  }

  /** Keys from the trigram index, for the title and its base title. */
  private deepKeys(q: Query): number[] {
    const out = this.trigrams.search(q.full, SHORTLIST, MIN_DICE).map((h) => h.id);
    if (q.base !== q.full) for (const h of this.trigrams.search(q.base, SHORTLIST, MIN_DICE)) out.push(h.id);
    return out;
  }

  /**
   * Scores the items of `keys` not yet scored for this query; returns the best title score seen. Keys
   * are taken best first, and the items of a key whose score cannot reach the current top `limit` are
   * skipped: a title shared by hundreds of items ("Summer") costs nothing when it is not in the running.
   */
  private scoreKeys(q: Query, keys: number[], kind: string | undefined): number {
    const s = this.scratch;
    const order: Hit[] = [];
    for (const k of keys) {
      if (s.keyScored[k] === q.stamp) continue;
      s.keyScored[k] = q.stamp;
      order.push({ id: k, score: q.full === this.keys[k] ? 1 : this.plainScore(q, k) });
    }
    order.sort((a, b) => b.score - a.score);
    const withCreator = q.reading.creatorNorm !== null;
    let bestTitle = 0;
    const score = (items: number[]) => {
      for (const i of items) {
        if (kind === undefined || this.kinds[i] === kind)
          bestTitle = Math.max(bestTitle, this.scoreItem(q, i));
      }
    };
    for (const { id: k, score: t } of order) {
      score(this.keyVersioned[k]);
      score(this.keyBase[k]);
      // Items without a version all score like the key (or 1 when equal but for case).
      const plain = this.keyPlain[k];
      if (plain.length === 0 || t < MIN_TITLE_SCORE) continue;
      bestTitle = Math.max(bestTitle, t);
      const bound = (withCreator ? TITLE_WEIGHT * t + 1 - TITLE_WEIGHT : t) * q.reading.weight;
      if (bound >= s.top.bar) score(plain);
    }
    return bestTitle;
  }

  /** Title score of an unversioned title whose normalized form is key k, when not equal to the request. */
  private plainScore(q: Query, k: number): number {
    let s = this.fuzzyFull(q, k);
    if (q.base !== q.full) {
      if (q.base === this.keys[k]) return BASE_TITLE_SCORE;
      s = Math.max(s, BASE_FUZZY_FACTOR * this.fuzzyBase(q, k, q.basePhonetic));
    }
    return Math.min(s, FUZZY_CAP);
  }

  /** Scores item i and keeps the score if it beats the item's score so far; returns the title score. */
  private scoreItem(q: Query, i: number): number {
    const titleScore = this.titleScore(q, i);
    if (titleScore < MIN_TITLE_SCORE) return titleScore;
    const r = q.reading;
    let score = titleScore;
    let creatorMatched = 0;
    if (r.creatorNorm !== null) {
      let cs = 0;
      for (let p = this.itemCreatorStart[i]; p < this.itemCreatorStart[i + 1]; p++) {
        cs = Math.max(cs, this.creatorSimilarity(q, r.creatorNorm, this.itemCreators[p]));
      }
      if (cs >= CREATOR_MATCH) creatorMatched = 1;
      score = TITLE_WEIGHT * titleScore + (1 - TITLE_WEIGHT) * (creatorMatched ? cs : 0);
    }
    const kind = this.kinds[i];
    if (q.compatibleKinds !== null && kind !== undefined && !q.compatibleKinds.includes(kind)) {
      score *= KIND_MISMATCH;
    }
    score = round6(score * r.weight);
    const s = this.scratch;
    if (s.seen[i] !== s.stamp) {
      s.seen[i] = s.stamp;
      s.touched.push(i);
      s.top.offer(i, score);
    } else if (!(score > s.score[i] || (score === s.score[i] && q.matchedOn < s.matchedOn[i]))) {
      return titleScore;
    }
    s.score[i] = score;
    s.titleScore[i] = round6(titleScore);
    s.matchedOn[i] = q.matchedOn;
    s.reading[i] = q.index;
    s.creatorMatched[i] = creatorMatched;
    return titleScore;
  }

  /** Similarity of the request's creator and creator c, cached per query. */
  private creatorSimilarity(q: Query, spoken: string, c: number): number {
    const s = this.scratch;
    if (s.creatorStamp[c] !== q.stamp) {
      s.creatorStamp[c] = q.stamp;
      s.creatorSim[c] = creatorSimilarity(spoken, this.creators[c], CREATOR_MATCH);
    }
    return s.creatorSim[c];
  }

  /** Title similarity of the query and item i (see the score scale above); sets `q.matchedOn`. */
  private titleScore(q: Query, i: number): number {
    q.matchedOn = EXACT;
    if (q.lower === this.lower[i]) return 1;
    q.matchedOn = NORMALIZED;
    const f = this.fullOf[i];
    const b = this.baseOf[i];
    if (q.full === this.keys[f]) return 1;
    const queryVersioned = q.base !== q.full;
    const itemVersioned = b !== f;
    if (q.base === this.keys[b])
      return queryVersioned && itemVersioned ? OTHER_VERSION_SCORE : BASE_TITLE_SCORE;
    q.matchedOn = FUZZY;
    let s = this.fuzzyFull(q, f);
    if (queryVersioned || itemVersioned) {
      s = Math.max(
        s,
        BASE_FUZZY_FACTOR * this.fuzzyBase(q, b, queryVersioned ? q.basePhonetic : q.fullPhonetic),
      );
    }
    return Math.min(s, FUZZY_CAP);
  }

  /** Fuzzy similarity of the query's title and key k, cached per query. */
  private fuzzyFull(q: Query, k: number): number {
    const s = this.scratch;
    if (s.fullStamp[k] !== q.stamp) {
      s.fullStamp[k] = q.stamp;
      s.fullSim[k] = this.fuzzy(q.full, q.fullPhonetic, k);
    }
    return s.fullSim[k];
  }

  /** Fuzzy similarity of the query's base title and key k, cached per query. */
  private fuzzyBase(q: Query, k: number, phonetic: string): number {
    const s = this.scratch;
    if (s.baseStamp[k] !== q.stamp) {
      s.baseStamp[k] = q.stamp;
      s.baseSim[k] = this.fuzzy(q.base, phonetic, k);
    }
    return s.baseSim[k];
  }

  /** Edit similarity of a query string and key k, plus a bonus when they sound alike. */
  private fuzzy(query: string, phonetic: string, k: number): number {
    let sim = editSimilarity(query, this.keys[k], MIN_TITLE_SCORE - PHONETIC_BONUS);
    if (phonetic !== "" && phonetic === this.keyPhonetic[k]) sim += PHONETIC_BONUS;
    return sim;
  }
}
