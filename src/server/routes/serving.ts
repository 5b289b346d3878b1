import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { servingReport } from "../../services/serving-report.js";
import type { RouteContext } from "./route-context.js";
import { servingReportSchema } from "./serving-schemas.js";

/** This replica as its operator sees it: store, bus, the version it serves, its swaps, fold-in, event loop. */
export const servingRoutes: FastifyPluginAsync<RouteContext> = async (plain, ctx) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const { engine, eventLoop, foldIn } = ctx;
  api.get(
    "/v1/serving",
    {
      schema: {
        tags: ["operations"],
        summary:
          "this replica: its store and bus, the version it serves against the registry's, its recent model swaps, fold-in and event-loop delay",
        response: { 200: servingReportSchema },
      },
    },
    async () => {
      const report = await servingReport({ store: engine.store, models: engine.models }, engine.replication, {
        foldIn,
      });
      return {
        ...report,
        eventLoop: {
          ...eventLoop.peek(),
          windowStartedAt: new Date(eventLoop.windowStartedAtMs).toISOString(),
        },
      };
    },
  );
};
