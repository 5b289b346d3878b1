import { z } from "zod";
import { trainSettingsSchema } from "../../config.js";

// ---- training jobs

/** Train settings: every field optional, defaults from the library's schema; an absent body is {}. */
export const trainBodySchema = trainSettingsSchema.prefault({});

export const jobStatuses = ["queued", "running", "succeeded", "failed"] as const;

export const jobSchema = z.object({
  id: z.string(),
  status: z.enum(jobStatuses),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  settings: trainSettingsSchema,
  progress: z.object({ phase: z.string(), done: z.number(), total: z.number() }),
  result: z
    .object({
      version: z.string(),
      plays: z.number(),
      users: z.number(),
      items: z.number(),
      seconds: z.number(),
    })
    .optional(),
  error: z.string().optional(),
});

export const trainResponseSchema = z.object({
  job: z.object({ id: z.string(), status: z.enum(jobStatuses) }),
});

export const jobParams = z.object({ id: z.string().min(1).max(100) });

export type JobView = z.infer<typeof jobSchema>;
