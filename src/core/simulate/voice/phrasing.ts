import type { Random } from "../../random.js";
import type { VoiceKind } from "./titles.js";

/**
 * How users word a request and how they reword it after a defect. A plan keeps the choices (which name,
 * creator or not, kind word or not, which template) so that a rephrase changes one of them on purpose,
 * as people do: they add the artist after the wrong "Hello", say "the audiobook" after getting the movie,
 * or repeat themselves slowly after "I don't know that".
 */

export interface UtterancePlan {
  kind: VoiceKind;
  /** The real title of the intended item. */
  title: string;
  /** The words naming the item: the title, its first words, a nickname or a mispronunciation. */
  name: string;
  /** The creator when the user names one, else null. */
  creator: string | null;
  /** The user says what kind of item it is ("the movie", "read", "audiobook"). */
  kindWord: boolean;
  /** Template choice in [0, 1). */
  style: number;
  /** Said slowly and clearly, as a repeat after a failure: ASR errs less. */
  clear: boolean;
  quirk: "nickname" | "mispronunciation" | null;
}

/** What the user noticed went wrong, which decides how they reword. */
export type Perceived = "wrong-kind" | "wrong-item" | "nothing" | "broken";

const PLAIN: Record<VoiceKind, readonly string[]> = {
  song: ["play {t}", "put on {t}", "play {t}", "i want to hear {t}", "{t}"],
  video: ["play {t}", "put on {t}"],
  movie: ["play {t}", "put on {t}", "play {t}"],
  podcast: ["play {t}", "listen to {t}", "put on {t}"],
  audiobook: ["play {t}", "listen to {t}", "put on {t}"],
  book: ["play {t}", "i want {t}"],
  other: ["play {t}", "put on {t}", "turn on {t}"],
};

const EXPLICIT: Record<VoiceKind, readonly string[]> = {
  song: ["play the song {t}", "play {t} song"],
  video: ["watch {t}", "play the video {t}", "show me {t}"],
  movie: ["play the movie {t}", "watch {t}", "watch the movie {t}", "play {t} movie"],
  podcast: ["play the podcast {t}", "play {t} podcast"],
  audiobook: ["play the audiobook {t}", "play {t} audiobook", "play the audio book {t}"],
  book: ["read {t}", "read me {t}", "read the book {t}", "play the book {t}"],
  other: ["play the station {t}", "play {t} station"],
};

/** Kinds whose creator people name: nobody asks for a movie by its director or a station by its owner. */
export function namesCreator(kind: VoiceKind): boolean {
  return kind === "song" || kind === "book" || kind === "audiobook" || kind === "podcast";
}

/** Share of first requests that name the creator, and that say the kind. */
const CREATOR_SHARE = 0.25;
const KIND_WORD_SHARE = 0.35;
/** Share of requests for a long title (4+ words) that say only its first three words. */
const TRUNCATE_SHARE = 0.15;

/** Nobody stops a title on these words ("the tide of"). */
const TRAILING_FILLER = new Set(["the", "of", "a", "an", "and", "in", "to", "on"]);

/** The first wording of a request for an item; a quirk replaces the title with the user's own words. */
export function firstPlan(
  rng: Random,
  kind: VoiceKind,
  title: string,
  creator: string,
  quirk: { type: "nickname" | "mispronunciation"; phrase: string } | null,
): UtterancePlan {
  const withCreator = rng.next() < CREATOR_SHARE;
  const kindWord = rng.next() < KIND_WORD_SHARE;
  const style = rng.next();
  const truncate = rng.next() < TRUNCATE_SHARE;
  let name = title.toLowerCase();
  const words = name.split(" ");
  if (quirk) name = quirk.phrase;
  else if (truncate && words.length >= 4 && !TRAILING_FILLER.has(words[2]))
    name = words.slice(0, 3).join(" ");
  // A nickname stands alone: "play the song our song by adele" is not how anyone talks.
  const nickname = quirk?.type === "nickname";
  return {
    kind,
    title,
    name,
    creator: withCreator && namesCreator(kind) && !nickname ? creator : null,
    kindWord: kindWord && !nickname,
    style,
    clear: false,
    quirk: quirk?.type ?? null,
  };
}

/** The spoken words of a plan, lower case as speech has no case. */
export function renderPlan(plan: UtterancePlan, creator: string): string {
  const templates = (plan.kindWord ? EXPLICIT : PLAIN)[plan.kind];
  let text = templates[Math.floor(plan.style * templates.length)].replace("{t}", () => plan.name);
  if (plan.creator !== null) text += ` by ${creator.toLowerCase()}`;
  return text.toLowerCase();
}

/**
 * The next wording after a defect: a quirk or a truncation gives way to the real title, then one
 * change that answers what went wrong (the kind after the wrong kind, the creator after the wrong item,
 * a slow repeat or more detail after silence or an error).
 */
export function rephrasePlan(
  rng: Random,
  plan: UtterancePlan,
  perceived: Perceived,
  creator: string,
): UtterancePlan {
  const next: UtterancePlan = { ...plan, clear: false };
  const realTitle = plan.title.toLowerCase();
  if (plan.quirk === "nickname" && rng.next() < 0.8) {
    next.name = realTitle;
    next.quirk = null;
  } else if (plan.quirk === "mispronunciation" && rng.next() < 0.3) {
    next.name = realTitle;
    next.quirk = null;
  } else if (plan.quirk === null && plan.name !== realTitle) {
    next.name = realTitle;
  }
  const nickname = next.quirk === "nickname";
  const canCreator = namesCreator(plan.kind) && next.creator === null && !nickname;
  const addCreator = () => {
    next.creator = creator;
  };
  const addKind = () => {
    if (nickname) next.clear = true;
    else next.kindWord = true;
  };
  const repeat = () => {
    next.clear = true;
  };
  const r = rng.next();
  if (perceived === "wrong-kind") {
    if (!next.kindWord) addKind();
    else if (canCreator) addCreator();
    else repeat();
  } else if (perceived === "wrong-item") {
    if (canCreator && r < 0.75) addCreator();
    else if (!next.kindWord) addKind();
    else repeat();
  } else if (perceived === "nothing") {
    if (r < 0.35) repeat();
    else if (r < 0.65 && !next.kindWord) addKind();
    else if (canCreator) addCreator();
    else if (!next.kindWord) addKind();
    else repeat();
  } else if (r < 0.7) repeat();
  else if (canCreator) addCreator();
  else repeat();
  if (!next.clear && rng.next() < 0.5) next.style = rng.next();
  return next;
}

/** Sound slips a speaker may make consistently, as [pattern, replacement]. */
const SLIPS: ReadonlyArray<[RegExp, string]> = [
  [/th/, "d"],
  [/v/, "b"],
  [/w/, "v"],
  [/r/, "l"],
  [/ght/, "t"],
  [/ea/, "ee"],
  [/ou/, "oo"],
  [/i/, "ee"],
  [/a/, "e"],
  [/o/, "u"],
  [/s$/, ""],
  [/([^s])$/, "$1s"],
];

/**
 * A consistent mispronunciation of a title: its two longest words with two sound slips each
 * ("lullaby island" -> "lulleby eeslend"). Null when the title has no word long enough to slip on.
 */
export function mispronounce(rng: Random, title: string): string | null {
  const words = title.toLowerCase().split(" ");
  const long = words
    .map((_, i) => i)
    .filter((i) => /^[a-z]{4,}$/.test(words[i]))
    .sort((a, b) => words[b].length - words[a].length || a - b)
    .slice(0, 2);
  if (long.length === 0) return null;
  const original = words.join(" ");
  for (const at of long) {
    let word = words[at];
    for (let slips = 0, tries = 0; slips < 2 && tries < 20; tries++) {
      const [re, to] = SLIPS[rng.int(SLIPS.length)];
      const slipped = word.replace(re, to);
      if (slipped !== word && slipped.length >= 3) {
        word = slipped;
        slips++;
      }
    }
    words[at] = word;
  }
  const out = words.join(" ");
  return out === original ? null : out;
}
