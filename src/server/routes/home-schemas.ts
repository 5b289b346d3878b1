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

const armStatSchema = z.object({
  item: z.string(),
  displays: z.number().describe("slots seen (the cascade counts slots above a stream and the visible ones)"),
  streams: z.number().describe("streams of 30 s or more"),
  rate: z.number().describe("streams / displays"),
});

export const homeReportQuery = z
  .object({ arms: z.coerce.number().int().min(1).max(1000).default(30).describe("most displayed shelves") })
  .strict();

export const homeReportResponseSchema = z.object({
  policy: z
    .object({
      name: z.string(),
      kind: z.string(),
      version: z.number().int(),
      frozen: z.boolean(),
      updatedAt: z.string(),
      arms: z.number().int(),
      segments: z.number().int(),
      displays: z.number(),
      streams: z.number(),
      top: z.array(armStatSchema).describe("best stream rates among shelves displayed at least 5 times"),
    })
    .nullable()
    .describe("the live policy; null before the first home page"),
  arms: z
    .array(armStatSchema.extend({ title: z.string() }))
    .describe("the most displayed shelves, most first"),
  log: z.object({
    impressions: z.number(),
    pages: z.number(),
    rewarded: z.number().describe("impressions streamed for 30 s or more"),
    bySlot: z.array(
      z.object({
        slot: z.number().int(),
        impressions: z.number(),
        rewarded: z.number(),
        meanPropensity: z.number(),
      }),
    ),
    byDay: z.array(z.object({ day: z.string(), impressions: z.number(), rewarded: z.number() })),
  }),
});

const maybe = z.number().nullable();

export const homeEvidenceResponseSchema = z.object({
  ope: z
    .array(
      z.object({
        id: z.string(),
        createdAt: z.string(),
        command: z.string().describe("the command that produced it"),
        log: z.string(),
        policy: z.string().describe("the evaluated policy"),
        rows: z.number(),
        meanWeight: z.number().describe("mean importance weight (1 when the logged propensities are right)"),
        effectiveSampleSize: z.number(),
        rewardModel: z.string().describe("plain or importance-weighted"),
        switchTau: z.string().describe("Switch-DR's weight threshold chosen by SLOPE (Infinity = DR)"),
        drosLambda: z.string().describe("DRos's shrinkage chosen by SLOPE (Infinity = DR, 0 = DM)"),
        observed: z
          .object({ value: z.number(), lower: z.number(), upper: z.number() })
          .nullable()
          .describe("the evaluated policy's own on-policy value, when its log was given"),
        estimates: z.array(
          z.object({
            estimator: z.string(),
            estimate: z.number(),
            lower: maybe,
            upper: maybe,
            relativeError: maybe,
            coversObserved: z.boolean().nullable(),
          }),
        ),
      }),
    )
    .describe("the newest off-policy evaluations (tastebud bandit ope --store), newest first"),
  simulations: z
    .array(
      z.object({
        id: z.string(),
        createdAt: z.string(),
        command: z.string(),
        env: z.string().describe("deezer, world or fitted"),
        rounds: z.number(),
        usersPerRound: z.number(),
        seeds: z.array(z.number()),
        arms: maybe,
        policies: z.array(
          z.object({
            policy: z.string(),
            meanCumulativeRegret: z.number(),
            regretVsRandom: maybe,
            regretVsGreedy: maybe,
            rewardsPerDisplay: z.number(),
            regretPerRound: z.array(z.number()).describe("mean cumulative expected regret after each round"),
          }),
        ),
      }),
    )
    .describe("the newest simulation per environment (tastebud bandit simulate --store)"),
});
