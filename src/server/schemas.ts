import { z } from "zod";
import { trainSettingsSchema } from "../config.js";
import { preferenceFactSchema } from "../core/preferences/index.js";
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

export const teachBodySchema = z
  .object({
    text: z
      .string()
      .min(1)
      .max(500)
      .describe('a taste statement: "I don\'t like country", "more Adele", "never play Christmas songs"'),
    nowPlaying: z
      .object({ id: z.string().min(1), title: z.string().min(1), creators: z.array(z.string()).optional() })
      .optional()
      .describe('what is playing, so "I love this song" knows what "this" is'),
    timeZoneOffsetMinutes: z.number().int().min(-840).max(840).optional(),
  })
  .strict();

const listedPreferenceSchema = preferenceFactSchema.extend({
  active: z.boolean().describe("false once expired"),
  description: z.string(),
});

export const teachResponseSchema = z.object({
  facts: z.array(listedPreferenceSchema),
  replaced: z.array(z.string()).describe("ids of older facts about the same thing that these replace"),
});

export const preferencesResponseSchema = z.object({
  user: z.string(),
  preferences: z.array(listedPreferenceSchema),
});

export const preferencesQuery = z
  .object({ includeExpired: z.enum(["true", "false"]).default("false") })
  .strict();

export const preferenceParams = z.object({
  id: id.describe("user id"),
  factId: id.describe("preference id"),
});

export const teachableMomentsResponseSchema = z.object({
  user: z.string(),
  moments: z.array(
    z.object({
      kind: z.string(),
      suggestion: z.string().describe('the question to ask, e.g. "should I remember that?"'),
      turnIds: z.array(z.string()),
      request: z.string().optional(),
      meant: z.string().optional(),
      meantItem: z.string().optional(),
      proposal: z.string().optional().describe("a statement to POST to /preferences if the user says yes"),
    }),
  ),
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
