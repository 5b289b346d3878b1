import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { HttpError } from "../errors.js";
import { userParams } from "../schemas.js";
import { errorResponses } from "../validation.js";
import {
  preferenceParams,
  preferencesQuery,
  preferencesResponseSchema,
  teachableMomentsResponseSchema,
  teachBodySchema,
  teachResponseSchema,
} from "./preferences-schemas.js";
import type { RouteContext } from "./route-context.js";

/** Taught preferences: teach, list and forget them, and the moments worth asking about. */
export const preferencesRoutes: FastifyPluginAsync<RouteContext> = async (plain, ctx) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const { engine, storeLock, requireKey, writeSecurity } = ctx;

  api.post(
    "/v1/users/:id/preferences",
    {
      onRequest: requireKey,
      schema: {
        tags: ["preferences"],
        summary: 'teach a preference in words ("I don\'t like country"); applied from the next answer on',
        security: writeSecurity,
        params: userParams,
        body: teachBodySchema,
        response: { 201: teachResponseSchema, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const { text, nowPlaying, timeZoneOffsetMinutes } = request.body;
      const result = await storeLock.run(() =>
        engine.preferences.teach(request.params.id, text, { nowPlaying, timeZoneOffsetMinutes }),
      );
      if ("error" in result) throw new HttpError(422, "not-a-preference", result.error);
      await engine.replication.preferencesChanged(request.params.id);
      return reply.code(201).send(result as z.output<typeof teachResponseSchema>);
    },
  );

  api.get(
    "/v1/users/:id/preferences",
    {
      schema: {
        tags: ["preferences"],
        summary: "the preferences a user taught, newest first",
        params: userParams,
        querystring: preferencesQuery,
        response: { 200: preferencesResponseSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const preferences = await engine.preferences.list(request.params.id, {
        includeExpired: request.query.includeExpired === "true",
      });
      return { user: request.params.id, preferences } as z.output<typeof preferencesResponseSchema>;
    },
  );

  api.delete(
    "/v1/users/:id/preferences/:factId",
    {
      onRequest: requireKey,
      schema: {
        tags: ["preferences"],
        summary: "forget one taught preference",
        security: writeSecurity,
        params: preferenceParams,
        response: { 204: z.null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const { id, factId } = request.params;
      const removed = await storeLock.run(() => engine.preferences.remove(id, factId));
      if (!removed) throw new HttpError(404, "not-found", `user ${id} has no preference ${factId}`);
      await engine.replication.preferencesChanged(id);
      return reply.code(204).send(null);
    },
  );

  api.get(
    "/v1/users/:id/teachable-moments",
    {
      schema: {
        tags: ["preferences"],
        summary: 'moments in the last half hour worth asking "should I remember that?" about',
        params: userParams,
        response: { 200: teachableMomentsResponseSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const moments = await storeLock.run(() => engine.preferences.teachableMoments(request.params.id));
      return { user: request.params.id, moments };
    },
  );
};
