import { normalizeText } from "../../matching/normalize.js";
import type { Random } from "../../random.js";

/**
 * Simulated speech recognition: spoken words in, a lower-case transcript and a confidence out. Two kinds
 * of error. Systematic confusions turn a phrase into the same wrong phrase for everyone (the language
 * model prefers it), with high confidence; they are what cross-user query rewriting learns. Random slips
 * garble one word of one utterance, with lower but overlapping confidence.
 */

/** A phrase (normalized, whole words) that ASR tends to hear as another. */
export interface Confusion {
  said: string;
  heard: string;
}

export const CONFUSIONS: readonly Confusion[] = [
  { said: "hey jude", heard: "hey dude" },
  { said: "sweet dreams", heard: "suite dreams" },
  { said: "levitating", heard: "level hating" },
  { said: "reign on me", heard: "rain on me" },
  { said: "sirius chill", heard: "serious chill" },
  { said: "eye of the tiger", heard: "i of the tiger" },
  { said: "the night we met", heard: "the knight we met" },
  { said: "cheap thrills", heard: "cheap trills" },
  { said: "despacito", heard: "this pa cito" },
  { said: "blue bayou", heard: "blue by you" },
  { said: "bad guy", heard: "bad guys" },
  { said: "dune", heard: "june" },
  { said: "flowers", heard: "flours" },
  { said: "paint the town red", heard: "paint the town read" },
];

/** Naming the creator gives the recogniser context: confusions get this much rarer. */
const CREATOR_CONTEXT = 0.35;
/** A slow, clear repeat makes every error rarer by this factor. */
const CLEAR_SPEECH = 0.5;

/** Words that sound alike and are spelled apart. */
const HOMOPHONES: ReadonlyArray<readonly string[]> = [
  ["night", "knight"],
  ["rain", "reign"],
  ["to", "two", "too"],
  ["for", "four"],
  ["red", "read"],
  ["sea", "see"],
  ["son", "sun"],
  ["blue", "blew"],
  ["hole", "whole"],
  ["know", "no"],
  ["right", "write"],
  ["one", "won"],
  ["heart", "hart"],
  ["road", "rode"],
  ["wait", "weight"],
  ["new", "knew"],
  ["hear", "here"],
  ["dear", "deer"],
  ["break", "brake"],
  ["peace", "piece"],
  ["tail", "tale"],
  ["there", "their"],
  ["where", "wear"],
  ["rose", "rows"],
  ["sweet", "suite"],
  ["morning", "mourning"],
  ["waste", "waist"],
  ["stairs", "stares"],
  ["wild", "whiled"],
  ["storm", "stone"],
  ["lonely", "only"],
  ["golden", "holden"],
  ["fire", "fryer"],
];
const HOMOPHONE_OF = new Map<string, readonly string[]>();
for (const group of HOMOPHONES) for (const w of group) HOMOPHONE_OF.set(w, group);

/** Command and filler words a slip rarely lands on: recognisers are good at frequent words. */
const FUNCTION_WORDS = new Set([
  "play",
  "put",
  "on",
  "the",
  "by",
  "to",
  "me",
  "i",
  "want",
  "hear",
  "watch",
  "read",
  "listen",
  "a",
  "of",
]);

export interface Heard {
  text: string;
  /** What a perfect recogniser would have returned. */
  said: string;
  confidence: number;
  /** The systematic confusion applied, or null. */
  systematic: Confusion | null;
  /** A random slip was applied. */
  random: boolean;
}

/** Word-boundary search of a normalized phrase in a normalized text. */
function phraseAt(text: string, phrase: string): number {
  let from = 0;
  for (;;) {
    const at = text.indexOf(phrase, from);
    if (at < 0) return -1;
    const end = at + phrase.length;
    if ((at === 0 || text[at - 1] === " ") && (end === text.length || text[end] === " ")) return at;
    from = at + 1;
  }
}

/** The confusions whose phrase occurs in a normalized text. */
export function confusionsIn(norm: string): Confusion[] {
  return CONFUSIONS.filter((c) => phraseAt(norm, c.said) >= 0);
}

/** Spoken texts repeat a lot (a user's favourites, phrased alike): their normal forms and confusions are cached. */
const SAID_CACHE_LIMIT = 100_000;
const saidCache = new Map<string, string>();
const confusionCache = new Map<string, Confusion[]>();

function saidForm(spoken: string): string {
  let said = saidCache.get(spoken);
  if (said === undefined) {
    if (saidCache.size >= SAID_CACHE_LIMIT) saidCache.clear();
    said = normalizeText(spoken);
    saidCache.set(spoken, said);
  }
  return said;
}

function confusionsOf(said: string): Confusion[] {
  let found = confusionCache.get(said);
  if (found === undefined) {
    if (confusionCache.size >= SAID_CACHE_LIMIT) confusionCache.clear();
    found = confusionsIn(said);
    confusionCache.set(said, found);
  }
  return found;
}

/** Options of one recognition. */
export interface HearOptions {
  randomRate: number;
  systematicRate: number;
  /** The utterance names a creator. */
  withCreator: boolean;
  clear: boolean;
}

/**
 * Recognises `spoken`. Draws a fixed number of random numbers whatever happens, so one turn's errors
 * never shift the next turn's draws.
 */
export function hear(rng: Random, spoken: string, o: HearOptions): Heard {
  const uSystematic = rng.next();
  const uRandom = rng.next();
  const uWhere = rng.next();
  const uHow = rng.next();
  const uConfidence = rng.next();
  const said = saidForm(spoken);
  let text = said;
  const clear = o.clear ? CLEAR_SPEECH : 1;
  let systematic: Confusion | null = null;
  const found = confusionsOf(said);
  if (found.length > 0 && uSystematic < o.systematicRate * clear * (o.withCreator ? CREATOR_CONTEXT : 1)) {
    systematic = found[0];
    const at = phraseAt(text, systematic.said);
    text = text.slice(0, at) + systematic.heard + text.slice(at + systematic.said.length);
  }
  let random = false;
  if (uRandom < o.randomRate * clear) {
    const slipped = slip(text, uWhere, uHow);
    if (slipped !== text) {
      text = slipped;
      random = true;
    }
  }
  // Correct transcripts are mostly confident; slips less so; systematic confusions are confident
  // because the language model likes them. The ranges overlap, as real confidences do.
  const confidence = random
    ? 0.3 + 0.55 * uConfidence
    : systematic
      ? 0.55 + 0.4 * uConfidence
      : 0.5 + 0.49 * Math.sqrt(uConfidence);
  return { text, said, confidence: Math.round(confidence * 1000) / 1000, systematic, random };
}

/**
 * One garbled word: a homophone, a letter dropped or doubled, a word split in two or dropped. `where`
 * and `how` are uniform numbers choosing the word and the slip; the result differs from `norm` unless
 * there is nothing to garble.
 */
export function slip(norm: string, where: number, how: number): string {
  const words = norm.split(" ");
  const content = words.map((_, i) => i).filter((i) => words[i].length >= 3 && !FUNCTION_WORDS.has(words[i]));
  const pool = content.length > 0 ? content : words.map((_, i) => i).filter((i) => words[i].length >= 2);
  if (pool.length === 0) return norm;
  const i = pool[Math.floor(where * pool.length)];
  const w = words[i];
  const group = HOMOPHONE_OF.get(w);
  const op = Math.floor(how * 5);
  let out: string;
  if (group && op < 3) out = group[(group.indexOf(w) + 1) % group.length];
  else if (op === 0) out = w.slice(0, -1);
  else if (op === 1 && w.length >= 6) out = `${w.slice(0, 3)} ${w.slice(3)}`;
  else if (op === 2) out = vowelShift(w);
  else if (op === 3 && words.length >= 3) out = "";
  else out = w.length > 3 ? w.slice(0, 1) + w.slice(2) : `${w}s`;
  if (out === w) out = `${w}s`;
  words[i] = out;
  return words.filter((x) => x !== "").join(" ");
}

/** The first vowel replaced by one that sounds close in a noisy room. */
function vowelShift(w: string): string {
  const shifts: Record<string, string> = { a: "e", e: "i", i: "e", o: "a", u: "o" };
  for (let k = 0; k < w.length; k++) {
    const to = shifts[w[k]];
    if (to !== undefined) return w.slice(0, k) + to + w.slice(k + 1);
  }
  return `${w}s`;
}
