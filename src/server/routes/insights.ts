import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { userParams } from "../schemas.js";
import { errorResponses } from "../validation.js";
import {
  dailyRequestsResponseSchema,
  evaluationsQuery,
  evaluationsResponseSchema,
  failuresResponseSchema,
  historyQuery,
  historyResponseSchema,
  itemMapQuery,
  itemMapResponseSchema,
  overviewResponseSchema,
} from "./insights-schemas.js";
import type { RouteContext } from "./route-context.js";

/** What the engine knows, read-only: the dashboard's data, and anyone else's. */
export const insightsRoutes: FastifyPluginAsync<RouteContext> = async (plain, { engine, jobs }) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["insights"];

  api.get(
    "/v1/overview",
    {
      schema: {
        tags,
        summary: "the store at a glance, the serving model and its training config, the running job",
        response: { 200: overviewResponseSchema },
      },
    },
    async () => {
      const active = jobs.active;
      return {
        ...(await engine.insights.overview()),
        job: active ? jobs.get(active.id) : null,
      } as z.output<typeof overviewResponseSchema>;
    },
  );

  api.get(
    "/v1/users/:id/history",
    {
      schema: {
        tags,
        summary: "a user's latest plays, newest first, with durations and whether each counts as a skip",
        params: userParams,
        querystring: historyQuery,
        response: { 200: historyResponseSchema, ...errorResponses(400) },
      },
    },
    async (request) => engine.insights.history(request.params.id, request.query.limit),
  );

  api.get(
    "/v1/items/map",
    {
      schema: {
        tags,
        summary: "the most played items on the two principal axes of the item factors (a 2-D map)",
        querystring: itemMapQuery,
        response: { 200: itemMapResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => engine.insights.itemMap(request.query.limit),
  );

  api.get(
    "/v1/evaluations",
    {
      schema: {
        tags,
        summary: "evaluation records kept by `tastebud eval` and the demo, newest first",
        querystring: evaluationsQuery,
        response: { 200: evaluationsResponseSchema, ...errorResponses(400) },
      },
    },
    async (request) => ({
      evaluations: engine.insights.evaluations(request.query.kind, request.query.limit),
    }),
  );

  api.get(
    "/v1/requests/daily",
    {
      schema: {
        tags,
        summary: "request turns and defective ones per day (barge-in, error, short play, rephrase)",
        response: { 200: dailyRequestsResponseSchema },
      },
    },
    async () => engine.insights.requestsDaily(),
  );

  api.get(
    "/v1/requests/failures",
    {
      schema: {
        tags,
        summary: "which stage of the voice pipeline fails most, per intent and device (`tastebud failures`)",
        response: { 200: failuresResponseSchema },
      },
    },
    async () => engine.insights.failures(),
  );
};
