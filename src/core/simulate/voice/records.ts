import { z } from "zod";
import { failureStages, turnLabels } from "../../voice/turn.js";
import type { VoiceUserInfo, VoiceWorld } from "./simulate.js";
import { failureCauses, reactions, type VoiceTurnTruth } from "./truth.js";

/**
 * A voice world as the files the CLI writes: request and play events as JSON lines in the ingest format,
 * the catalogue as JSON lines, and the truth (per-turn ground truth plus the true taste model) as JSON.
 * Pure: it returns the contents; writing them is the caller's business.
 */
export interface VoiceFiles {
  "requests.jsonl": string;
  "plays.jsonl": string;
  "catalogue.jsonl": string;
  "truth.json": string;
}

const turnTruthSchema = z.object({
  requestId: z.string().min(1),
  sessionId: z.string().min(1),
  intendedItem: z.string().min(1).nullable(),
  spokenText: z.string(),
  failedStage: z.enum(failureStages).nullable(),
  label: z.enum(turnLabels),
  defective: z.boolean(),
  rephraseOf: z.string().min(1).nullable(),
  cause: z.enum(failureCauses).nullable(),
  attempt: z.number().int().min(0),
  quirk: z.enum(["nickname", "mispronunciation"]).nullable(),
  reaction: z.enum(reactions),
});

export const voiceTruthJsonSchema = z
  .object({
    startDate: z.string(),
    days: z.number().int().positive(),
    turns: z.array(turnTruthSchema),
    users: z.array(
      z.object({
        id: z.string().min(1),
        devices: z.array(
          z.object({ id: z.string().min(1), type: z.string().min(1), hasScreen: z.boolean() }),
        ),
        quirks: z.array(
          z.object({
            type: z.enum(["nickname", "mispronunciation"]),
            item: z.string().min(1),
            phrase: z.string(),
          }),
        ),
      }),
    ),
    model: z.object({
      users: z.array(z.string().min(1)),
      items: z.array(z.string().min(1)),
      dim: z.number().int().positive(),
      userFactors: z.array(z.number()),
      itemFactors: z.array(z.number()),
      itemBias: z.array(z.number()),
    }),
    confusions: z.array(z.object({ said: z.string(), heard: z.string() })),
    driftDay: z.number().int().min(0).nullable(),
    driftItems: z.array(z.string()),
  })
  .refine(
    (t) => t.model.userFactors.length === t.model.users.length * t.model.dim,
    "userFactors must hold users × dim numbers",
  )
  .refine(
    (t) => t.model.itemFactors.length === t.model.items.length * t.model.dim,
    "itemFactors must hold items × dim numbers",
  )
  .refine((t) => t.model.itemBias.length === t.model.items.length, "itemBias must hold one number per item");

export type VoiceTruthJson = z.infer<typeof voiceTruthJsonSchema>;

/** The truth of a voice world as plain JSON (typed arrays become number arrays; float32 values survive exactly). */
export function voiceTruthToJson(world: VoiceWorld): VoiceTruthJson {
  const { model } = world;
  return {
    startDate: world.startDate,
    days: world.days,
    turns: world.truth.map((t) => ({ ...t })),
    users: world.users.map((u: VoiceUserInfo) => ({
      id: u.id,
      devices: u.devices.map((d) => ({ ...d })),
      quirks: u.quirks.map((q) => ({ ...q })),
    })),
    model: {
      users: [...model.users],
      items: [...model.items],
      dim: model.dim,
      userFactors: Array.from(model.userFactors),
      itemFactors: Array.from(model.itemFactors),
      itemBias: Array.from(model.itemBias),
    },
    confusions: world.confusions.map((c) => ({ ...c })),
    driftDay: world.options.driftDay,
    driftItems: [...world.driftItems],
  };
}

/** Validates a parsed truth file; the turns come back typed as the simulator wrote them. */
export function voiceTruthFromJson(obj: unknown): VoiceTruthJson & { turns: VoiceTurnTruth[] } {
  return voiceTruthJsonSchema.parse(obj);
}

function jsonLines(records: readonly unknown[]): string {
  return records.length === 0 ? "" : `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
}

/** File contents for a voice world, keyed by file name. */
export function voiceWorldToFiles(world: VoiceWorld): VoiceFiles {
  return {
    "requests.jsonl": jsonLines(world.requests),
    "plays.jsonl": jsonLines(world.plays),
    "catalogue.jsonl": jsonLines(world.catalogue),
    "truth.json": JSON.stringify(voiceTruthToJson(world)),
  };
}
