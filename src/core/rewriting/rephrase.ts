import type { PlayEvent } from "../../schema/events.js";
import { normalizeText, parseRequest, phoneticKey, phoneticPhrase } from "../matching/index.js";
import { editSimilarity } from "../matching/similarity.js";
import { trigramDice } from "../matching/trigram-index.js";
import type { VoiceTurn } from "../voice/turn.js";

/**
 * Rephrase detection (methods.md 2d). A rephrase is the user asking again for what they just asked for,
 * in other words or the same ones, because the first answer was wrong. ContReph's lesson is that the text
 * pair alone is weak evidence: the interaction around it (was the first answer interrupted, an error, cut
 * short? how soon did the user speak again?) tells a retry from a new request. So the text similarity a
 * pair needs depends on the earlier turn's defect signal (none, a barge-in or short play, an error) and
 * on the gap.
 */

/** What the user's reaction or the assistant's answer says about a turn, without looking at later turns. */
export type SignalReason = "barge-in" | "error" | "short-play";

export interface SignalOptions {
  /** A play shorter than this is a defect (methods.md 2a: 30 s). */
  shortPlayMs: number;
  /** Response kinds that are defects in themselves. */
  errorKinds: readonly string[];
  /**
   * An item was resolved but answered with one of these instead of played ("that is not available
   * here"): the user asked for media and got none.
   */
  unplayedKinds: readonly string[];
}

export const defaultSignalOptions: SignalOptions = {
  shortPlayMs: 30_000,
  errorKinds: ["error", "dont-know"],
  unplayedKinds: ["answer"],
};

/** What a play event adds to its request: how long it played and how it ended. */
export interface PlayOutcome {
  playedMs?: number;
  bargeIn?: boolean;
  itemLengthMs?: number;
}

/** Per requestId, the outcome of the play it started (the longest, when several). */
export function playOutcomes(plays: readonly PlayEvent[] | undefined): Map<string, PlayOutcome> {
  const out = new Map<string, PlayOutcome>();
  for (const p of plays ?? []) {
    if (p.requestId === undefined) continue;
    const prev = out.get(p.requestId);
    if (prev !== undefined && (prev.playedMs ?? 0) >= p.playedMs) continue;
    out.set(p.requestId, {
      playedMs: p.playedMs,
      bargeIn: p.endReason === "barge-in",
      itemLengthMs: p.itemLengthMs,
    });
  }
  return out;
}

/**
 * The defect signals of one turn: a barge-in, an error or "I don't know" answer (or an item resolved and
 * not played), or a play cut short (unless the item itself is that short and played to its end).
 */
export function signalReasons(
  turn: VoiceTurn,
  play: PlayOutcome | undefined,
  options: SignalOptions = defaultSignalOptions,
): SignalReason[] {
  const out: SignalReason[] = [];
  if (turn.bargeIn || play?.bargeIn) out.push("barge-in");
  if (
    options.errorKinds.includes(turn.responseKind) ||
    (turn.resolvedItem !== undefined && options.unplayedKinds.includes(turn.responseKind))
  )
    out.push("error");
  const played = turn.playedMs ?? play?.playedMs;
  if (turn.responseKind === "play" && played !== undefined && played < options.shortPlayMs) {
    const length = play?.itemLengthMs;
    if (length === undefined || played < 0.9 * length) out.push("short-play");
  }
  return out;
}

/** The part of a request that names something: title and creator, without command, kind or wake words. */
export function requestContent(text: string): string {
  const p = parseRequest(text);
  const content = normalizeText(p.creator === null ? p.title : `${p.title} ${p.creator}`);
  return content === "" ? normalizeText(text) : content;
}

export interface RephraseSimilarity {
  /** Character-trigram Dice of the two contents. */
  char: number;
  /** Edit similarity of their sound keys: high for ASR confusions ("hallo" / "hello"). */
  phonetic: number;
  /** Share of the shorter content's words found in the other, equal or sounding alike. */
  tokens: number;
  /** Weighted mix of the three, 0..1. */
  score: number;
}

/** How the mix weighs the three parts; they sum to 1. */
export const rephraseWeights = { char: 0.4, phonetic: 0.3, tokens: 0.3 } as const;

/**
 * Text similarity of two requests as a rephrase pair, on their contents so that "play hello" and "put on
 * the song hello by adele" still look alike. Token overlap uses the shorter side because adding the
 * creator or the kind is a common way to rephrase.
 */
export function rephraseSimilarity(a: string, b: string): RephraseSimilarity {
  return similarityOfContents(requestContent(a), requestContent(b));
}

/** rephraseSimilarity(a, b).score. */
export function rephraseScore(a: string, b: string): number {
  return rephraseSimilarity(a, b).score;
}

/** rephraseSimilarity on contents already extracted (see requestContent). */
export function similarityOfContents(ca: string, cb: string): RephraseSimilarity {
  if (ca === cb) return { char: 1, phonetic: 1, tokens: 1, score: 1 };
  const char = trigramDice(ca, cb);
  const pa = phoneticPhrase(ca);
  const pb = phoneticPhrase(cb);
  // Split or merged words ("sun flower") should not cost a whole edit per space.
  const phonetic = Math.max(
    editSimilarity(pa, pb),
    editSimilarity(pa.replace(/ /g, ""), pb.replace(/ /g, "")),
  );
  const tokens = tokenOverlap(ca, cb);
  const w = rephraseWeights;
  return { char, phonetic, tokens, score: w.char * char + w.phonetic * phonetic + w.tokens * tokens };
}

function tokenOverlap(a: string, b: string): number {
  const wa = a.split(" ").filter((w) => w !== "");
  const wb = b.split(" ").filter((w) => w !== "");
  if (wa.length === 0 || wb.length === 0) return 0;
  const [short, long] = wa.length <= wb.length ? [wa, wb] : [wb, wa];
  const words = new Set(long);
  // Sound keys of one letter collide too often to count as the same word.
  const keys = new Set(long.map(phoneticKey).filter((k) => k.length >= 2));
  let hit = 0;
  for (const w of short) {
    if (words.has(w)) hit++;
    else {
      const k = phoneticKey(w);
      if (k.length >= 2 && keys.has(k)) hit += 0.8;
    }
  }
  return hit / short.length;
}

export interface RephraseOptions {
  /** Longest gap from the end of the earlier answer to the later request (methods.md 2a: 45-60 s). */
  maxGapMs: number;
  /** How many earlier turns of the same user and device are considered. */
  lookback: number;
  /** Minimum text score when the earlier turn carries a defect signal (barge-in, short play). */
  threshold: number;
  /**
   * Minimum text score when the earlier answer was an error ("I don't know", "that is not available"):
   * whatever the user says next is most likely the same request in other words, a nickname spelled out.
   */
  thresholdAfterError: number;
  /** Minimum text score when it does not (Infinity: never). */
  thresholdWithoutSignal: number;
  /** Subtracted from the threshold when the later request came within `quickGapMs`... */
  gapAdjust: number;
  quickGapMs: number;
  /** ...and added when it came after `slowGapMs`. */
  slowGapMs: number;
  signals: SignalOptions;
}

/**
 * Calibrated on the voice simulator (defects.sim.test.ts). After a barge-in or a short play, a retry
 * within the gap needs only a little textual overlap (0.2): users reword, add the creator or the kind,
 * or say the title again as misheard. After an error answer any next request counts (62 of 71 such pairs
 * with less overlap were rephrases; after a short play only 4 of 243). Without a signal nothing is a
 * rephrase: the same request again after a long play is a new request, and counting those cost precision
 * without finding a single true rephrase. A reply after 30 s needs 0.1 more overlap, one within 10 s 0.1
 * less.
 */
export const defaultRephraseOptions: RephraseOptions = {
  maxGapMs: 45_000,
  lookback: 3,
  threshold: 0.2,
  thresholdAfterError: 0,
  thresholdWithoutSignal: Number.POSITIVE_INFINITY,
  gapAdjust: 0.1,
  quickGapMs: 10_000,
  slowGapMs: 30_000,
  signals: defaultSignalOptions,
};

export interface RephraseLink {
  requestId: string;
  /** requestId of the earlier turn this one rephrases, or null. */
  rephraseOf: string | null;
  /** Text score of the chosen link (0 when none). */
  score: number;
}

/**
 * For each turn (time order), the earlier turn it rephrases: the latest of the same user and device,
 * within `lookback` turns and `maxGapMs` of the end of its answer, whose text score reaches the
 * threshold for its defect signal and gap.
 * An earlier turn is rephrased at most once: a second retry rephrases the first retry, which keeps chains
 * (u1 -> u2 -> u3) as the Markov miner wants them.
 */
export function detectRephrases(
  turns: readonly VoiceTurn[],
  options: Partial<RephraseOptions> & { plays?: readonly PlayEvent[] } = {},
): RephraseLink[] {
  const o = { ...defaultRephraseOptions, ...options };
  const outcomes = playOutcomes(options.plays);
  const contents = turns.map((t) => requestContent(t.text));
  const required = turns.map((t) => {
    const reasons = signalReasons(t, outcomes.get(t.requestId), o.signals);
    if (reasons.includes("error")) return o.thresholdAfterError;
    return reasons.length > 0 ? o.threshold : o.thresholdWithoutSignal;
  });
  const ends = turns.map((t) => t.timeMs + (t.playedMs ?? outcomes.get(t.requestId)?.playedMs ?? 0));
  const recent = new Map<string, number[]>();
  const taken = new Set<number>();
  const out: RephraseLink[] = [];
  for (let j = 0; j < turns.length; j++) {
    const t = turns[j];
    const key = `${t.user}\u0000${t.device ?? ""}`;
    let history = recent.get(key);
    if (history === undefined) {
      history = [];
      recent.set(key, history);
    }
    let best = -1;
    let bestScore = 0;
    // Latest first: the most recent passing turn wins, even over an older closer text.
    for (let h = history.length - 1; h >= Math.max(0, history.length - o.lookback); h--) {
      const i = history[h];
      const gap = t.timeMs - ends[i];
      if (t.timeMs - turns[i].timeMs > o.maxGapMs && gap > o.maxGapMs) break;
      if (gap > o.maxGapMs || taken.has(i)) continue;
      let needed = required[i];
      if (gap <= o.quickGapMs) needed -= o.gapAdjust;
      else if (gap > o.slowGapMs) needed += o.gapAdjust;
      if (!(needed <= 1)) continue;
      const score = similarityOfContents(contents[i], contents[j]).score;
      if (score >= needed) {
        best = i;
        bestScore = score;
        break;
      }
    }
    if (best >= 0) taken.add(best);
    out.push({
      requestId: t.requestId,
      rephraseOf: best >= 0 ? turns[best].requestId : null,
      score: bestScore,
    });
    history.push(j);
    if (history.length > o.lookback) history.shift();
  }
  return out;
}
