import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { eventTimeMs } from "../../schema/events.js";
import { HttpError } from "../errors.js";
import { errorResponses } from "../validation.js";
import type { RouteContext } from "./route-context.js";
import {
  resolveBodySchema,
  resolveResponseSchema,
  rewritesBuildBodySchema,
  rewritesBuildResponseSchema,
  rewritesResponseSchema,
} from "./voice-schemas.js";

/** Voice requests: resolving what was said, and the rewrite table learned from rephrases. */
export const voiceRoutes: FastifyPluginAsync<RouteContext> = async (plain, ctx) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const { engine, storeLock, requireKey, writeSecurity } = ctx;
  engine.rewrites.useWriteLock((write) => storeLock.run(write));

  api.post(
    "/v1/resolve",
    {
      schema: {
        tags: ["serving"],
        summary: 'rank what a request ("play hello") could mean for this user, with reasons',
        body: resolveBodySchema,
        response: { 200: resolveResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      const { user, request: text, candidates, limit, context, time, minPrecision } = request.body;
      const timeMs = time === undefined ? undefined : eventTimeMs(time);
      const answer = await engine.voice.resolve(user, text, {
        candidates,
        limit,
        context,
        timeMs,
        minPrecision,
      });
      return answer as z.output<typeof resolveResponseSchema>;
    },
  );

  api.post(
    "/v1/rewrites/build",
    {
      onRequest: requireKey,
      schema: {
        tags: ["rewrites"],
        summary: "mine the stored request log for query rewrites and make the table current",
        security: writeSecurity,
        body: rewritesBuildBodySchema,
        response: { 200: rewritesBuildResponseSchema, ...errorResponses(400, 401, 409) },
      },
    },
    async (request) => {
      const { sessionGapMs, ...table } = request.body;
      try {
        const result = await storeLock.run(() =>
          engine.rewrites.build({ table: { ...table, ...(sessionGapMs ? { sessionGapMs } : {}) } }),
        );
        const { path: _path, stats: _stats, ...answer } = result;
        return answer;
      } catch (err) {
        if (err instanceof Error && /no request events/.test(err.message))
          throw new HttpError(409, "no-requests", err.message);
        throw err;
      }
    },
  );

  api.get(
    "/v1/rewrites",
    {
      schema: {
        tags: ["rewrites"],
        summary: "the current rewrite table (source -> rewrite, with support and success rates)",
        response: { 200: rewritesResponseSchema },
      },
    },
    async () => {
      const current = await engine.rewrites.current();
      const monitor = (await engine.rewrites.statuses()).map((m) => ({
        source: m.source,
        rewrite: m.rewrite,
        state: m.state,
        pWin: m.pWin,
        rewrittenSuccess: m.rewritten.mean,
        originalSuccess: m.original.mean,
        requests: m.requests,
      }));
      return {
        version: current?.version ?? null,
        rules: current ? [...current.table.rules] : [],
        refused: current?.table.stats.changedMeaning ?? [],
        monitor,
      };
    },
  );
};
