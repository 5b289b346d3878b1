import { normalizeText, phoneticPhrase, trigramDice } from "../matching/index.js";
import type { VoiceTurn } from "../voice/turn.js";

/** What the features need to know of the catalogue, kept small so core stays decoupled from storage. */
export interface TurnCatalogue {
  kindOf(item: string): string | undefined;
  /** How many catalogue items share this item's title (1 when it is unique). */
  sameTitleCount(item: string): number;
  /** The item's title, normalized (for "were the title's words heard?"); absent: no such features. */
  titleOf?(item: string): string | undefined;
  /** Whether a normalized word occurs in any title or creator name (a stand-in for an ASR language model). */
  knowsWord?(word: string): boolean;
}

export interface TurnFeatureOptions {
  /** Longest gap to the next turn of the same user and device that still counts as a follow-up (default 60 s). */
  followUpGapMs: number;
  /** Plays shorter than this were not wanted (default 30 s). */
  shortPlayMs: number;
}

export const defaultTurnFeatureOptions: TurnFeatureOptions = { followUpGapMs: 60_000, shortPlayMs: 30_000 };

const RESPONSE_KINDS = ["play", "answer", "clarify", "error", "dont-know", "none"] as const;
const ITEM_KINDS = ["song", "video", "movie", "podcast", "audiobook", "book", "other"] as const;
/** Words that say what kind of thing is meant, verbs included ("read", "watch"). */
const KIND_WORDS =
  /\b(song|track|album|movie|film|video|book|audiobook|audio book|podcast|episode|show|station|read|watch)\b/;
const BY = /\bby\b/;
/** The words of requests themselves, which no title needs to contain. */
const REQUEST_WORDS = new Set(
  (
    "play put on turn i want to hear listen let me watch read show the a an of and by in " +
    "song track album movie film video book audio audiobook podcast episode station"
  ).split(" "),
);

/** Names of the columns turnFeatures fills, in order (for reports and for checking a saved model). */
export const turnFeatureNames = [
  "asrConfidence",
  "asrMissing",
  "intentConfidence",
  "intentMissing",
  "bargeIn",
  ...RESPONSE_KINDS.map((k) => `response:${k}`),
  "logPlayedSeconds",
  "shortPlay",
  "playMissing",
  "words",
  "fewWords",
  "saysKind",
  "namesCreator",
  "unknownWordShare",
  "resolvedMissing",
  "logSameTitle",
  ...ITEM_KINDS.map((k) => `resolvedKind:${k}`),
  "titleHeard",
  "hasScreen",
  "devicePlaying",
  "looksDefective",
  "defectiveLowAsr",
  "defectiveLowIntent",
  "defectiveSharedTitle",
  "hasNext",
  "logSecondsToNext",
  "nextTextSimilarity",
  "nextSoundSimilarity",
  "nextSameText",
  "nextSameItem",
  "nextSameTitleOtherItem",
  "nextKindDiffers",
  "nextIntentDiffers",
  "nextAddsCreator",
  "nextAddsKindWord",
  "nextLooksSuccessful",
  "nextAsrConfidence",
  "nextTitleHeardHere",
  "hasPrevious",
  "previousTextSimilarity",
  "isolated",
] as const;

interface Prepared {
  norm: string;
  sound: string;
  words: number;
  saysKind: boolean;
  namesCreator: boolean;
  unknownShare: number;
  wordSet: Set<string>;
}

function prepare(text: string, catalogue: TurnCatalogue): Prepared {
  const norm = normalizeText(text);
  const list = norm === "" ? [] : norm.split(" ");
  let unknown = 0;
  let content = 0;
  if (catalogue.knowsWord) {
    for (const w of list) {
      if (REQUEST_WORDS.has(w)) continue;
      content++;
      if (!catalogue.knowsWord(w)) unknown++;
    }
  }
  return {
    norm,
    sound: phoneticPhrase(norm),
    words: list.length,
    saysKind: KIND_WORDS.test(norm),
    namesCreator: BY.test(norm),
    unknownShare: content === 0 ? 0 : unknown / content,
    wordSet: new Set(list),
  };
}

/** Every word of the item's title occurs in the text: the words were heard as the catalogue spells them. */
function titleHeard(item: string | undefined, text: Prepared, catalogue: TurnCatalogue): number {
  const title = item === undefined ? undefined : catalogue.titleOf?.(item);
  if (!title) return 0;
  return title.split(" ").every((w) => text.wordSet.has(w)) ? 1 : 0;
}

/**
 * A play not barged in on and not cut short (a play of unknown length counts): the turn went well. What
 * the features call a successful turn, and what context priors learn from.
 */
export function looksSuccessful(
  t: Pick<VoiceTurn, "responseKind" | "bargeIn" | "playedMs">,
  o: Pick<TurnFeatureOptions, "shortPlayMs"> = defaultTurnFeatureOptions,
): boolean {
  return t.responseKind === "play" && !t.bargeIn && (t.playedMs === undefined || t.playedMs >= o.shortPlayMs);
}

/**
 * One row of features per turn, from the turn itself and the user's reaction: the next turn of the same
 * user and device within the follow-up gap (how soon, how alike in text and sound, whether it names a creator
 * or a kind this one did not, whether it went well). Turns must be in time order. A few products of "this
 * turn looks defective" with the stage signals let the linear classifier blame a stage only when something
 * went wrong (low ASR confidence on a turn that then played fine is a recovered error, not a failure).
 */
export function turnFeatures(
  turns: readonly VoiceTurn[],
  catalogue: TurnCatalogue,
  options: Partial<TurnFeatureOptions> = {},
): Float64Array {
  const o = { ...defaultTurnFeatureOptions, ...options };
  const d = turnFeatureNames.length;
  const out = new Float64Array(turns.length * d);
  const prepared = turns.map((t) => prepare(t.text, catalogue));
  const next = new Int32Array(turns.length).fill(-1);
  const previous = new Int32Array(turns.length).fill(-1);
  const lastBySession = new Map<string, number>();
  for (let k = 0; k < turns.length; k++) {
    const key = `${turns[k].user}\u0000${turns[k].device ?? ""}`;
    const before = lastBySession.get(key);
    if (before !== undefined && turns[k].timeMs - turns[before].timeMs <= o.followUpGapMs) {
      next[before] = k;
      previous[k] = before;
    }
    lastBySession.set(key, k);
  }
  for (let k = 0; k < turns.length; k++) {
    const t = turns[k];
    const p = prepared[k];
    const n = next[k];
    const row: number[] = [];
    const asr = t.asrConfidence ?? 1;
    const intent = t.intentConfidence ?? 1;
    row.push(asr, t.asrConfidence === undefined ? 1 : 0);
    row.push(intent, t.intentConfidence === undefined ? 1 : 0);
    row.push(t.bargeIn ? 1 : 0);
    for (const kind of RESPONSE_KINDS) row.push(t.responseKind === kind ? 1 : 0);
    row.push(t.playedMs === undefined ? 0 : Math.log1p(t.playedMs / 1000));
    row.push(t.playedMs !== undefined && t.playedMs < o.shortPlayMs ? 1 : 0);
    row.push(t.playedMs === undefined ? 1 : 0);
    row.push(p.words, p.words <= 2 ? 1 : 0);
    row.push(p.saysKind ? 1 : 0, p.namesCreator ? 1 : 0, p.unknownShare);
    row.push(t.resolvedItem ? 0 : 1);
    const sameTitle = t.resolvedItem ? Math.log(catalogue.sameTitleCount(t.resolvedItem)) : 0;
    row.push(sameTitle);
    const kind = t.resolvedItem ? catalogue.kindOf(t.resolvedItem) : undefined;
    for (const k of ITEM_KINDS) row.push(kind === k ? 1 : 0);
    row.push(titleHeard(t.resolvedItem, p, catalogue));
    row.push(t.context?.hasScreen ? 1 : 0);
    row.push(t.context?.deviceState === "playing" ? 1 : 0);
    const u = n < 0 ? undefined : turns[n];
    const q = n < 0 ? undefined : prepared[n];
    const similarity = u && q ? trigramDice(p.norm, q.norm) : 0;
    const defective = !looksSuccessful(t, o) || similarity >= 0.5 ? 1 : 0;
    row.push(defective, defective * (1 - asr), defective * (1 - intent), defective * sameTitle);
    if (!u || !q) {
      row.push(0, Math.log1p(o.followUpGapMs / 1000), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    } else {
      const kindThere = u.resolvedItem ? catalogue.kindOf(u.resolvedItem) : undefined;
      const titleHere = t.resolvedItem ? catalogue.titleOf?.(t.resolvedItem) : undefined;
      const titleThere = u.resolvedItem ? catalogue.titleOf?.(u.resolvedItem) : undefined;
      row.push(1, Math.log1p((u.timeMs - t.timeMs) / 1000));
      row.push(similarity, trigramDice(p.sound, q.sound), p.norm === q.norm ? 1 : 0);
      row.push(t.resolvedItem !== undefined && t.resolvedItem === u.resolvedItem ? 1 : 0);
      row.push(
        titleHere !== undefined && titleHere === titleThere && t.resolvedItem !== u.resolvedItem ? 1 : 0,
      );
      row.push(kind !== undefined && kindThere !== undefined && kind !== kindThere ? 1 : 0);
      row.push(t.intent !== undefined && u.intent !== undefined && t.intent !== u.intent ? 1 : 0);
      row.push(q.namesCreator && !p.namesCreator ? 1 : 0);
      row.push(q.saysKind && !p.saysKind ? 1 : 0);
      row.push(looksSuccessful(u, o) ? 1 : 0);
      row.push(u.asrConfidence ?? 1);
      row.push(titleHeard(u.resolvedItem, p, catalogue));
    }
    const b = previous[k];
    row.push(b >= 0 ? 1 : 0, b >= 0 ? trigramDice(prepared[b].norm, p.norm) : 0);
    row.push(b < 0 && n < 0 ? 1 : 0);
    out.set(row, k * d);
  }
  return out;
}

/** A TurnCatalogue over catalogue items (title, kind, creators). */
export function turnCatalogue(
  items: ReadonlyArray<{ id: string; title: string; kind?: string; creators?: readonly string[] }>,
): TurnCatalogue {
  const kind = new Map<string, string>();
  const titles = new Map<string, string>();
  const perTitle = new Map<string, number>();
  const words = new Set<string>();
  for (const i of items) {
    kind.set(i.id, i.kind ?? "song");
    const t = normalizeText(i.title);
    titles.set(i.id, t);
    perTitle.set(t, (perTitle.get(t) ?? 0) + 1);
    for (const w of t.split(" ")) words.add(w);
    for (const c of i.creators ?? []) for (const w of normalizeText(c).split(" ")) words.add(w);
  }
  return {
    kindOf: (id) => kind.get(id),
    sameTitleCount: (id) => {
      const t = titles.get(id);
      return t === undefined ? 1 : (perTitle.get(t) ?? 1);
    },
    titleOf: (id) => titles.get(id),
    knowsWord: (w) => words.has(w),
  };
}
