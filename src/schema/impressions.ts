import { z } from "zod";
import { requestEventSchema } from "./events.js";

const time = z.iso
  .datetime({ offset: true, local: true })
  .describe("ISO 8601; without an offset it is taken as UTC");

/**
 * One filled slot of a surface (a home shelf or a card in a carousel), as a policy showed it. The propensity
 * is the policy's probability of showing this item in this slot in this context: off-policy evaluation
 * divides by it, so it must be the exact one the policy used (or a Monte Carlo estimate with its sample count).
 */
export const impressionEventSchema = z
  .object({
    impressionId: z
      .string()
      .min(1)
      .max(200)
      .describe("stable id of this slot's impression; feedback links to it"),
    pageId: z.string().min(1).max(200).optional().describe("groups the slots shown together (one page view)"),
    user: z.string().min(1).max(200),
    time,
    surface: z.string().min(1).max(100).default("home").describe("where it was shown, e.g. home"),
    slot: z.number().int().min(0).max(1000).describe("0-based position on the surface"),
    item: z.string().min(1).max(1000).describe("the shelf or item shown"),
    title: z.string().max(500).optional().describe("the shelf title or explanation shown with it"),
    policy: z.string().min(1).max(200).describe("policy name"),
    policyVersion: z.string().min(1).max(200).default("1"),
    propensity: z.number().gt(0).max(1).describe("probability the policy would show this item in this slot"),
    propensitySamples: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Monte Carlo draws behind the propensity, when it is an estimate"),
    context: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe("context features the policy saw"),
  })
  .strict();

export type ImpressionEvent = z.infer<typeof impressionEventSchema>;

export const feedbackKinds = ["click", "stream", "dismiss"] as const;

/**
 * What happened to an impression: a click, a stream (a reward when it lasted 30 s or more, as in BaRT), or a
 * dismissal (the page was left without a stream: its initially visible slots count as seen and not taken).
 */
export const feedbackEventSchema = z
  .object({
    impressionId: z.string().min(1).max(200),
    time,
    kind: z.enum(feedbackKinds),
    playedMs: requestEventSchema.shape.playedMs.describe("for streams: how long it played"),
  })
  .strict();

export type FeedbackEvent = z.infer<typeof feedbackEventSchema>;

/** A stream counts as a reward from 30 seconds on. */
export const rewardStreamMs = 30_000;
