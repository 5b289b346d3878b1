import type { EdgeArrays } from "./graph.js";

/** Plays as columns (the store's PlayColumns fit): row k is user userIndex[k] playing item itemIndex[k]. */
export interface PlaySequenceColumns {
  userIndex: Int32Array;
  itemIndex: Int32Array;
  endTimeMs: Float64Array;
  playedMs: Float64Array;
  /** 0 when unknown. */
  itemLengthMs?: Float64Array;
}

export interface PlaysNextOptions {
  /** B follows A when B starts at most this long after A ended (default 10 minutes). */
  maxGapMs?: number;
  /** Plays shorter than this are skips: never an endorsement, and passed over as a source (default 30 s). */
  skipMs?: number;
  /** Play time that counts as a full listen when the item's length is unknown (default 3 minutes). */
  fullPlayMs?: number;
}

/**
 * The "plays next" graph: A -> B each time a listener, having listened to A (not skipped it), starts B within
 * maxGapMs of A's end and does not skip B. Each such transition adds B's listened share (played / length,
 * at most 1) to the edge weight, so the weight grows with how often and how fully B was played after A.
 * Skipped plays in between are passed over: "A, skip, skip, B" still links A -> B when the gap allows, because
 * the skips are the listener looking for what should follow A. Start times are end minus played time (the
 * exports give end times only, to the minute, so small negative gaps are normal and accepted).
 */
export function playsNextEdges(plays: PlaySequenceColumns, options: PlaysNextOptions = {}): EdgeArrays {
  const { sources, targets, weights } = playsNextTransitions(plays, options);
  return { sources, targets, weights };
}

/** The transitions of playsNextEdges, each with its listener and the end time of the play that followed. */
export interface PlayTransitions extends EdgeArrays {
  userIndex: Int32Array;
  endTimeMs: Float64Array;
  /**
   * The listening session each transition belongs to, numbered from 0 in (user, time) order: a session ends
   * where the listener changes or a gap longer than maxGapMs opens. An evaluation that holds out whole
   * sessions keeps a held-out transition's neighbours in the chain out of training with it.
   */
  sessionIndex: Int32Array;
}

/** playsNextEdges with who made each transition and when (the follow-up play's end), in the same order. */
export function playsNextTransitions(
  plays: PlaySequenceColumns,
  options: PlaysNextOptions = {},
): PlayTransitions {
  const maxGap = options.maxGapMs ?? 10 * 60_000;
  const skip = options.skipMs ?? 30_000;
  const full = options.fullPlayMs ?? 180_000;
  const n = plays.userIndex.length;
  const order = Array.from({ length: n }, (_, k) => k).sort(
    (a, b) => plays.userIndex[a] - plays.userIndex[b] || plays.endTimeMs[a] - plays.endTimeMs[b] || a - b,
  );
  const sources: number[] = [];
  const targets: number[] = [];
  const weights: number[] = [];
  const rows: number[] = [];
  const sessions: number[] = [];
  let session = -1;
  let lastUser = -1;
  let anchor = -1; // last non-skipped play of this user, the candidate A
  let lastEnd = Number.NEGATIVE_INFINITY; // end of the user's latest play of any kind
  for (const k of order) {
    const user = plays.userIndex[k];
    if (user !== lastUser) {
      lastUser = user;
      anchor = -1;
      lastEnd = Number.NEGATIVE_INFINITY;
    }
    const start = plays.endTimeMs[k] - plays.playedMs[k];
    // A gap anywhere in the chain ends the session: the skips in between must themselves follow closely.
    if (start - lastEnd > maxGap) {
      anchor = -1;
      session++;
    }
    lastEnd = plays.endTimeMs[k];
    if (plays.playedMs[k] < skip) continue;
    if (anchor >= 0 && plays.itemIndex[anchor] !== plays.itemIndex[k]) {
      const length = plays.itemLengthMs?.[k] ?? 0;
      sources.push(plays.itemIndex[anchor]);
      targets.push(plays.itemIndex[k]);
      weights.push(Math.min(1, plays.playedMs[k] / (length > 0 ? length : full)));
      rows.push(k);
      sessions.push(session);
    }
    anchor = k;
  }
  return {
    sources: Int32Array.from(sources),
    targets: Int32Array.from(targets),
    weights: Float32Array.from(weights),
    userIndex: Int32Array.from(rows, (k) => plays.userIndex[k]),
    endTimeMs: Float64Array.from(rows, (k) => plays.endTimeMs[k]),
    // Renumbered densely: sessions without a transition (a lone play, skips only) take no number.
    sessionIndex: denseRanks(sessions),
  };
}

/** Non-decreasing integers renumbered 0, 1, 2, ... keeping equal ones equal. */
function denseRanks(sorted: number[]): Int32Array {
  const out = new Int32Array(sorted.length);
  let rank = -1;
  for (let k = 0; k < sorted.length; k++) {
    if (k === 0 || sorted[k] !== sorted[k - 1]) rank++;
    out[k] = rank;
  }
  return out;
}
