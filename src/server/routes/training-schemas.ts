import { availableParallelism } from "node:os";
import { z } from "zod";
import { trainSettingsSchema } from "../../config.js";

// ---- training jobs

/**
 * The most one HTTP request may ask a training job for. The library and CLI allow more (whoever types
 * `tastebud train --factors 1024` sees what they start and can stop it); over HTTP a single request must
 * not be able to occupy the machine for days or hold gigabytes: 256 factors and 500 epochs are far above
 * the defaults (64, 40 BPR / 80 WARP), and threads beyond the cores only slow training down.
 */
export const trainRequestLimits = { factors: 256, epochs: 500, threads: availableParallelism() } as const;

/**
 * Train settings: every field optional, defaults from the library's schema, capped at trainRequestLimits
 * (a 400 names the field); an absent body is {}.
 */
const { factors, epochs, threads } = trainSettingsSchema.shape;
export const trainBodySchema = trainSettingsSchema
  .extend({
    factors: factors
      .unwrap()
      .max(trainRequestLimits.factors, `at most ${trainRequestLimits.factors} factors per training request`)
      .default(factors.def.defaultValue),
    epochs: epochs
      .unwrap()
      .max(trainRequestLimits.epochs, `at most ${trainRequestLimits.epochs} epochs per training request`)
      .optional(),
    threads: threads
      .unwrap()
      .max(
        trainRequestLimits.threads,
        `at most ${trainRequestLimits.threads} threads (this machine's cores; 0 = all of them)`,
      )
      .default(threads.def.defaultValue),
  })
  .prefault({});

export const jobStatuses = ["queued", "running", "succeeded", "failed", "cancelled"] as const;

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
      recommender: z
        .string()
        .nullable()
        .optional()
        .describe("the top-N model recommend serves from this version, in words"),
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
