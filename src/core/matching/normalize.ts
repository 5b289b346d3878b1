/**
 * Text normalization shared by the request parser and the catalogue index. Requests come from speech
 * recognisers and keyboards ("PLAY BEYONCE", "put on Don't Stop"), catalogue titles from labels
 * ("Beyoncé", "Don’t Stop (Live)"); both sides go through the same folding so that case, accents,
 * apostrophes and punctuation never decide a match.
 *
 * `tokenize` and `normalizeText` are defined together on purpose: the parser works on tokens (to keep
 * character offsets into the original text) while the index works on whole normalized strings, and the
 * two must agree exactly, so `normalizeText(s)` is literally the tokens' normal forms joined by spaces.
 */

/** A word of the original text: its normal form and where it stands in the original string. */
export interface Token {
  /** Folded form (lower case, no accents); may contain a space when folding splits it ("½" -> "1 2"). */
  norm: string;
  /** Offset of the first character in the original text. */
  start: number;
  /** Offset one past the last character in the original text. */
  end: number;
}

/** Letters that NFKD leaves whole but that a listener would say or type as plain Latin letters. */
const FOLD: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
  ħ: "h",
  ŧ: "t",
};
const FOLD_RE = /[ßæœøłđðþıħŧ]/g;
const MARKS_RE = /\p{M}+/gu;
/** Apostrophes vanish instead of splitting a word: "don't" and "dont" must be the same word. */
const APOSTROPHES_RE = /['’ʼ‘`]/g;
const NOT_WORD_RE = /[^\p{L}\p{N}]+/gu;
/** Runs of letters, digits, combining marks and apostrophes, or a lone "&" (which reads "and"). */
const PLAIN_RE = /^[A-Za-z0-9]+$/;
const TOKEN_RE = /[\p{L}\p{N}\p{M}'’ʼ‘`]+|&/gu;

/** Folds one word: NFKD, lower case, combining marks removed, special letters spelled out. */
function foldWord(raw: string): string {
  if (raw === "&") return "and";
  // Fast path for the common case; the result is the same.
  if (PLAIN_RE.test(raw)) return raw.toLowerCase();
  return raw
    .normalize("NFKD")
    .toLowerCase()
    .replace(MARKS_RE, "")
    .replace(FOLD_RE, (c) => FOLD[c])
    .replace(APOSTROPHES_RE, "")
    .replace(NOT_WORD_RE, " ")
    .trim();
}

/** The words of `text` with their offsets in `text`; words that fold to nothing are dropped. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    const norm = foldWord(m[0]);
    if (norm !== "") out.push({ norm, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/**
 * Lower case, accents stripped (NFKD minus combining marks), "&" read as "and", apostrophes dropped,
 * any other punctuation turned into a space, spaces collapsed and trimmed. Letters of any script are
 * kept, so non-Latin titles still match themselves.
 */
export function normalizeText(s: string): string {
  let out = "";
  for (const t of tokenize(s)) out = out === "" ? t.norm : `${out} ${t.norm}`;
  return out;
}
