import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { PlayEvent } from "../../schema/events.js";
import { eventTimeMs, requestEventSchema } from "../../schema/events.js";
import { OccurrenceCounter } from "../../store/event-key.js";
import type { AppendResult, KeyedPlayEvent } from "../../store/event-store.js";
import {
  batchRows,
  envelopeValidator,
  errorResponses,
  recordHttpBatch,
  validatePlayRows,
  validateRows,
} from "../validation.js";
import {
  eventsBodySchema,
  eventsEnvelopeSchema,
  eventsResponseSchema,
  requestsBodySchema,
  requestsEnvelopeSchema,
  requestsResponseSchema,
} from "./events-schemas.js";
import type { RouteContext } from "./route-context.js";

/** Getting events in over HTTP: batches of plays and of request events, validated row by row. */
export const eventsRoutes: FastifyPluginAsync<RouteContext> = async (plain, ctx) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const { engine, storeLock, requireKey, writeSecurity, maxBatch, ingestBodyLimit } = ctx;
  const recordBatch = (path: string, startedAt: Date, stored: AppendResult, rejected: number) =>
    recordHttpBatch(engine.store, ctx.metrics, path, startedAt, stored, rejected);

  api.post(
    "/v1/events",
    {
      onRequest: requireKey,
      bodyLimit: ingestBodyLimit,
      validatorCompiler: envelopeValidator(eventsEnvelopeSchema) as never,
      schema: {
        tags: ["events"],
        summary: "append a batch of plays",
        description: `Each row is validated on its own: valid rows are stored, invalid ones come back in \`rejects\` with a JSON path. Events with an eventId are idempotent (a retried batch adds nothing); events without one are keyed by their fields. At most ${maxBatch} events per batch.`,
        security: writeSecurity,
        body: eventsBodySchema,
        response: { 202: eventsResponseSchema, ...errorResponses(400, 401, 413) },
      },
    },
    async (request, reply) => {
      const startedAt = new Date();
      const rows = batchRows((request.body as unknown as { events: unknown[] }).events, "events", maxBatch);
      const counter = new OccurrenceCounter();
      const { valid, rejects } = validatePlayRows(rows);
      // The end time is parsed once, for the key and for the store's row.
      const batch: KeyedPlayEvent[] = valid.map((event) => {
        const endMs = eventTimeMs(event.endTime);
        return { key: counter.keyFor(event, endMs), event, source: "http", endMs };
      });
      // One store call, not under the store lock: the batch and its ingest run go in one transaction, and
      // the writes that arrive while the store commits go into its next commit together (group-commit.ts).
      const stored = await ctx.storedPlays.write(() =>
        engine.store.appendPlays(batch, {
          listInserted: true,
          run: { startedAt, sources: ["http:/v1/events"], preset: "http", rejected: rejects.length },
        }),
      );
      ctx.metrics.batchRows("/v1/events", {
        accepted: stored.inserted,
        duplicates: stored.duplicates,
        rejected: rejects.length,
      });
      if (rejects.length) request.log.info({ rejected: rejects.length }, "events rejected");
      let foldedIn: string[] | undefined;
      if (engine.replication.active) {
        // Replicas: the new rows go on the bus, and fold-in (here at once, and at every other replica as
        // it arrives) is rebuilt from all of a user's replicated plays, so every replica answers alike.
        const fresh = (stored.insertedRows ?? []).map((row) => batch[row]);
        foldedIn = (await engine.replication.playsAccepted(fresh)) ?? undefined;
      } else if (ctx.foldIn && stored.inserted > 0 && (await engine.models.current())) {
        // Only the rows this batch stored: a retried or overlapping batch must not count a play twice.
        const byUser = new Map<string, PlayEvent[]>();
        for (const row of stored.insertedRows ?? []) {
          const { event } = batch[row];
          byUser.set(event.user, [...(byUser.get(event.user) ?? []), event]);
        }
        for (const [user, plays] of byUser) await engine.affinity.foldIn(user, plays);
        foldedIn = [...byUser.keys()];
      }
      return reply.code(202).send({
        accepted: stored.inserted,
        duplicates: stored.duplicates,
        rejected: rejects.length,
        rejects,
        ...(foldedIn ? { foldedIn } : {}),
      });
    },
  );

  api.post(
    "/v1/requests",
    {
      onRequest: requireKey,
      bodyLimit: ingestBodyLimit,
      validatorCompiler: envelopeValidator(requestsEnvelopeSchema) as never,
      schema: {
        tags: ["events"],
        summary: "append a batch of request events (voice or text turns)",
        description: `Each row is validated on its own, as for /v1/events; a requestId already stored adds nothing. At most ${maxBatch} events per batch.`,
        security: writeSecurity,
        body: requestsBodySchema,
        response: { 202: requestsResponseSchema, ...errorResponses(400, 401, 413) },
      },
    },
    async (request, reply) => {
      const startedAt = new Date();
      const rows = batchRows(
        (request.body as unknown as { requests: unknown[] }).requests,
        "request events",
        maxBatch,
      );
      const checked = validateRows(rows, requestEventSchema, "requests");
      const { rejects } = checked;
      let valid = checked.valid;
      const stored = await storeLock.run(async () => {
        // Privacy mode: only perturbed text goes on; over-budget rows are rejected with their reason.
        if (engine.privacy && valid.length) {
          const { events, refused } = await engine.privacy.protect(valid);
          const rejected = new Set(rejects.map((r) => r.index));
          const rowOf = rows.map((_, i) => i).filter((i) => !rejected.has(i));
          for (const r of refused)
            rejects.push({
              index: rowOf[r.index],
              path: `requests[${rowOf[r.index]}].text`,
              reason: r.reason,
            });
          valid = events;
        }
        const appended = valid.length
          ? await engine.store.appendRequests(
              valid.map((event) => ({ event, source: "http" })),
              { listInserted: true },
            )
          : { inserted: 0, duplicates: 0, insertedRows: [] };
        await recordBatch("/v1/requests", startedAt, appended, rejects.length);
        return appended;
      });
      // The online rewriter learns each turn once: from the rows this batch stored, not from those a
      // retried or overlapping batch repeats.
      const fresh = (stored.insertedRows ?? []).map((row) => valid[row]);
      for (const event of fresh.sort((a, b) => eventTimeMs(a.time) - eventTimeMs(b.time)))
        engine.rewrites.observe(event);
      await engine.replication.requestsAccepted(fresh);
      return reply.code(202).send({
        accepted: stored.inserted,
        duplicates: stored.duplicates,
        rejected: rejects.length,
        rejects,
      });
    },
  );
};
