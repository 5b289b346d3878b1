import { z } from "zod";
import { countQuery, filterQuery, listedItem, source } from "../schemas.js";

export const recommendQuery = z
  .object({
    n: countQuery,
    exclude: z
      .enum(["played", "none"])
      .default("played")
      .describe("played (default) leaves out what the user has played; none keeps it"),
    ...filterQuery,
    deviceType: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe("context: the device asking, e.g. tv, speaker"),
    hasScreen: z.enum(["true", "false"]).optional().describe("context: whether the device has a screen"),
    deviceState: z.string().min(1).max(100).optional().describe("context: e.g. idle, playing, timer"),
    activity: z.string().min(1).max(100).optional().describe("context: e.g. cooking, workout"),
  })
  .strict();

export const similarQuery = z.object({ n: countQuery, ...filterQuery }).strict();

export const recommendResponseSchema = z.object({
  user: z.string(),
  model: z.string().describe("model version that answered"),
  source,
  recommender: z
    .string()
    .describe(
      "which model ranked the items: the top-N model chosen at training (e.g. 'ease (λ 200)'), 'popularity', or 'affinity'",
    ),
  items: z.array(
    z.object({
      ...listedItem,
      affinity: z.number(),
      score: z.number(),
      preferences: z
        .array(z.string())
        .optional()
        .describe("taught preferences that moved this item, in words"),
      context: z
        .object({ value: z.number(), detail: z.string() })
        .optional()
        .describe("what the request's context did to this item (logits) and why"),
    }),
  ),
  preferences: z
    .array(
      z.object({
        factId: z.string(),
        polarity: z.string(),
        effect: z.string(),
        items: z.number().int(),
        reason: z.string(),
      }),
    )
    .optional()
    .describe("what each of the user's taught preferences did to this answer"),
});

export const similarResponseSchema = z.object({
  item: z.string(),
  model: z.string(),
  source,
  recommender: z.string().describe("which model found the items (see recommend)"),
  items: z.array(z.object({ ...listedItem, similarity: z.number().nullable(), score: z.number() })),
});
