import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { commaList } from "../../config.js";
import { contextOfParts, type PlayContext } from "../../schema/events.js";
import { itemParams, userParams } from "../schemas.js";
import { errorResponses } from "../validation.js";
import {
  recommendQuery,
  recommendResponseSchema,
  similarQuery,
  similarResponseSchema,
} from "./recommend-schemas.js";
import type { RouteContext } from "./route-context.js";

/** Choosing items: recommendations for a user and items like an item. */
export const recommendRoutes: FastifyPluginAsync<RouteContext> = async (plain, { engine }) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();

  api.get(
    "/v1/users/:id/recommendations",
    {
      schema: {
        tags: ["serving"],
        summary: "top items for a user (an unknown user gets the most played items, source popularity)",
        params: userParams,
        querystring: recommendQuery,
        response: { 200: recommendResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      const q = request.query;
      const answer = await engine.recommend.forUser(request.params.id, {
        n: q.n,
        exclude: q.exclude,
        filter: { kind: q.kind, tags: commaList(q.tags), creators: commaList(q.creators) },
        context: contextFromQuery(q),
      });
      return answer as z.output<typeof recommendResponseSchema>;
    },
  );

  api.get(
    "/v1/items/:id/similar",
    {
      schema: {
        tags: ["serving"],
        summary: "items like this one (an unknown item gets popular ones, source unknown-item)",
        params: itemParams,
        querystring: similarQuery,
        response: { 200: similarResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      const q = request.query;
      const answer = await engine.recommend.similar(request.params.id, {
        n: q.n,
        filter: { kind: q.kind, tags: commaList(q.tags), creators: commaList(q.creators) },
      });
      return answer as z.output<typeof similarResponseSchema>;
    },
  );
};

/** The request's context from query parameters; undefined when none was given. */
function contextFromQuery(q: {
  deviceType?: string;
  hasScreen?: "true" | "false";
  deviceState?: string;
  activity?: string;
}): PlayContext | undefined {
  return contextOfParts({
    deviceType: q.deviceType,
    hasScreen: q.hasScreen ? q.hasScreen === "true" : undefined,
    deviceState: q.deviceState,
    activity: q.activity,
  });
}
