import { z } from "zod";

// ---- operations

export const healthSchema = z.object({
  status: z.literal("ok"),
  model: z.string().nullable().describe("current model version; null before the first training"),
  events: z.number().int().describe("plays stored"),
  training: z.boolean().describe("a training job is running"),
});

export const unhealthySchema = z.object({
  status: z.literal("unavailable"),
  error: z.literal("store-unavailable"),
  message: z.string().describe("why the store did not answer (its first line, file paths removed)"),
  model: z.string().nullable(),
  training: z.boolean(),
});
