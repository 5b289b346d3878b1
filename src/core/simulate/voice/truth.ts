import type { TurnTruth } from "../../voice/turn.js";

/** The mechanism behind a turn's first failing stage. */
export const failureCauses = [
  "false-wake",
  /** A known confusable phrase heard as its confusion ("hey jude" -> "hey dude"). */
  "asr-systematic",
  /** A random slip of one word. */
  "asr-random",
  /** A title-only request routed to the title's most popular kind, not the one meant here. */
  "nlu-ambiguous",
  /** The text-keyed NLU error. */
  "nlu-noise",
  /** Nothing in the text looked like a known title. */
  "nlu-unknown",
  /** Same-title items decided by global popularity. */
  "er-same-title",
  /** The text-keyed ER error. */
  "er-noise",
  /** The words matched nothing of the right kind (a nickname, a mispronunciation). */
  "er-not-found",
  /** The words matched another item better. */
  "er-wrong-match",
  "result-unavailable",
  /** A movie or video asked for on a device without a screen. */
  "result-no-screen",
  "result-error",
  "result-wrong-version",
  /** A policy rewrite turned a good transcript into a wrong request. */
  "rewrite",
] as const;
export type FailureCause = (typeof failureCauses)[number];

/**
 * What the user did after the turn: got what they meant ("done"), kept a wrong item ("accepted"), tried
 * again ("rephrase"), gave up ("give-up"), or had no time left before their next session ("cut").
 * False wakes have no user: "none".
 */
export const reactions = ["done", "accepted", "rephrase", "give-up", "cut", "none"] as const;
export type Reaction = (typeof reactions)[number];

/**
 * The simulator's truth about a turn: the shared TurnTruth plus what only a simulator knows. A false wake
 * is defective when the assistant answered it (nobody asked, yet something played or was said); one the
 * assistant ignored is not. `label` is the first failure the assistant did not recover from: an ASR error
 * whose transcript still resolved to the intended item is no failure, so if that item then fails to play
 * the label is RESULT while `failedStage` stays ASR.
 */
export interface VoiceTurnTruth extends TurnTruth {
  cause: FailureCause | null;
  /** 1 for a request's first utterance, 2, 3... for its rephrases, 0 for a false wake. */
  attempt: number;
  /** The user spoke a personal quirk instead of the title. */
  quirk: "nickname" | "mispronunciation" | null;
  reaction: Reaction;
}
