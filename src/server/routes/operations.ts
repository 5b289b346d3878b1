import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Engine } from "../../engine.js";
import { healthSchema } from "./operations-schemas.js";
import type { RouteContext } from "./route-context.js";

/** Health, Prometheus metrics and the OpenAPI document. */
export const operationsRoutes: FastifyPluginAsync<RouteContext> = async (plain, ctx) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const { engine, jobs, metrics, storedPlays } = ctx;

  api.get("/openapi.json", { schema: { hide: true } }, async () => plain.swagger());

  api.get(
    "/healthz",
    {
      schema: {
        tags: ["operations"],
        summary: "liveness, the serving model version and the number of stored plays",
        response: { 200: healthSchema },
      },
    },
    async () => ({
      status: "ok" as const,
      model: await servingVersion(engine, plain.log),
      events: await storedPlays.current(),
      training: jobs.active !== null,
    }),
  );

  api.get(
    "/metrics",
    {
      schema: {
        tags: ["operations"],
        summary: "Prometheus metrics (text exposition format)",
        response: {
          200: {
            description: "Prometheus text exposition format 0.0.4",
            content: { "text/plain": { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => {
      const text = metrics.render({
        modelVersion: await servingVersion(engine, plain.log),
        eventsStored: await storedPlays.current(),
        training: jobs.active !== null,
      });
      return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
    },
  );
};

/** The version answering requests now; null before the first training or when it cannot be loaded. */
async function servingVersion(engine: Engine, log: FastifyInstance["log"]): Promise<string | null> {
  try {
    return (await engine.models.current())?.manifest.version ?? null;
  } catch (err) {
    log.error({ err }, "cannot load the current model");
    return null;
  }
}
