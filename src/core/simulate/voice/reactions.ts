import type { endReasons } from "../../../schema/events.js";
import type { Random } from "../../random.js";
import { SKIP_MS } from "../model.js";
import type { VoiceKind } from "./titles.js";

type EndReason = (typeof endReasons)[number];

/** How the listener handled a play. */
export interface PlayReaction {
  playedMs: number;
  endReason: EndReason;
  bargeIn: boolean;
  /** A wrong item the user kept anyway (liked it, or did not care). */
  accepted: boolean;
}

/**
 * What was played relative to what the user meant: the right item; a wrong one; the right item in a wrong
 * version (the trailer, the live cut); or anything at all after a false wake, which nobody asked for.
 */
export type PlaySituation = "right" | "wrong" | "wrong-version" | "false-wake";

/** Kinds listened to in chunks rather than to the end. */
const LONG_KINDS = new Set<VoiceKind>(["movie", "podcast", "audiobook", "book", "other"]);
/** A user who asked for an item mostly wants it: this share at least, more when they like it. */
const WANTED = 0.85;
/** Share of wrong items kept, times the user's affinity for them. */
const ACCEPT = 0.3;
const COMPLETE_SHARE = 0.65;
const INTERRUPTION = 0.04;
const MINUTE = 60_000;

/**
 * Play duration and ending: the right item plays long (to the end, or a long chunk of a book or movie);
 * a wrong one is mostly interrupted within seconds, else skipped before 30 s, unless the user happens to
 * like it. Draws a fixed number of random numbers.
 */
export function reactToPlay(
  rng: Random,
  situation: PlaySituation,
  affinity: number,
  lengthMs: number,
  kind: VoiceKind,
  bargeInRate: number,
): PlayReaction {
  const u = [rng.next(), rng.next(), rng.next(), rng.next()];
  const long = (): PlayReaction => {
    if (u[1] < INTERRUPTION)
      return {
        playedMs: Math.round(u[2] * Math.min(lengthMs, MINUTE)),
        endReason: "interrupted",
        bargeIn: false,
        accepted: false,
      };
    if (LONG_KINDS.has(kind)) {
      const playedMs = Math.min(lengthMs, Math.round((8 + 70 * u[2]) * MINUTE));
      return {
        playedMs,
        endReason: playedMs === lengthMs ? "completed" : "skipped",
        bargeIn: false,
        accepted: false,
      };
    }
    if (u[2] < COMPLETE_SHARE)
      return { playedMs: lengthMs, endReason: "completed", bargeIn: false, accepted: false };
    const playedMs = Math.max(SKIP_MS, Math.round(lengthMs * (0.4 + 0.6 * u[3])));
    return { playedMs: Math.min(playedMs, lengthMs), endReason: "skipped", bargeIn: false, accepted: false };
  };
  const stop = (
    share: number,
    bargeLo: number,
    bargeHi: number,
    skipLo: number,
    skipHi: number,
  ): PlayReaction =>
    u[1] < share
      ? {
          playedMs: Math.round(bargeLo + (bargeHi - bargeLo) * u[2]),
          endReason: "barge-in",
          bargeIn: true,
          accepted: false,
        }
      : {
          playedMs: Math.round(skipLo + (skipHi - skipLo) * u[2]),
          endReason: "skipped",
          bargeIn: false,
          accepted: false,
        };
  switch (situation) {
    case "right":
      if (u[0] < WANTED + (1 - WANTED) * affinity) return long();
      // Asked for it and changed their mind: a skip that is no defect of the assistant.
      return {
        playedMs: u[2] < 0.2 ? 0 : Math.round(u[3] * SKIP_MS),
        endReason: "skipped",
        bargeIn: false,
        accepted: false,
      };
    case "wrong":
      if (u[0] < ACCEPT * affinity) return { ...long(), accepted: true };
      return stop(bargeInRate, 1000, 6000, 6000, SKIP_MS);
    case "wrong-version":
      return stop(0.7, 1500, 8000, 8000, SKIP_MS);
    case "false-wake":
      return stop(0.75, 1000, 4000, 5000, 40_000);
  }
}
