import { eventTimeMs, type RequestEvent } from "../../schema/events.js";

/**
 * A request event as the core sees it: the same fields with the time as epoch milliseconds, so detectors
 * and miners compare gaps without parsing dates.
 */
export type VoiceTurn = Omit<RequestEvent, "time"> & { timeMs: number };

/** The stages of a voice pipeline, in order; a turn's failure point is the first that went wrong. */
export const failureStages = ["FALSE_WAKE", "ASR", "NLU", "ER", "RESULT"] as const;
export type FailureStage = (typeof failureStages)[number];

/** What failure point isolation predicts per turn: a stage, or CORRECT (including errors the assistant recovered from). */
export const turnLabels = [...failureStages, "CORRECT"] as const;
export type TurnLabel = (typeof turnLabels)[number];

/** Ground truth the simulator knows about a turn and no detector may read. */
export interface TurnTruth {
  requestId: string;
  /** Session (one user on one device, turns close in time) the turn belongs to. */
  sessionId: string;
  /** Catalogue id the user meant; null for a false wake (nobody asked anything). */
  intendedItem: string | null;
  /** What the user actually said, before ASR. */
  spokenText: string;
  /** First stage that went wrong, null when none did. */
  failedStage: FailureStage | null;
  /** The label FPI must predict: failedStage unless the assistant still gave the intended answer, then CORRECT. */
  label: TurnLabel;
  /** The turn left the user without what they meant (the defect detectors' target). */
  defective: boolean;
  /** requestId of the earlier turn this one rephrases (same intent, after a defect), else null. */
  rephraseOf: string | null;
}

export function turnFromEvent(event: RequestEvent): VoiceTurn {
  const { time, ...rest } = event;
  return { ...rest, timeMs: eventTimeMs(time) };
}
