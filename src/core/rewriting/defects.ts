import type { PlayEvent } from "../../schema/events.js";
import type { TurnTruth, VoiceTurn } from "../voice/turn.js";
import {
  detectRephrases,
  playOutcomes,
  type RephraseLink,
  type RephraseOptions,
  type SignalReason,
  signalReasons,
} from "./rephrase.js";

/**
 * Turn-level defect detection (methods.md 2a step 2): a turn is defective when the user barged in, the
 * assistant answered with an error or "I don't know", a play stopped within 30 s, or the user rephrased
 * the request soon after. The last reason needs the later turns, so detection runs over a whole log.
 */

export type DefectReason = SignalReason | "rephrased";

export interface DefectVerdict {
  requestId: string;
  defective: boolean;
  reasons: DefectReason[];
  /** requestId of the earlier turn this one rephrases, or null (from detectRephrases). */
  rephraseOf: string | null;
}

export interface DefectOptions extends Partial<RephraseOptions> {
  plays?: readonly PlayEvent[];
  /** Links already computed by detectRephrases on the same turns, to skip a second pass. */
  rephrases?: readonly RephraseLink[];
}

/** Verdicts for `turns` (time order), aligned with them. */
export function detectDefects(turns: readonly VoiceTurn[], options: DefectOptions = {}): DefectVerdict[] {
  const links = options.rephrases ?? detectRephrases(turns, options);
  const outcomes = playOutcomes(options.plays);
  const rephrased = new Set<string>();
  for (const l of links) if (l.rephraseOf !== null) rephrased.add(l.rephraseOf);
  return turns.map((t, i) => {
    const reasons: DefectReason[] = signalReasons(t, outcomes.get(t.requestId), options.signals);
    if (rephrased.has(t.requestId)) reasons.push("rephrased");
    return {
      requestId: t.requestId,
      defective: reasons.length > 0,
      reasons,
      rephraseOf: links[i].rephraseOf,
    };
  });
}

export interface PrecisionRecall {
  precision: number;
  recall: number;
  f1: number;
  truePositives: number;
  predicted: number;
  actual: number;
}

export interface DetectionQuality {
  defects: PrecisionRecall;
  /** A rephrase counts when it links to the same earlier turn as the truth. */
  rephrases: PrecisionRecall;
}

export function precisionRecall(truePositives: number, predicted: number, actual: number): PrecisionRecall {
  const precision = predicted === 0 ? 1 : truePositives / predicted;
  const recall = actual === 0 ? 1 : truePositives / actual;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives, predicted, actual };
}

/** Precision and recall of verdicts against the simulator's truth, matched by requestId. */
export function detectionQuality(
  predicted: readonly DefectVerdict[],
  truth: readonly Pick<TurnTruth, "requestId" | "defective" | "rephraseOf">[],
): DetectionQuality {
  const byId = new Map(truth.map((t) => [t.requestId, t]));
  let dTp = 0;
  let dPred = 0;
  let dAct = 0;
  let rTp = 0;
  let rPred = 0;
  let rAct = 0;
  for (const p of predicted) {
    const t = byId.get(p.requestId);
    if (t === undefined) continue;
    if (p.defective) dPred++;
    if (t.defective) dAct++;
    if (p.defective && t.defective) dTp++;
    if (p.rephraseOf !== null) rPred++;
    if (t.rephraseOf !== null) rAct++;
    if (p.rephraseOf !== null && p.rephraseOf === t.rephraseOf) rTp++;
  }
  return { defects: precisionRecall(dTp, dPred, dAct), rephrases: precisionRecall(rTp, rPred, rAct) };
}
