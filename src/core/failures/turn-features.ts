import { normalizeText, phoneticPhrase, trigramDice } from "../matching/index.js";
import type { VoiceTurn } from "../voice/turn.js";

/** What the features need to know of the catalogue, kept small so core stays decoupled from storage. */
export interface TurnCatalogue {
  kindOf(item: string): string | undefined;
  /** How many catalogue items share this item's title (1 when it is unique). */
  sameTitleCount(item: string): number;
}

export interface TurnFeatureOptions {
  /** Longest gap to the next turn of the same user and device that still counts as a follow-up (default 60 s). */
  followUpGapMs: number;
  /** Plays shorter than this were not wanted (default 30 s). */
  shortPlayMs: number;
}

export const defaultTurnFeatureOptions: TurnFeatureOptions = { followUpGapMs: 60_000, shortPlayMs: 30_000 };

const RESPONSE_KINDS = ["play", "answer", "clarify", "error", "dont-know", "none"] as const;
const KIND_WORDS = /\b(song|track|album|movie|film|video|book|audiobook|podcast|episode|show|station)\b/;

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
  "resolvedMissing",
  "logSameTitle",
  "hasScreen",
  "devicePlaying",
  "hasNext",
  "logSecondsToNext",
  "nextTextSimilarity",
  "nextSoundSimilarity",
  "nextSameText",
  "nextSameItem",
  "nextKindDiffers",
  "nextIntentDiffers",
  "nextAddsCreator",
  "nextAddsKindWord",
  "nextLooksSuccessful",
  "hasPrevious",
  "previousTextSimilarity",
] as const;

interface Prepared {
  norm: string;
  sound: string;
  words: number;
}

function prepare(text: string): Prepared {
  const norm = normalizeText(text);
  return { norm, sound: phoneticPhrase(norm), words: norm === "" ? 0 : norm.split(" ").length };
}

function looksSuccessful(t: VoiceTurn, o: TurnFeatureOptions): boolean {
  return t.responseKind === "play" && !t.bargeIn && (t.playedMs === undefined || t.playedMs >= o.shortPlayMs);
}

/**
 * One row of features per turn, from the turn itself and the user's reaction: the next turn of the same
 * user and device within the follow-up gap (how soon, how alike in text and sound, whether it names a creator
 * or a kind this one did not, whether it went well). Turns must be in time order.
 */
export function turnFeatures(
  turns: readonly VoiceTurn[],
  catalogue: TurnCatalogue,
  options: Partial<TurnFeatureOptions> = {},
): Float64Array {
  const o = { ...defaultTurnFeatureOptions, ...options };
  const d = turnFeatureNames.length;
  const out = new Float64Array(turns.length * d);
  const prepared = turns.map((t) => prepare(t.text));
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
    const row: number[] = [];
    row.push(t.asrConfidence ?? 1, t.asrConfidence === undefined ? 1 : 0);
    row.push(t.intentConfidence ?? 1, t.intentConfidence === undefined ? 1 : 0);
    row.push(t.bargeIn ? 1 : 0);
    for (const kind of RESPONSE_KINDS) row.push(t.responseKind === kind ? 1 : 0);
    row.push(t.playedMs === undefined ? 0 : Math.log1p(t.playedMs / 1000));
    row.push(t.playedMs !== undefined && t.playedMs < o.shortPlayMs ? 1 : 0);
    row.push(t.playedMs === undefined ? 1 : 0);
    row.push(p.words, p.words <= 2 ? 1 : 0);
    row.push(t.resolvedItem ? 0 : 1);
    row.push(t.resolvedItem ? Math.log(catalogue.sameTitleCount(t.resolvedItem)) : 0);
    row.push(t.context?.hasScreen ? 1 : 0);
    row.push(t.context?.deviceState === "playing" ? 1 : 0);
    const n = next[k];
    if (n < 0) {
      row.push(0, Math.log1p(o.followUpGapMs / 1000), 0, 0, 0, 0, 0, 0, 0, 0, 0);
    } else {
      const u = turns[n];
      const q = prepared[n];
      const kindHere = t.resolvedItem ? catalogue.kindOf(t.resolvedItem) : undefined;
      const kindThere = u.resolvedItem ? catalogue.kindOf(u.resolvedItem) : undefined;
      row.push(1, Math.log1p((u.timeMs - t.timeMs) / 1000));
      row.push(trigramDice(p.norm, q.norm), trigramDice(p.sound, q.sound), p.norm === q.norm ? 1 : 0);
      row.push(t.resolvedItem !== undefined && t.resolvedItem === u.resolvedItem ? 1 : 0);
      row.push(kindHere !== undefined && kindThere !== undefined && kindHere !== kindThere ? 1 : 0);
      row.push(t.intent !== undefined && u.intent !== undefined && t.intent !== u.intent ? 1 : 0);
      row.push(/\bby\b/.test(q.norm) && !/\bby\b/.test(p.norm) ? 1 : 0);
      row.push(KIND_WORDS.test(q.norm) && !KIND_WORDS.test(p.norm) ? 1 : 0);
      row.push(looksSuccessful(u, o) ? 1 : 0);
    }
    const b = previous[k];
    row.push(b >= 0 ? 1 : 0, b >= 0 ? trigramDice(prepared[b].norm, p.norm) : 0);
    out.set(row, k * d);
  }
  return out;
}

/** A TurnCatalogue over catalogue items (title, kind). */
export function turnCatalogue(
  items: ReadonlyArray<{ id: string; title: string; kind?: string }>,
): TurnCatalogue {
  const kind = new Map<string, string>();
  const titleOf = new Map<string, string>();
  const perTitle = new Map<string, number>();
  for (const i of items) {
    kind.set(i.id, i.kind ?? "song");
    const t = normalizeText(i.title);
    titleOf.set(i.id, t);
    perTitle.set(t, (perTitle.get(t) ?? 0) + 1);
  }
  return {
    kindOf: (id) => kind.get(id),
    sameTitleCount: (id) => {
      const t = titleOf.get(id);
      return t === undefined ? 1 : (perTitle.get(t) ?? 1);
    },
  };
}
