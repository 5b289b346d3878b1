import { z } from "zod";
import { playEventSchema, requestEventSchema } from "../../schema/events.js";

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
