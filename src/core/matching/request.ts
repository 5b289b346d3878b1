import { type Token, tokenize } from "./normalize.js";
import { isVersionPhrase } from "./version.js";

/**
 * Parsing of spoken or typed requests ("Hey, can you play Hello by Adele please") into the part that
 * names the item, the part that names its creator and a hint of the kind of item. The parser works on
 * tokens so that every part keeps its character span in the original text (a UI can highlight it, a
 * dialogue can echo it back).
 *
 * Parsing is heuristic and a title may itself contain "by" ("Stand By Me"), start with a command word
 * ("Start Me Up") or end in a kind word ("Love Song"). So besides the main reading, `requestReadings`
 * returns the plausible alternatives, and the catalogue index scores every reading and keeps the best.
 */

export type KindHint = "song" | "video" | "movie" | "podcast" | "audiobook" | "book";
export type Span = [start: number, end: number];

export interface ParsedRequest {
  /** The title as written in the request (original case), e.g. "Hello (Live)"; "" for an empty request. */
  title: string;
  /** The creator as written, or null when the request names none. */
  creator: string | null;
  kindHint: KindHint | null;
  /** Character offsets of `title` in the original text, end exclusive. */
  titleSpan: Span;
  creatorSpan: Span | null;
}

/** One way of reading a request, with normalized parts for matching. */
export interface RequestReading extends ParsedRequest {
  titleNorm: string;
  creatorNorm: string | null;
  /** Trust in this reading: 1 for the main one, a little less for alternatives. */
  weight: number;
  /**
   * "main": the parse of `parseRequest`; "implicitCreator": the main parse with a known creator split off
   * its start or end ("adele hello"); "alternative": the main parse with some stripping undone.
   */
  source: ReadingSource;
}

export type ReadingSource = "main" | "alternative" | "implicitCreator";

/** Said before the command and carrying nothing: wake words and politeness. */
const PREAMBLE = phrases([
  "hey",
  "hi",
  "ok",
  "okay",
  "alexa",
  "siri",
  "google",
  "computer",
  "assistant",
  "please",
  "kindly",
  "can you",
  "could you",
  "would you",
  "will you",
  "can u",
  "could u",
  "would you mind",
]);

/** Command phrases, with the kind they imply ("watch" a video, "read" a book). */
const COMMANDS = phrases<KindHint | null>([
  ...[
    "play",
    "play me",
    "play us",
    "play for me",
    "play some",
    "put on",
    "put me on",
    "listen to",
    "let me listen to",
    "lets listen to",
    "i want to listen to",
    "i wanna listen to",
    "i would like to listen to",
    "id like to listen to",
    "i want to hear",
    "i wanna hear",
    "i would like to hear",
    "id like to hear",
    "let me hear",
    "lets hear",
    "start",
    "start playing",
    "begin playing",
    "queue",
    "queue up",
    "add",
    "resume",
    "shuffle",
    "stream",
    "turn on",
    "find",
    "search for",
    "look for",
    "give me",
    "i want",
  ].map((p) => [p, null] as const),
  ...[
    "watch",
    "i want to watch",
    "i wanna watch",
    "i would like to watch",
    "id like to watch",
    "let me watch",
    "lets watch",
    "show me",
  ].map((p) => [p, "video"] as const),
  ...["read", "read me", "read to me", "i want to read", "let me read"].map((p) => [p, "book"] as const),
]);

/** Words naming the kind of item ("the song", "the movie"), before or after the title. */
const KIND_WORDS = phrases<KindHint>([
  ["song", "song"],
  ["track", "song"],
  ["tune", "song"],
  ["single", "song"],
  ["music video", "video"],
  ["video", "video"],
  ["clip", "video"],
  ["movie", "movie"],
  ["film", "movie"],
  ["podcast", "podcast"],
  ["podcast episode", "podcast"],
  ["episode", "podcast"],
  ["audiobook", "audiobook"],
  ["audio book", "audiobook"],
  ["book", "book"],
  ["ebook", "book"],
] as const);
const DETERMINERS = new Set(["the", "a", "an", "that", "this", "my"]);
const NAMING = new Set(["called", "named", "titled"]);

/** Said after the title and carrying nothing about the item. */
const TRAILING = phrases(
  [
    "please",
    "thanks",
    "thank you",
    "for me",
    "right now",
    "on repeat",
    ...[
      "spotify",
      "youtube",
      "youtube music",
      "apple music",
      "amazon music",
      "deezer",
      "tidal",
      "pandora",
      "soundcloud",
      "netflix",
      "audible",
      "the radio",
    ].map((s) => `on ${s}`),
  ].map((p) => [p, null] as const),
);

interface Phrase<K> {
  words: string[];
  value: K;
}

function phrases(list: readonly string[]): Phrase<null>[];
function phrases<K>(list: ReadonlyArray<readonly [string, K]>): Phrase<K>[];
function phrases<K>(list: ReadonlyArray<string | readonly [string, K]>): Phrase<K | null>[] {
  const out = list.map((p) =>
    typeof p === "string" ? { words: p.split(" "), value: null } : { words: p[0].split(" "), value: p[1] },
  );
  // Longest first, so "play me" wins over "play".
  return out.sort((a, b) => b.words.length - a.words.length);
}

/** Tokens [from, to) of the title or creator: the parse works on token ranges. */
interface Range {
  from: number;
  to: number;
}

interface Flags {
  /** Strip wake words, politeness and the command. */
  stripLead: boolean;
  stripNoise: boolean;
  splitCreator: boolean;
}

interface RawReading {
  title: Range;
  creator: Range | null;
  kindHint: KindHint | null;
}

/** The longest phrase starting at token `at` that leaves at least one token before `to`. */
function matchAt<K>(words: string[], at: number, to: number, list: Phrase<K>[]): Phrase<K> | null {
  for (const p of list) {
    if (p.words.length >= to - at) continue;
    let ok = true;
    for (let k = 0; k < p.words.length && ok; k++) ok = words[at + k] === p.words[k];
    if (ok) return p;
  }
  return null;
}

/** The longest phrase ending at token `to` that leaves at least one token after `from`. */
function matchEnd<K>(words: string[], from: number, to: number, list: Phrase<K>[]): Phrase<K> | null {
  for (const p of list) {
    const at = to - p.words.length;
    if (at <= from) continue;
    let ok = true;
    for (let k = 0; k < p.words.length && ok; k++) ok = words[at + k] === p.words[k];
    if (ok) return p;
  }
  return null;
}

/** Strips "the song (called)" from the start and "(the) song" from the end of a range. */
function stripKind(words: string[], r: Range): KindHint | null {
  let hint: KindHint | null = null;
  let at = r.from;
  if (DETERMINERS.has(words[at]) && r.to - at > 2) at++;
  const lead = matchAt(words, at, r.to, KIND_WORDS);
  if (lead) {
    let next = at + lead.words.length;
    if (NAMING.has(words[next]) && r.to - next > 1) next++;
    r.from = next;
    hint = lead.value;
  }
  const tail = matchEnd(words, r.from, r.to, KIND_WORDS);
  // Not when only a determiner would be left: "the song" names no title.
  if (tail && !(r.to - tail.words.length === r.from + 1 && DETERMINERS.has(words[r.from]))) {
    r.to -= tail.words.length;
    if (DETERMINERS.has(words[r.to - 1]) && r.to - 1 > r.from) r.to--;
    hint ??= tail.value;
  }
  return hint;
}

const DASH_GAP_RE = /^\s*[-–—]+\s*$/;

/**
 * Where a creator part is split off: after the last "by", else after a " - " not followed by a version,
 * else after the last "from". Null when there is none.
 */
function creatorSplit(
  text: string,
  tokens: Token[],
  words: string[],
  r: Range,
): { titleEnd: number; creatorStart: number } | null {
  for (let i = r.to - 2; i > r.from; i--) if (words[i] === "by") return { titleEnd: i, creatorStart: i + 1 };
  for (let i = r.to - 1; i > r.from; i--) {
    const gap = text.slice(tokens[i - 1].end, tokens[i].start);
    if (DASH_GAP_RE.test(gap) && /\s/.test(gap)) {
      const tail = text.slice(tokens[i].start, tokens[r.to - 1].end);
      if (!isVersionPhrase(tail)) return { titleEnd: i, creatorStart: i };
    }
  }
  for (let i = r.to - 2; i > r.from; i--)
    if (words[i] === "from") return { titleEnd: i, creatorStart: i + 1 };
  return null;
}

function parseTokens(text: string, tokens: Token[], words: string[], flags: Flags): RawReading {
  const r: Range = { from: 0, to: tokens.length };
  let kindHint: KindHint | null = null;
  if (flags.stripLead) {
    for (let p = matchAt(words, r.from, r.to, PREAMBLE); p; p = matchAt(words, r.from, r.to, PREAMBLE)) {
      r.from += p.words.length;
    }
    const c = matchAt(words, r.from, r.to, COMMANDS);
    if (c) {
      r.from += c.words.length;
      kindHint = c.value;
    }
  }
  if (flags.stripNoise) {
    for (let p = matchEnd(words, r.from, r.to, TRAILING); p; p = matchEnd(words, r.from, r.to, TRAILING)) {
      r.to -= p.words.length;
    }
    kindHint = stripKind(words, r) ?? kindHint;
  }
  let creator: Range | null = null;
  if (flags.splitCreator) {
    const split = creatorSplit(text, tokens, words, r);
    if (split) {
      creator = { from: split.creatorStart, to: r.to };
      r.to = split.titleEnd;
      if (flags.stripNoise) kindHint = stripKind(words, r) ?? kindHint;
    }
  }
  return { title: r, creator, kindHint };
}

const OPENERS = "\"'“‘«([{";
const CLOSERS = "\"'”’»)]}";

/** Character span of tokens [from, to), widened over brackets and quotes around them. */
function spanOf(text: string, tokens: Token[], r: Range): Span {
  let start = tokens[r.from].start;
  let end = tokens[r.to - 1].end;
  while (start > 0 && OPENERS.includes(text[start - 1])) start--;
  while (end < text.length && CLOSERS.includes(text[end])) end++;
  return [start, end];
}

function joinNorms(tokens: Token[], r: Range): string {
  let out = "";
  for (let i = r.from; i < r.to; i++) out = i === r.from ? tokens[i].norm : `${out} ${tokens[i].norm}`;
  return out;
}

function toReading(
  text: string,
  tokens: Token[],
  raw: RawReading,
  weight: number,
  source: ReadingSource,
): RequestReading {
  const titleSpan = spanOf(text, tokens, raw.title);
  const creatorSpan = raw.creator ? spanOf(text, tokens, raw.creator) : null;
  return {
    title: text.slice(titleSpan[0], titleSpan[1]),
    creator: creatorSpan ? text.slice(creatorSpan[0], creatorSpan[1]) : null,
    kindHint: raw.kindHint,
    titleSpan,
    creatorSpan,
    titleNorm: joinNorms(tokens, raw.title),
    creatorNorm: raw.creator ? joinNorms(tokens, raw.creator) : null,
    weight,
    source,
  };
}

const ALL: Flags = { stripLead: true, stripNoise: true, splitCreator: true };
/** Weight of a reading that keeps words the main reading dropped ("Stand By Me" vs "Stand" by "Me"). */
const ALTERNATIVE_WEIGHT = 0.98;
/** Weight of a creator found without "by" ("adele hello"): a title may start or end with a name. */
const IMPLICIT_CREATOR_WEIGHT = 0.97;
/** Longest creator name, in words, looked for at the start or end of a request without "by". */
const MAX_CREATOR_WORDS = 5;

/**
 * Splits a request into title, creator and kind hint. Strips wake words and politeness ("hey", "can
 * you"), one command ("play", "put on", "i want to hear", "watch"...), kind words ("the song", "the
 * movie", which set `kindHint`) and trailing noise ("please", "on spotify"), then splits a creator after
 * the last "by" (else a " - " not followed by a version such as "- Live", else "from"). A part is never
 * stripped down to nothing: "play" alone is read as the title "play".
 */
export function parseRequest(text: string): ParsedRequest {
  const tokens = tokenize(text);
  if (tokens.length === 0)
    return { title: "", creator: null, kindHint: null, titleSpan: [0, 0], creatorSpan: null };
  const { title, creator, kindHint, titleSpan, creatorSpan } = toReading(
    text,
    tokens,
    parseTokens(
      text,
      tokens,
      tokens.map((t) => t.norm),
      ALL,
    ),
    1,
    "main",
  );
  return { title, creator, kindHint, titleSpan, creatorSpan };
}

/**
 * The main reading of `parseRequest` first, then alternatives: without the creator split, without the
 * noise and kind stripping, without the wake word and command stripping ("Hey Jude", "Start Me Up"), and, when `isCreator` recognises a known
 * creator at the start or end of the title ("play adele hello", "play adele's hello", "hello adele"),
 * that creator split off. Duplicates are dropped.
 */
export function requestReadings(text: string, isCreator?: (norm: string) => boolean): RequestReading[] {
  const tokens = tokenize(text);
  if (tokens.length === 0) return [];
  const words = tokens.map((t) => t.norm);
  const main = parseTokens(text, tokens, words, ALL);
  const raws: Array<[RawReading, number, ReadingSource]> = [[main, 1, "main"]];
  for (const flags of [
    { ...ALL, splitCreator: false },
    { ...ALL, stripNoise: false },
    { ...ALL, stripLead: false },
  ]) {
    raws.push([parseTokens(text, tokens, words, flags), ALTERNATIVE_WEIGHT, "alternative"]);
  }
  if (isCreator && main.creator === null) {
    const { from, to } = main.title;
    for (let k = 1; k <= MAX_CREATOR_WORDS && k < to - from; k++) {
      const head: Range = { from, to: from + k };
      const last = words[from + k - 1];
      const name = joinNorms(tokens, head);
      if (isCreator(name) || (last.endsWith("s") && isCreator(name.slice(0, -1)))) {
        raws.push([
          { title: { from: from + k, to }, creator: head, kindHint: main.kindHint },
          IMPLICIT_CREATOR_WEIGHT,
          "implicitCreator",
        ]);
      }
      const tail: Range = { from: to - k, to };
      if (isCreator(joinNorms(tokens, tail))) {
        raws.push([
          { title: { from, to: to - k }, creator: tail, kindHint: main.kindHint },
          IMPLICIT_CREATOR_WEIGHT,
          "implicitCreator",
        ]);
      }
    }
  }
  const seen = new Set<string>();
  const out: RequestReading[] = [];
  for (const [raw, weight, source] of raws) {
    const key = `${raw.title.from},${raw.title.to},${raw.creator?.from},${raw.creator?.to},${raw.kindHint}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(toReading(text, tokens, raw, weight, source));
  }
  return out;
}
