import { z } from "zod";
import { trainSettingsSchema } from "../config.js";
import { itemKinds, playContextSchema, playEventSchema, requestEventSchema } from "../schema/events.js";

/**
 * The HTTP API's request and response schemas. Events and train settings are the library's own schemas
 * (playEventSchema, trainSettingsSchema), so the CLI, the store and the API validate the same way and the
 * OpenAPI document is generated from the same source.
 */

const id = z.string().min(1).max(1000);
const source = z.enum(["personal", "folded-in", "popularity", "unknown-item"]);

export const errorSchema = z
  .object({
    error: z.string().describe("short machine-readable code, e.g. validation, unauthorized, no-model"),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe("every error answer");

// ---- events

/** Documented shape of POST /v1/events (rows are validated one by one, see eventsEnvelopeSchema). */
export const eventsBodySchema = z.object({
  events: z.array(playEventSchema).describe("play events; invalid rows are rejected one by one"),
});

/** What is checked before the rows: an object with an `events` array. */
export const eventsEnvelopeSchema = z.object({ events: z.array(z.unknown()) }).strict();

/** Documented shape of POST /v1/requests (rows validated one by one, like events). */
export const requestsBodySchema = z.object({
  requests: z.array(requestEventSchema).describe("request events; invalid rows are rejected one by one"),
});

export const requestsEnvelopeSchema = z.object({ requests: z.array(z.unknown()) }).strict();

export const requestsResponseSchema = z.object({
  accepted: z.number().int().describe("new request events stored"),
  duplicates: z.number().int().describe("request events already stored (same requestId)"),
  rejected: z.number().int().describe("rows that failed validation"),
  rejects: z.array(
    z.object({
      index: z.number().int(),
      path: z.string().describe("JSON path of the first problem, e.g. requests[3].asrConfidence"),
      reason: z.string(),
    }),
  ),
});

export const eventsResponseSchema = z.object({
  accepted: z.number().int().describe("new plays stored"),
  duplicates: z.number().int().describe("plays already stored (same eventId, or same fields)"),
  rejected: z.number().int().describe("rows that failed validation"),
  foldedIn: z
    .array(z.string())
    .optional()
    .describe("users whose vectors were updated from this batch (servers started with --fold-in)"),
  rejects: z.array(
    z.object({
      index: z.number().int(),
      path: z.string().describe("JSON path of the first problem, e.g. events[3].playedMs"),
      reason: z.string(),
    }),
  ),
});

// ---- serving

export const userParams = z.object({ id: id.describe("user id") });
export const itemParams = z.object({ id: id.describe("item id") });

const commaList = z.string().max(10_000).describe("comma separated");

const filterQuery = {
  kind: z.enum(itemKinds).optional().describe("only items of this kind"),
  tags: commaList.optional().describe("only items with any of these tags (comma separated)"),
  creators: commaList.optional().describe("only items by any of these creators (comma separated)"),
};

const countQuery = z.coerce.number().int().min(1).max(1000).default(10).describe("how many items");

export const recommendQuery = z
  .object({
    n: countQuery,
    exclude: z
      .enum(["played", "none"])
      .default("played")
      .describe("played (default) leaves out what the user has played; none keeps it"),
    ...filterQuery,
  })
  .strict();

export const similarQuery = z.object({ n: countQuery, ...filterQuery }).strict();

export const explainQuery = z.object({ item: id.describe("item id") }).strict();

const listedItem = {
  item: z.string(),
  title: z.string(),
  creators: z.array(z.string()),
  kind: z.string(),
};

export const recommendResponseSchema = z.object({
  user: z.string(),
  model: z.string().describe("model version that answered"),
  source,
  items: z.array(z.object({ ...listedItem, affinity: z.number(), score: z.number() })),
});

export const similarResponseSchema = z.object({
  item: z.string(),
  model: z.string(),
  source,
  items: z.array(z.object({ ...listedItem, similarity: z.number().nullable(), score: z.number() })),
});

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
  })
  .strict();

export const resolveResponseSchema = z.object({
  user: z.string(),
  request: z.string(),
  model: z.string(),
  source,
  rewritten: z.object({ from: z.string(), to: z.string(), by: z.string() }).nullable(),
  candidates: z.array(
    z.object({
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
    }),
  ),
});

export const affinityBodySchema = z.object({ items: z.array(id).min(1).max(10_000) }).strict();

export const affinityResponseSchema = z.object({
  user: z.string(),
  model: z.string().nullable(),
  items: z.array(
    z.object({
      item: z.string(),
      affinity: z.number(),
      history: z.number(),
      mf: z.number().nullable(),
      source,
    }),
  ),
});

export const explainResponseSchema = z.object({
  user: z.string(),
  item: z.string(),
  model: z.string(),
  source,
  affinity: z.number(),
  history: z.object({ plays: z.number(), mean: z.number() }),
  mf: z.number().nullable(),
  becauseOf: z.array(
    z.object({ item: z.string(), similarity: z.number(), history: z.number(), pull: z.number() }),
  ),
});

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

// ---- operations

export const healthSchema = z.object({
  status: z.literal("ok"),
  model: z.string().nullable().describe("current model version; null before the first training"),
  events: z.number().int().describe("plays stored"),
  training: z.boolean().describe("a training job is running"),
});

export type JobView = z.infer<typeof jobSchema>;
