import type { VoiceWorld } from "./simulate.js";

/** Headline numbers of a voice world, from its truth: what a report or a sanity test wants to see. */
export interface VoiceWorldStats {
  turns: number;
  /** Requests (a user asking for something, rephrases not counted). */
  requests: number;
  falseWakes: number;
  /** Share of turns that left the user without what they meant (false wakes count when answered). */
  defectRate: number;
  /** Share of turns per label (CORRECT, ASR, NLU, ...). */
  labelShares: Record<string, number>;
  /** Share of turns per first failing stage, recovered errors included ("none" when nothing failed). */
  failedStageShares: Record<string, number>;
  causeShares: Record<string, number>;
  /** Share of turns with an error the assistant recovered from (a failed stage, label CORRECT). */
  recoveredRate: number;
  /** Share of users' defective turns followed by a rephrase. */
  rephraseRate: number;
  /** Share of requests that ended with the user giving up (or running out of time). */
  giveUpRate: number;
  /** Share of requests that ended with the intended item playing. */
  successRate: number;
  turnsPerUserDay: number;
}

function shares(values: Iterable<string>, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return Object.fromEntries(
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, c]) => [k, c / n]),
  );
}

export function summarizeVoiceWorld(world: VoiceWorld): VoiceWorldStats {
  const { truth } = world;
  const n = truth.length || 1;
  let requests = 0;
  let falseWakes = 0;
  let defects = 0;
  let recovered = 0;
  let userDefects = 0;
  let rephrased = 0;
  let gaveUp = 0;
  let succeeded = 0;
  for (const t of truth) {
    if (t.attempt === 1) requests++;
    if (t.attempt === 0) falseWakes++;
    if (t.defective) defects++;
    if (t.failedStage !== null && t.label === "CORRECT") recovered++;
    if (t.attempt > 0 && t.defective) {
      userDefects++;
      if (t.reaction === "rephrase") rephrased++;
    }
    if (t.reaction === "give-up" || t.reaction === "cut") gaveUp++;
    if (t.reaction === "done") succeeded++;
  }
  return {
    turns: truth.length,
    requests,
    falseWakes,
    defectRate: defects / n,
    labelShares: shares(
      truth.map((t) => t.label),
      n,
    ),
    failedStageShares: shares(
      truth.map((t) => t.failedStage ?? "none"),
      n,
    ),
    causeShares: shares(
      truth.map((t) => t.cause ?? "none"),
      n,
    ),
    recoveredRate: recovered / n,
    rephraseRate: userDefects === 0 ? 0 : rephrased / userDefects,
    giveUpRate: requests === 0 ? 0 : gaveUp / requests,
    successRate: requests === 0 ? 0 : succeeded / requests,
    turnsPerUserDay: truth.length / (world.users.length * world.days),
  };
}
