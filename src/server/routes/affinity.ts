import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { userParams } from "../schemas.js";
import { errorResponses } from "../validation.js";
import {
  affinityBodySchema,
  affinityResponseSchema,
  explainQuery,
  explainResponseSchema,
} from "./affinity-schemas.js";
import type { RouteContext } from "./route-context.js";

const affinityBodyLimit = 1024 * 1024;

/** Play-duration affinity: how much a user will like items, and why. */
export const affinityRoutes: FastifyPluginAsync<RouteContext> = async (plain, { engine }) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();

  api.post(
    "/v1/users/:id/affinity",
    {
      // Up to 10,000 item ids: more than the read routes' small default body.
      bodyLimit: affinityBodyLimit,
      schema: {
        tags: ["serving"],
        summary: "probability that the user plays each item past the threshold, with its parts",
        params: userParams,
        body: affinityBodySchema,
        response: { 200: affinityResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => engine.affinity.score(request.params.id, request.body.items),
  );

  api.get(
    "/v1/users/:id/explain",
    {
      schema: {
        tags: ["serving"],
        summary: "why the user gets this item's affinity: own history, factorization, the plays behind it",
        params: userParams,
        querystring: explainQuery,
        response: { 200: explainResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => engine.affinity.explain(request.params.id, request.query.item),
  );
};
