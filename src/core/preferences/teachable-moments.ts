import { editSimilarity, normalizeText } from "../matching/index.js";
import type { VoiceTurn } from "../voice/turn.js";

/**
 * Teachable moments: turns after which an assistant may ask "should I remember that?". Two signals:
 * the same request repeated within minutes (the first answers were not it), and explicit
 * dissatisfaction right after an answer ("no", "not that", "I said …").
 */
export type TeachableMomentKind = "repeated-request" | "dissatisfaction";

export interface TeachableMoment {
  kind: TeachableMomentKind;
  /** The question to ask the user. */
  suggestion: string;
  /** The turns involved, oldest first; the last one is the latest turn. */
  turnIds: string[];
  /** The request whose meaning could be remembered, as the user said it. */
  request?: string;
  /** What the user said they meant ("I said jazz" -> "jazz"), or the item they settled on. */
  meant?: string;
  /** The item the user settled on, when known. */
  meantItem?: string;
  /** A statement parsePreference accepts, to store if the user says yes ("I don't like Hello by Adele"). */
  proposal?: string;
}

export interface TeachableMomentOptions {
  /** Requests this close to the latest one count as repeats (default 5 minutes). */
  repeatWindowMs?: number;
  /** A complaint counts when it follows the answer within this (default 60 s). */
  correctionWindowMs?: number;
  /** Least similarity of two requests' normalized texts to count as the same (default 0.85). */
  minSimilarity?: number;
  /** A title for an item id, so that questions name what was played. */
  describeItem?: (itemId: string) => { title: string; creators?: readonly string[] } | null | undefined;
}

/** A play that ran this long without a barge-in was what the user wanted. */
const SATISFIED_PLAY_MS = 30_000;

/** An answer played at least SATISFIED_PLAY_MS with no barge-in (an unknown play length does not count). */
function satisfiedPlay(t: VoiceTurn): boolean {
  return t.resolvedItem !== undefined && !t.bargeIn && (t.playedMs ?? 0) >= SATISFIED_PLAY_MS;
}

const WAKE_AND_POLITENESS =
  /^(?:(?:alexa|hey google|ok google|okay google|hey siri|siri|computer|hey|ok|okay|please|can you|could you|would you|will you|i want to hear|id like to hear|lets hear)\s)+/;

/** The request with wake words and politeness removed, for comparing repeats. */
function requestKey(text: string): string {
  return normalizeText(text)
    .replace(WAKE_AND_POLITENESS, "")
    .replace(/ please$/, "")
    .trim();
}

/** Device controls repeat naturally ("next", "louder") and teach nothing. */
const CONTROL =
  /^(?:stop|pause|resume|continue|next|skip|previous|back|louder|quieter|softer|mute|unmute|shuffle|repeat|play|cancel|yes|no|thanks|thank you|volume .+|turn (?:it )?(?:up|down)|what(?:s| is) (?:this|playing|that)|whats this song|what song is this)$/;

const COMPLAINT =
  /^(?:(?:no|nope|nah|ugh|argh|oh no)\s)*(?:no|nope|nah|ugh|wrong|thats wrong|thats not right|not that|not this|not that one|not this one|wrong one|wrong song|wrong artist|wrong video|wrong thing|thats not it|thats not what i (?:asked|asked for|wanted|said|meant)|not what i (?:asked|asked for|wanted|said|meant)|i didnt ask for (?:that|this)|i did not ask for (?:that|this)|the other one|stop|stop it|stop that|stop playing (?:that|this)|turn (?:it|that|this) off|cancel that)(?: please)?$/;
const CORRECTION =
  /^(?:(?:no|nope|nah|not that|not that one|no not that|wrong)\s)*(?:i said|i meant|i asked for|i mean)\s(?<meant>.+)$/;
const CORRECTION_AFTER_NO =
  /^(?:no|nope|nah|not that|not that one|no not that|wrong)\s(?:(?:no|not that)\s)*(?:i want|i wanted|play|put on)\s(?<meant>.+)$/;

function complaint(text: string): { meant?: string } | null {
  const norm = normalizeText(text);
  const corrected = CORRECTION.exec(norm) ?? CORRECTION_AFTER_NO.exec(norm);
  if (corrected?.groups?.meant) return { meant: corrected.groups.meant.replace(/ please$/, "") };
  return COMPLAINT.test(norm) ? {} : null;
}

function itemName(id: string, options: TeachableMomentOptions): string {
  const d = options.describeItem?.(id);
  if (!d) return id;
  const creator = d.creators?.[0];
  return creator ? `${d.title} by ${creator}` : d.title;
}

function sameRequest(a: string, b: string, min: number): boolean {
  if (a === "" || b === "") return false;
  return a === b || editSimilarity(a, b, min) >= min;
}

/**
 * The teachable moments the latest turn of `recentTurns` makes (the user of that turn; turns after nowMs
 * ignored, and nothing when the latest turn is older than the repeat window): dissatisfaction first,
 * then a repeated request. Empty when there is nothing worth asking.
 */
export function detectTeachableMoments(
  recentTurns: readonly VoiceTurn[],
  nowMs: number,
  options: TeachableMomentOptions = {},
): TeachableMoment[] {
  const repeatWindow = options.repeatWindowMs ?? 5 * 60_000;
  const correctionWindow = options.correctionWindowMs ?? 60_000;
  const minSimilarity = options.minSimilarity ?? 0.85;
  const past = recentTurns
    .filter((t) => t.timeMs <= nowMs)
    .sort((a, b) => a.timeMs - b.timeMs || a.requestId.localeCompare(b.requestId));
  const latest = past[past.length - 1];
  if (!latest || nowMs - latest.timeMs > repeatWindow) return [];
  const turns = past.filter((t) => t.user === latest.user);
  const earlier = turns.slice(0, -1);
  const moments: TeachableMoment[] = [];

  const said = complaint(latest.text);
  if (said) {
    // The answer complained about: the last turn before that is not itself a complaint.
    const answered = [...earlier]
      .reverse()
      .find((t) => latest.timeMs - t.timeMs <= correctionWindow && complaint(t.text) === null);
    if (answered) {
      const turnIds = [answered.requestId, latest.requestId];
      if (said.meant) {
        moments.push({
          kind: "dissatisfaction",
          suggestion: `Should I remember that you mean "${said.meant}" when you say "${answered.text}"?`,
          turnIds,
          request: answered.text,
          meant: said.meant,
        });
      } else if (answered.resolvedItem) {
        const name = itemName(answered.resolvedItem, options);
        moments.push({
          kind: "dissatisfaction",
          suggestion: `Should I remember that you don't want ${name} when you say "${answered.text}"?`,
          turnIds,
          request: answered.text,
          ...(options.describeItem?.(answered.resolvedItem) ? { proposal: `I don't like ${name}` } : {}),
        });
      } else {
        moments.push({
          kind: "dissatisfaction",
          suggestion: `That wasn't right. Should I remember what you mean when you say "${answered.text}"?`,
          turnIds,
          request: answered.text,
        });
      }
    }
    return moments;
  }

  const key = requestKey(latest.text);
  if (key === "" || CONTROL.test(key)) return moments;
  const repeats = earlier.filter(
    (t) => latest.timeMs - t.timeMs <= repeatWindow && sameRequest(requestKey(t.text), key, minSimilarity),
  );
  // Playing the same thing again after it ran its course is a replay, not a failed request.
  const replay = repeats.every((t) => satisfiedPlay(t) && t.resolvedItem === latest.resolvedItem);
  if (repeats.length === 0 || replay) return moments;
  const all = [...repeats, latest];
  // What the user settled on: the longest uninterrupted play among the answers, else the latest answer.
  // The latest answer counts only when it is new: the same answer again is why the user repeats.
  const satisfied = [...all].filter(satisfiedPlay).sort((a, b) => (b.playedMs ?? 0) - (a.playedMs ?? 0))[0];
  const fresh = repeats.every((t) => t.resolvedItem !== latest.resolvedItem) ? latest : undefined;
  const settled = satisfied ?? fresh;
  const times = all.length === 2 ? "twice" : `${all.length} times`;
  const moment: TeachableMoment = {
    kind: "repeated-request",
    suggestion: `You asked for "${latest.text}" ${times}. Should I remember what you mean by it?`,
    turnIds: all.map((t) => t.requestId),
    request: latest.text,
  };
  if (settled?.resolvedItem) {
    const name = itemName(settled.resolvedItem, options);
    moment.suggestion = `Should I remember that you mean ${name} when you say "${latest.text}"?`;
    moment.meant = name;
    moment.meantItem = settled.resolvedItem;
  }
  moments.push(moment);
  return moments;
}
