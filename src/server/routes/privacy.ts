import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { privacyReport } from "../../services/privacy.js";
import { errorResponses } from "../validation.js";
import { privacyQuery, privacyResponseSchema } from "./privacy-schemas.js";
import type { RouteContext } from "./route-context.js";

/** Privacy mode and the per-user budget ledger, read-only. */
export const privacyRoutes: FastifyPluginAsync<RouteContext> = async (plain, { engine }) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  api.get(
    "/v1/privacy",
    {
      schema: {
        tags: ["privacy"],
        summary:
          "privacy mode (mechanism, ε per word, cap) and the ε each user has spent on stored request text",
        querystring: privacyQuery,
        response: { 200: privacyResponseSchema, ...errorResponses(400) },
      },
    },
    async (request) => privacyReport(engine.store, engine.privacy, request.query.top),
  );
};
