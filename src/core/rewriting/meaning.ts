/**
 * Does a rewrite say the same thing as its source? (Issue 19, "meaning is kept".) Users who fail and try
 * again do not only correct themselves: web searchers give up on one shop and try its rival ("priceline" ->
 * "travelocity"), listeners give up on one title and ask for another. A reformulation chain cannot tell
 * the two apart, so a rewrite must pass this check before it enters the table: the rewrite may fix the
 * spelling or the sound of the source's words ("goggle" -> "google", "hey dude" -> "hey jude"), or add what
 * the source left open (a creator, a kind: "hello" -> "hello by adele", "gone girl" -> "the audiobook gone
 * girl"), but not name something else (another title, another creator, another kind than the source named).
 *
 * When the catalogue says what the rewrite resolves to, the check compares the source's words with that
 * entity's title and creators as well, so a rewrite whose words look alike but resolve to an unrelated item
 * fails. Pure text functions, no I/O.
 */
import { normalizeText } from "../matching/normalize.js";
import { phoneticKey } from "../matching/phonetic.js";
import { parseRequest } from "../matching/request.js";
import { editSimilarity } from "../matching/similarity.js";

/** Why a pair keeps or changes the meaning. */
export type MeaningReason =
  /** Same words once command, kind and creator are parsed off: only phrasing differs. */
  | "same-words"
  /** The title's words are spelled or sound alike ("goggle" -> "google", "serious" -> "sirius"). */
  | "spelling"
  /** The rewrite keeps every word of the source and adds some (a creator, a kind, a missing word). */
  | "adds-detail"
  /** The title's words differ: another title, brand or name. */
  | "other-words"
  /** The source named a creator and the rewrite names another. */
  | "other-creator"
  /** The source named a kind (song, movie, audiobook...) and the rewrite another. */
  | "other-kind"
  /** The entity the rewrite resolves to is not what the source's words name. */
  | "other-entity";

export interface MeaningVerdict {
  same: boolean;
  reason: MeaningReason;
}

/** What the rewrite resolves to in the catalogue, when known: the check then compares the source with it. */
export interface MeaningEntity {
  title: string;
  creators?: readonly string[];
}

/** Words that carry no meaning of their own in a request or a search ("the", "com", "www"). */
const FILLER = new Set([
  "a",
  "an",
  "the",
  "of",
  "and",
  "n",
  "to",
  "for",
  "in",
  "on",
  "my",
  "me",
  "please",
  "com",
  "www",
  "http",
  "org",
  "net",
  "station",
  "radio",
  "channel",
]);

function contentWords(norm: string): string[] {
  return norm.split(" ").filter((w) => w !== "" && !FILLER.has(w));
}

/**
 * Two words are the same word misspelled or misheard: equal, one sound key (for words of 3+ letters), or
 * one edit in four letters and better ("dude"/"jude", "goggle"/"google", "june"/"dune").
 */
export function wordsAlike(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length >= 3 && b.length >= 3 && phoneticKey(a) === phoneticKey(b)) return true;
  return Math.min(a.length, b.length) >= 4 && editSimilarity(a, b) >= 0.7;
}

/**
 * How the rewrite's content words relate to the source's: "same" (alike one to one, in any order),
 * "superset" (every source word has an alike rewrite word, and the rewrite has more), or "other". Spacing
 * does not count: "my space" and "myspace", "linen n things" and "linens n things" are alike as a whole.
 */
function compareWords(source: string[], rewrite: string[]): "same" | "superset" | "other" {
  if (source.length === 0) return rewrite.length === 0 ? "same" : "superset";
  const joinedS = source.join("");
  const joinedR = rewrite.join("");
  if (joinedS === joinedR) return "same";
  // Whole phrases misheard across word boundaries ("this pa cito" for "despacito", "suite dreams" for
  // "sweet dreams"): one sound key, or close spelling over enough letters that rivals rarely get there.
  const shorter = Math.min(joinedS.length, joinedR.length);
  if (shorter >= 5 && phoneticKey(joinedS) === phoneticKey(joinedR)) return "same";
  if (shorter >= 5 && editSimilarity(joinedS, joinedR) >= (shorter >= 8 ? 0.7 : 0.8)) return "same";
  const used = new Uint8Array(rewrite.length);
  for (const w of source) {
    let k = rewrite.findIndex((r, i) => !used[i] && r === w);
    if (k < 0) k = rewrite.findIndex((r, i) => !used[i] && wordsAlike(w, r));
    if (k < 0) return "other";
    used[k] = 1;
  }
  return rewrite.length > source.length ? "superset" : "same";
}

function creatorsAlike(a: string, b: string): boolean {
  const wa = contentWords(a);
  const wb = contentWords(b);
  const c = compareWords(wa, wb);
  return c === "same" || (c === "superset" && wa.length > 0) || compareWords(wb, wa) === "superset";
}

/**
 * The verdict on one pair of utterances (any case and punctuation). Requests are parsed into title,
 * creator and kind ("play the song hey jude by the beatles"); a search query is all title.
 */
export function sameMeaning(source: string, rewrite: string, entity?: MeaningEntity): MeaningVerdict {
  const s = parseRequest(source);
  const r = parseRequest(rewrite);
  const sTitle = contentWords(normalizeText(s.title));
  const rTitle = contentWords(normalizeText(r.title));
  const sCreator = s.creator === null ? null : normalizeText(s.creator);
  const rCreator = r.creator === null ? null : normalizeText(r.creator);
  if (s.kindHint !== null && r.kindHint !== null && s.kindHint !== r.kindHint)
    return { same: false, reason: "other-kind" };
  if (sCreator !== null && rCreator !== null && !creatorsAlike(sCreator, rCreator))
    return { same: false, reason: "other-creator" };
  // A creator the source named may move into the rewrite's title ("adele hello" -> "hello by adele").
  const sWords = sCreator !== null && rCreator === null ? [...sTitle, ...contentWords(sCreator)] : sTitle;
  const rWords = rCreator !== null && sCreator === null ? [...rTitle, ...contentWords(rCreator)] : rTitle;
  let words = compareWords(sTitle, rTitle);
  if (words === "other") words = compareWords(sWords, rWords);
  if (words === "other") return { same: false, reason: "other-words" };
  if (entity) {
    const eTitle = contentWords(normalizeText(entity.title));
    const named = compareWords(sTitle, eTitle);
    const byCreator = (entity.creators ?? []).some((c) => {
      const cw = contentWords(normalizeText(c));
      return compareWords(sWords, [...eTitle, ...cw]) !== "other";
    });
    if (named === "other" && !byCreator) return { same: false, reason: "other-entity" };
  }
  const addsCreator = sCreator === null && rCreator !== null;
  const addsKind = s.kindHint === null && r.kindHint !== null;
  if (words === "superset" || addsCreator || addsKind) return { same: true, reason: "adds-detail" };
  const exact = sTitle.join(" ") === rTitle.join(" ");
  return { same: true, reason: exact ? "same-words" : "spelling" };
}
