import { z } from "zod";
import type { SimulationTruth } from "./types.js";

/**
 * The truth as JSON: typed arrays become plain number arrays. Float32 values survive the round trip
 * exactly (a float32 prints as a double that parses back to the same float32), so `trueAffinity` on a
 * reloaded truth equals the simulator's.
 */
export const simulationTruthJsonSchema = z
  .object({
    users: z.array(z.string().min(1)),
    items: z.array(z.string().min(1)),
    dim: z.number().int().positive(),
    userFactors: z.array(z.number()),
    itemFactors: z.array(z.number()),
    itemBias: z.array(z.number()),
    requests: z.array(
      z.object({ eventId: z.string().min(1), text: z.string(), intendedItem: z.string().min(1) }),
    ),
    /** Absent in truth files written before the simulator had a "what follows" order: nothing follows. */
    follows: z.array(z.number().int().min(-1)).optional(),
  })
  .refine((t) => t.userFactors.length === t.users.length * t.dim, "userFactors must hold users × dim numbers")
  .refine((t) => t.itemFactors.length === t.items.length * t.dim, "itemFactors must hold items × dim numbers")
  .refine((t) => t.itemBias.length === t.items.length, "itemBias must hold one number per item")
  .refine((t) => !t.follows || t.follows.length === t.items.length, "follows must hold one number per item");

export type SimulationTruthJson = z.infer<typeof simulationTruthJsonSchema>;

export function truthToJson(truth: SimulationTruth): SimulationTruthJson {
  return {
    users: [...truth.users],
    items: [...truth.items],
    dim: truth.dim,
    userFactors: Array.from(truth.userFactors),
    itemFactors: Array.from(truth.itemFactors),
    itemBias: Array.from(truth.itemBias),
    requests: truth.requests.map((r) => ({ ...r })),
    follows: Array.from(truth.follows),
  };
}

/** Validates a parsed truth file and rebuilds the typed arrays; throws a ZodError when it does not fit. */
export function truthFromJson(obj: unknown): SimulationTruth {
  const t = simulationTruthJsonSchema.parse(obj);
  return {
    ...t,
    userFactors: Float32Array.from(t.userFactors),
    itemFactors: Float32Array.from(t.itemFactors),
    itemBias: Float32Array.from(t.itemBias),
    follows: t.follows ? Int32Array.from(t.follows) : new Int32Array(t.items.length).fill(-1),
  };
}
