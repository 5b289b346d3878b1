import { z } from "zod";
import { playContextSchema } from "../../schema/events.js";
import { id, listedItem, source } from "../schemas.js";

export const resolveBodySchema = z
  .object({
    user: id.describe("user id"),
    request: z.string().min(1).max(2000).describe('the request text, e.g. "play hello"'),
    candidates: z.array(id).min(1).max(1000).optional().describe("rank these item ids instead of searching"),
    limit: z.number().int().min(1).max(100).optional().describe("most candidates returned (default 10)"),
    context: playContextSchema.optional(),
    time: z.iso
      .datetime({ offset: true })
      .optional()
      .describe(
        "when the request was made (default now): time of day and day of week weigh with the context",
      ),
    minPrecision: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe(
        "play the top candidate only when it is right with at least this probability, else ask (default 0.9)",
      ),
  })
  .strict();

const resolvedCandidateSchema = z.object({
  ...listedItem,
  score: z.number(),
  confidence: z.number().describe("softmax share among the candidates"),
  textScore: z.number(),
  matchedSpan: z.tuple([z.number(), z.number()]).nullable(),
  affinity: z.number().nullable(),
  source,
  excluded: z.boolean().optional().describe("ruled out by a taught preference; listed last"),
  reasons: z.array(
    z.object({
      factor: z.enum(["text", "personal-affinity", "popularity", "context", "taught-preference"]),
      value: z.number(),
      detail: z.string(),
    }),
  ),
});

export const resolveResponseSchema = z.object({
  user: z.string(),
  request: z.string(),
  model: z.string(),
  source,
  rewritten: z.object({ from: z.string(), to: z.string(), by: z.string() }).nullable(),
  candidates: z.array(resolvedCandidateSchema),
  blocked: z
    .array(resolvedCandidateSchema)
    .describe('candidates a taught "never" rules out even when named (ask "play it anyway?")'),
  decision: z.enum(["play", "ask"]).describe("play the top candidate, or ask which one was meant"),
  question: z.string().nullable().describe('when asking: "Hello by Adele or Hello by Lionel Richie?"'),
  decisionBasis: z.object({
    minPrecision: z.number(),
    uncertainty: z.number().describe("1/sqrt(1 + the user's plays of the top two candidates)"),
    thresholds: z.enum(["fitted", "confidence"]),
  }),
});

const rewriteRuleSchema = z.object({
  source: z.string(),
  rewrite: z.string(),
  support: z.number().int().describe("distinct users who said the source"),
  pathUsers: z.number().int().describe("distinct users who went from the source to the rewrite"),
  sourceSuccess: z.number(),
  sourceFailure: z.number(),
  sourceDirectSuccess: z.number().describe("how often the source worked at once"),
  rewriteSuccess: z.number().describe("how often the rewrite worked at once"),
  gain: z.number(),
  visits: z.number(),
  contribution: z.number(),
  meaning: z
    .string()
    .optional()
    .describe("why the rewrite keeps the source's meaning (same-words, spelling, adds-detail)"),
});

export const rewritesBuildBodySchema = z
  .object({
    minSupportUsers: z.number().int().min(1).optional(),
    minPathUsers: z.number().int().min(1).optional(),
    minGain: z.number().min(0).max(1).optional(),
    sessionGapMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .strict();

export const rewritesBuildResponseSchema = z.object({
  version: z.string(),
  turns: z.number().int(),
  defective: z.number().int(),
  rules: z.number().int(),
  top: z.array(rewriteRuleSchema),
});

export const rewritesResponseSchema = z.object({
  version: z.string().nullable().describe("null when no table was built yet"),
  rules: z.array(rewriteRuleSchema),
  refused: z
    .array(
      z.object({
        source: z.string(),
        rewrite: z.string(),
        reason: z.string().describe("how the route changed the meaning: other-words, other-creator, ..."),
        pathUsers: z.number(),
        rewriteSuccess: z.number(),
        sourceDirectSuccess: z.number(),
      }),
    )
    .describe("strongest routes the meaning check refused (empty for tables built without it)"),
  monitor: z
    .array(
      z.object({
        source: z.string(),
        rewrite: z.string(),
        state: z.enum(["trial", "confirmed", "withdrawn"]),
        pWin: z.number().describe("P(the rewrite succeeds more often than the request as said)"),
        rewrittenSuccess: z.number(),
        originalSuccess: z.number().describe("from the hold-out share served unrewritten"),
        requests: z.number(),
      }),
    )
    .describe(
      "each rewrite's outcomes since this server loaded the table (withdrawn ones are no longer served)",
    ),
});
