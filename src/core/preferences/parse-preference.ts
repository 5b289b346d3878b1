import { normalizeText, tokenize } from "../matching/index.js";
import { findExpiry } from "./expiry-phrases.js";
import { isGenreWord } from "./genre-words.js";
import type {
  PreferenceDraft,
  PreferencePolarity,
  PreferenceScope,
  PreferenceTarget,
} from "./preference-fact.js";
import { findScope } from "./scope-phrases.js";
import type { PreferenceVocabulary, VocabularyMatch } from "./vocabulary.js";

/** The item playing when the user speaks: what "I love this song" and "never play this artist" mean. */
export interface NowPlaying {
  id: string;
  title: string;
  creators?: readonly string[];
}

export interface ParsePreferenceOptions {
  /** Minutes east of UTC, for "today" and "until Monday" (default 0, UTC). */
  timeZoneOffsetMinutes?: number;
  nowPlaying?: NowPlaying;
}

/**
 * `fact` is the statement's preference; a statement naming several things ("I like jazz and soul") gives
 * one per thing in `facts` (the first is `fact`).
 */
export type ParsePreferenceResult = { fact: PreferenceDraft; facts: PreferenceDraft[] } | { error: string };

const MAX_LENGTH = 500;
const NOT_A_PREFERENCE =
  'not a preference statement: say what you like or not, e.g. "I like jazz", "I don\'t like country", "more Adele" or "never play Christmas songs"';

/** Openers and closers that carry no meaning for the fact ("from now on" is what a fact is anyway). */
const LEADING =
  /^(?:hey|hi|ok|okay|so|well|also|and|but|actually|just|honestly|please|btw|by the way|you know what|you know|alexa|hey google|ok google|siri|oh|um|uh|look|listen|fyi|for the record|remember that|remember|note that|just so you know|from now on|going forward|in future|in the future|i think|i guess|to be honest|tbh)(?: |$)/;
const TRAILING =
  / (?:please|thanks|thank you|ok|okay|from now on|going forward|in future|in the future|anymore|any more|ever again|again|at all|though|either|thx|whatsoever|one bit|to me|to us|for me|for us|all day|all the time|so much|very much|that much|a lot|much|too|ever)$/;

function strip(s: string): string {
  let out = s;
  for (;;) {
    const next = out.replace(LEADING, "").replace(TRAILING, "").trim();
    if (next === out) return out;
    out = next;
  }
}

const I = "(?:i|we)";
const IM = "(?:im|i am|we are|were|ive always been|ive been|i have been|i was always)";
const ADVERBS =
  "(?:(?:really|just|truly|absolutely|totally|do|kind of|kinda|sort of|actually|also|still|so|very|quite|genuinely|honestly) )*";
const LISTEN = "(?: listening to| to listen to| watching| to watch| hearing| to hear)?";
const SERVE_VERBS =
  "(?:play|put on|suggest|recommend|give me|show me|queue|queue up|pick|choose|add|include)";
const WANT =
  "(?:play|give me|suggest|recommend|i want|i would like|id like|i need|id love|lets have|lets get|i want to hear|id like to hear|i would like to hear|we need|i could use|i could do with)";
const FAN_NOUN = "(?:fan|fans|lover|lovers|person|guy|girl|head|nut|freak|enthusiast|buff)";
const BIG = "(?:(?:big|huge|great|massive|die hard|diehard|lifelong|real|true|serious) )?";
/** A statement ending in a fan noun ("I'm a Warriors fan"): never about a single title. */
const ENDS_IN_FAN_NOUN = new RegExp(`${FAN_NOUN}$`);

/** Statement shapes, in order: the first that fits decides. `t` is the target phrase. */
const PATTERNS: Array<[PreferencePolarity, RegExp]> = [
  // never
  [
    "never",
    new RegExp(
      `^(?:never|never ever|dont ever|do not ever|dont you ever|dont you dare|dont|do not) (?:ever )?${SERVE_VERBS}(?: me| us)? (?<t>.+)$`,
    ),
  ],
  [
    "never",
    /^stop (?:playing|suggesting|recommending|putting on|giving me|showing me|queueing|picking|adding) (?<t>.+)$/,
  ],
  [
    "never",
    new RegExp(
      `^${I} (?:never|dont ever|do not ever) want (?:to (?:hear|see|listen to|watch) )?(?:any )?(?<t>.+)$`,
    ),
  ],
  ["never", /^(?:no more|never again|always skip|ban|block) (?<t>.+)$/],
  ["never", /^(?<t>.+?) (?:is|are) (?:banned|off limits|forbidden)$/],
  // less
  [
    "less",
    new RegExp(`^(?:${WANT} )?(?:a bit |a little |much |way |a lot )?(?:less|fewer) (?:of )?(?<t>.+)$`),
  ],
  [
    "less",
    /^(?:not so much|not as much|cut down on|cut back on|tone down|go easy on|ease up on|ease off|dial back|dial down)(?: on)? (?<t>.+)$/,
  ],
  ["less", /^play (?<t>.+?) less(?: often)?$/],
  // more
  [
    "more",
    new RegExp(
      `^(?:${WANT} )?(?:(?:some|a bit|a little|a lot|lots|much|way|even|a few) )?more (?:of )?(?<t>.+)$`,
    ),
  ],
  ["more", /^(?:play|put on) (?<t>.+?) more(?: often)?$/],
  ["more", /^(?:i|we) (?:want|need|would like|d like) (?<t>.+?) more(?: often)?$/],
  // dislike
  [
    "dislike",
    new RegExp(
      `^${I} ${ADVERBS}(?:dont|do not|didnt|did not|cant|cannot|can not|dont much|no longer|never) ${ADVERBS}(?:like|love|enjoy|stand|bear|dig|care for|care about|want|listen to|watch)${LISTEN} (?<t>.+)$`,
    ),
  ],
  [
    "dislike",
    new RegExp(
      `^(?:${I} )?${ADVERBS}(?:hate|dislike|detest|loathe|despise|abhor|cant stand|cannot stand|cant bear)${LISTEN} (?<t>.+)$`,
    ),
  ],
  [
    "dislike",
    new RegExp(
      `^(?:${IM} )?(?:really |just |so )?(?:not (?:really |much |that |too |very |at all )?(?:into|a fan of|${BIG}fan of|keen on|crazy about|fond of)|never been (?:a fan of|into)|sick of|tired of|done with|bored of|bored with|fed up with|(?<=^${IM} )over) (?<t>.+)$`,
    ),
  ],
  [
    "dislike",
    new RegExp(
      `^(?:${IM} )?not (?:a |an |much of a |really a |really an |a big |a huge |big |huge )?(?<t>.+?) ${FAN_NOUN}$`,
    ),
  ],
  ["dislike", new RegExp(`^${I} (?:would|d) rather not (?:hear|listen to|watch|see) (?<t>.+)$`)],
  [
    "dislike",
    /^(?<t>.+?) (?:sucks|suck|is|are) (?:terrible|awful|horrible|the worst|annoying|boring|rubbish|garbage|trash|not my thing|not for me|not my cup of tea|overrated|unbearable)$/,
  ],
  ["dislike", /^(?<t>.+?) (?:sucks|suck|gets on my nerves|get on my nerves|drives me crazy|drive me crazy)$/],
  // like
  [
    "like",
    new RegExp(
      `^${IM} ${ADVERBS}(?:into|${BIG}fan of|a ${BIG}fan of|an ${BIG}fan of|crazy about|obsessed with|keen on|fond of|a sucker for|hooked on|in love with|mad about|nuts about)${LISTEN} (?<t>.+)$`,
    ),
  ],
  ["like", new RegExp(`^${IM} (?:a |an )?${BIG}(?<t>.+?) ${FAN_NOUN}$`)],
  [
    "like",
    new RegExp(
      `^${I} ${ADVERBS}(?:like|love|enjoy|adore|dig|prefer|am into|fancy|cant get enough of|cannot get enough of|could listen to)${LISTEN} (?<t>.+)$`,
    ),
  ],
  ["like", new RegExp(`^(?:${ADVERBS})(?:love|enjoy|adore|big fan of|huge fan of)${LISTEN} (?<t>.+)$`)],
  [
    "like",
    /^(?<t>.+?) (?:is|are) (?:my|our) (?:(?:absolute|all time|very|new|current) )*(?:favou?rites?|fave|faves|jam|thing|go to)(?: .*)?$/,
  ],
  ["like", /^my (?:(?:absolute|all time|new) )*(?:favou?rite|fave) (?:[a-z0-9]+ )?(?:is|are) (?<t>.+)$/],
  ["like", /^(?<t>.+?) (?:is|are) (?:great|awesome|amazing|the best|brilliant|fantastic|my kind of music)$/],
];

/** "no X" is a preference only when X is clearly a name, never a reply ("no thanks", "no, I said…"). */
const NO_X = /^no (?<t>.+)$/;
const NO_X_REPLY =
  /^(?:thanks|thank|i|im|its|it|that|thats|this|not|no|way|problem|worries|idea|clue|stop|play|wrong|please|one|nothing|what|why|dont|the other|yes|ok|okay|wait)(?: |$)/;

const PRONOUN_ENTITY = new Set([
  "this",
  "that",
  "it",
  "this one",
  "that one",
  "this song",
  "that song",
  "this track",
  "that track",
  "this tune",
  "this video",
  "that video",
  "this movie",
  "that movie",
  "this film",
  "this podcast",
  "this episode",
  "this show",
  "like this",
  "like that",
  "stuff like this",
  "stuff like that",
  "songs like this",
  "things like this",
  "what is playing",
  "whats playing",
  "what you are playing",
  "what youre playing",
  "the current song",
  "the song that is playing",
]);
const PRONOUN_CREATOR = new Set([
  "this artist",
  "that artist",
  "this band",
  "that band",
  "this singer",
  "that singer",
  "this group",
  "this guy",
  "this girl",
  "this composer",
  "this creator",
  "this channel",
  "them",
  "him",
  "her",
  "this artists music",
]);
const TOO_GENERAL = new Set([
  "music",
  "songs",
  "anything",
  "everything",
  "nothing",
  "stuff",
  "you",
  "me",
  "us",
  "things",
  "something",
  "all",
  "some",
  "any",
  "more",
  "less",
]);

/** Whole targets that are kinds of item ("I don't like podcasts"). */
const KIND_WORDS: Record<string, string> = {
  podcast: "podcast",
  podcasts: "podcast",
  audiobook: "audiobook",
  audiobooks: "audiobook",
  "audio books": "audiobook",
  video: "video",
  videos: "video",
  movie: "movie",
  movies: "movie",
  films: "movie",
  book: "book",
  books: "book",
};

/** Kind words after a name: "Christmas songs" is about the tag; "horror movies" also scopes the kind. */
const KIND_SUFFIX =
  / (?:(?<music>songs|song|music|tracks|track|tunes|stuff|albums|album|records|artists|bands|stations|radio|genre|playlists|playlist|content|sounds)|(?<video>videos|video|clips|highlights|shows|tv shows|series)|(?<movie>movies|movie|films|film)|(?<podcast>podcasts|podcast|episodes)|(?<audiobook>audiobooks|audiobook|audio books)|(?<book>books|book))$/;
const LEAD_JUNK =
  /^(?:(?:any|some|all|of|lots of|a lot of|plenty of|the odd|listening to|to listen to|hearing|to hear|watching|to watch|seeing|to see|playing|good old|old school) )+/;
const BY_CREATOR =
  /^(?:anything|everything|stuff|something|songs|music|tracks|videos|movies|things|albums|shows|the music|the songs|the stuff|the new stuff|the old stuff|new stuff|old stuff|new music|old music|whatever) (?:by|from|of|with) (?<t>.+)$/;
const ENTITY_LEAD =
  /^(?:the )?(?:song|track|tune|single|video|movie|film|podcast|show|audiobook|book|episode) (?:called |named |titled )?(?<t>.+)$/;
const TITLE_BY = /^(?<title>.+) by (?<creator>.+)$/;

interface TargetPhrase {
  /** The phrase with kind words and filler removed. */
  phrase: string;
  /** The phrase before that, tried first but only for exact names ("Christmas music" may be a tag). */
  raw: string;
  kind?: string;
  hint: "creator" | "entity" | "fan" | null;
  title?: string;
  creator?: string;
}

function targetPhrase(t: string, fan: boolean): TargetPhrase {
  const raw = strip(t);
  let phrase = raw.replace(LEAD_JUNK, "");
  let hint: TargetPhrase["hint"] = fan ? "fan" : null;
  let kind: string | undefined;
  const byCreator = BY_CREATOR.exec(phrase);
  if (byCreator?.groups) {
    phrase = byCreator.groups.t;
    hint = "creator";
  }
  const entity = ENTITY_LEAD.exec(phrase);
  if (entity?.groups && hint === null) {
    phrase = entity.groups.t;
    hint = "entity";
  }
  for (;;) {
    const suffix = KIND_SUFFIX.exec(phrase);
    if (!suffix?.groups || suffix.index === 0) break;
    const g = suffix.groups;
    kind ??= g.video
      ? "video"
      : g.movie
        ? "movie"
        : g.podcast
          ? "podcast"
          : g.audiobook
            ? "audiobook"
            : g.book
              ? "book"
              : undefined;
    phrase = strip(phrase.slice(0, suffix.index));
  }
  const by = hint === "creator" ? null : TITLE_BY.exec(phrase);
  return {
    phrase: strip(phrase),
    raw,
    ...(kind ? { kind } : {}),
    hint,
    ...(by?.groups ? { title: by.groups.title, creator: by.groups.creator } : {}),
  };
}

type Found = { type: "tag" | "creator" | "entity"; match: VocabularyMatch; rank: number };

/** The best reading of a phrase as a tag, creator or title; ties go to the likelier type for the hint. */
function lookup(
  phrase: string,
  vocabulary: PreferenceVocabulary,
  hint: TargetPhrase["hint"],
  exactOnly: boolean,
): Found | null {
  const order: Array<Found["type"]> =
    hint === "creator"
      ? ["creator", "tag", "entity"]
      : hint === "entity"
        ? ["entity", "creator", "tag"]
        : ["tag", "creator", "entity"];
  // Taste statements are mostly about genres and artists: a title must beat them clearly, and "a X fan"
  // is never about a song.
  const entityFactor = hint === "entity" ? 1 : hint === "fan" ? 0.8 : 0.95;
  const found: Found[] = [];
  const add = (type: Found["type"], m: VocabularyMatch | null, factor = 1) => {
    if (m) found.push({ type, match: { ...m, score: m.score * factor }, rank: order.indexOf(type) });
  };
  add("tag", vocabulary.findTag(phrase));
  // A genre word is about the genre: a creator only when one is called exactly that (not "for KING &
  // COUNTRY" for "country"), and never a title that happens to be the word.
  const genre = hint !== "creator" && hint !== "entity" && isGenreWord(normalizeText(phrase));
  const creator = vocabulary.findCreator(phrase);
  add("creator", genre && creator !== null && creator.score < 1 ? null : creator);
  if (!genre) add("entity", vocabulary.findEntity(phrase), entityFactor);
  const usable = found.filter((f) => !exactOnly || f.match.score >= 0.98);
  usable.sort((a, b) => b.match.score - a.match.score || a.rank - b.rank);
  return usable[0] ?? null;
}

/** The original spelling of a normalized phrase in the text, for display ("Warriors", not "warriors"). */
function originalSpelling(text: string, phrase: string): string {
  const tokens = tokenize(text);
  for (let i = 0; i < tokens.length; i++) {
    let joined = "";
    for (let j = i; j < tokens.length; j++) {
      joined = joined === "" ? tokens[j].norm : `${joined} ${tokens[j].norm}`;
      if (joined === phrase) return text.slice(tokens[i].start, tokens[j].end);
      if (!phrase.startsWith(joined)) break;
    }
  }
  return phrase;
}

function nowPlayingTarget(
  phrase: string,
  nowPlaying: NowPlaying | undefined,
): PreferenceTarget | { error: string } | null {
  const isEntity = PRONOUN_ENTITY.has(phrase);
  const isCreator = PRONOUN_CREATOR.has(phrase);
  if (!isEntity && !isCreator) return null;
  if (!nowPlaying) return { error: `"${phrase}" means what is playing, and nothing is: name it instead` };
  const creator = nowPlaying.creators?.[0];
  if (isCreator) {
    if (!creator) return { error: `what is playing ("${nowPlaying.title}") has no artist to remember` };
    return { type: "creator", value: normalizeText(creator), display: creator, matched: true };
  }
  return {
    type: "entity",
    value: normalizeText(nowPlaying.title),
    display: creator ? `${nowPlaying.title} by ${creator}` : nowPlaying.title,
    itemId: nowPlaying.id,
    matched: true,
  };
}

function resolveTarget(
  text: string,
  tp: TargetPhrase,
  vocabulary: PreferenceVocabulary,
  nowPlaying: NowPlaying | undefined,
): PreferenceTarget[] | { error: string } {
  const pronoun = nowPlayingTarget(tp.raw, nowPlaying) ?? nowPlayingTarget(tp.phrase, nowPlaying);
  if (pronoun) return "error" in pronoun ? pronoun : [pronoun];
  const kindWord = KIND_WORDS[tp.raw.replace(LEAD_JUNK, "").replace(/^the /, "")];
  if (kindWord) return [{ type: "kind", value: kindWord, display: `${kindWord}s`, matched: true }];
  if (tp.phrase === "" || TOO_GENERAL.has(tp.phrase)) {
    return { error: `"${tp.raw}" is too general: name a genre, an artist or a title` };
  }
  if (/^to /.test(tp.phrase)) return { error: `${NOT_A_PREFERENCE} ("${tp.raw}" is not a name)` };
  if (tp.title !== undefined && tp.creator !== undefined) {
    const entity = vocabulary.findEntity(tp.title, tp.creator);
    if (entity) {
      return [{ type: "entity", ...targetOf(entity), matched: true }];
    }
  }
  const phrases: Array<[string, boolean]> = [
    [tp.raw, true],
    [tp.phrase, false],
  ];
  if (tp.phrase.startsWith("the ")) phrases.push([tp.phrase.slice(4), false]);
  for (const [phrase, exactOnly] of phrases) {
    const found = lookup(phrase, vocabulary, tp.hint, exactOnly);
    if (found) return [{ type: found.type, ...targetOf(found.match), matched: true }];
  }
  // "jazz and soul": several names, each in the catalogue (a name with "and" in it was tried whole above).
  const parts = tp.phrase.split(/ (?:and|or|nor|plus|as well as) /);
  if (parts.length > 1) {
    const each = parts.map((part) => lookup(strip(part), vocabulary, tp.hint, false));
    if (each.every((f) => f !== null)) {
      return each.map((f) => ({ type: f.type, ...targetOf(f.match), matched: true }));
    }
  }
  // Not in the catalogue: kept as free text (matched against tags and creators) so the app can ask.
  return [
    {
      type: tp.hint === "creator" ? "creator" : "tag",
      value: tp.phrase,
      display: originalSpelling(text, tp.phrase),
      matched: false,
    },
  ];
}

function targetOf(m: VocabularyMatch): Pick<PreferenceTarget, "value" | "display" | "itemId"> {
  return { value: m.value, display: m.display, ...(m.itemId ? { itemId: m.itemId } : {}) };
}

/**
 * Reads a taste statement ("I like jazz", "I'm a Warriors fan", "I don't like country", "more Adele",
 * "never play Christmas songs", "no Christmas songs for the next week", "more jazz in the morning on the
 * kitchen speaker") into a preference draft: polarity, target (tag, creator, title or kind, found in the
 * vocabulary, else kept as free text with matched false), scope and expiry. Anything else is an error
 * saying why, so the application can answer instead of storing nonsense.
 */
export function parsePreference(
  text: string,
  nowMs: number,
  vocabulary: PreferenceVocabulary,
  options: ParsePreferenceOptions = {},
): ParsePreferenceResult {
  const sourceText = text.trim().replace(/\s+/g, " ");
  if (sourceText === "") return { error: "empty statement" };
  if (sourceText.length > MAX_LENGTH)
    return { error: `too long for a preference statement (${MAX_LENGTH} characters at most)` };
  if (/\?\s*$/.test(sourceText)) return { error: `${NOT_A_PREFERENCE} (this is a question)` };
  const norm = strip(normalizeText(sourceText));
  if (norm === "") return { error: NOT_A_PREFERENCE };

  const expiry = findExpiry(norm, nowMs, options.timeZoneOffsetMinutes ?? 0);
  if (expiry && "error" in expiry) return { error: expiry.error };
  const { scope, rest } = findScope(strip(expiry ? expiry.rest : norm));
  const statement = strip(rest);

  let polarity: PreferencePolarity | null = null;
  let t = "";
  let fan = false;
  for (const [p, re] of PATTERNS) {
    const m = re.exec(statement);
    if (m?.groups?.t) {
      polarity = p;
      t = m.groups.t;
      fan = ENDS_IN_FAN_NOUN.test(statement);
      break;
    }
  }
  let bareNo = false;
  if (polarity === null) {
    const m = NO_X.exec(statement);
    if (m?.groups?.t && !NO_X_REPLY.test(m.groups.t)) {
      polarity = "never";
      t = m.groups.t;
      bareNo = true;
    }
  }
  if (polarity === null) return { error: NOT_A_PREFERENCE };

  const tp = targetPhrase(t, fan);
  const targets = resolveTarget(sourceText, tp, vocabulary, options.nowPlaying);
  if ("error" in targets) return targets;
  // "no X" without a time or place is too much like a reply to store an unknown name from it.
  const scoped = Object.keys(scope).length > 0 || expiry !== null;
  if (bareNo && !targets[0].matched && !scoped) return { error: NOT_A_PREFERENCE };

  const facts = targets.map((target): PreferenceDraft => {
    const fullScope: PreferenceScope = { ...scope };
    if (tp.kind && target.type !== "kind" && target.type !== "entity") fullScope.kind = tp.kind;
    return {
      polarity,
      target,
      ...(Object.keys(fullScope).length > 0 ? { scope: fullScope } : {}),
      createdAtMs: nowMs,
      ...(expiry ? { expiresAtMs: expiry.expiresAtMs } : {}),
      sourceText,
    };
  });
  return { fact: facts[0], facts };
}
