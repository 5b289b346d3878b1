import { z } from "zod";
import { feedbackEventSchema, impressionEventSchema } from "../../schema/impressions.js";

export const homeQuery = z
  .object({
    slots: z.coerce.number().int().min(1).max(100).default(12).describe("how many shelves"),
    context: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("context key, e.g. phone|morning: each context learns its own stream rates"),
  })
  .strict();

export const homeResponseSchema = z.object({
  user: z.string(),
  pageId: z.string().describe("groups this page's impressions"),
  policy: z.string(),
  policyVersion: z.string(),
  shelves: z.array(
    z.object({
      slot: z.number().int(),
      impressionId: z.string().describe("send feedback with this id"),
      item: z.string(),
      title: z.string(),
      explanation: z.string(),
      propensity: z.number().describe("the policy's probability of this item in this slot"),
      propensitySamples: z.number().int().optional().describe("Monte Carlo draws behind the propensity"),
      explored: z.boolean(),
    }),
  ),
});

export const impressionsBodySchema = z.object({
  impressions: z.array(impressionEventSchema).describe("impressions; invalid rows are rejected one by one"),
});
export const impressionsEnvelopeSchema = z.object({ impressions: z.array(z.unknown()) }).strict();

export const feedbackBodySchema = z.object({
  feedback: z.array(feedbackEventSchema).describe("feedback events; invalid rows are rejected one by one"),
});
export const feedbackEnvelopeSchema = z.object({ feedback: z.array(z.unknown()) }).strict();

const rejects = z.array(
  z.object({
    index: z.number().int(),
    path: z.string().describe("JSON path of the first problem"),
    reason: z.string(),
  }),
);

export const impressionsResponseSchema = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int().describe("impressionIds already stored"),
  rejected: z.number().int(),
  rejects,
});

export const feedbackResponseSchema = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  learnedPages: z.number().int().describe("pages the live policy learned from"),
  rejects,
});
