import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Engine } from "../../engine.js";
import { publicMessage } from "../errors.js";
import { healthSchema, unhealthySchema } from "./operations-schemas.js";
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
        description:
          "Asks the event store for its play count each time: 503 when the store does not answer (an I/O error, a closed store) or takes longer than 5 s.",
        response: { 200: healthSchema, 503: unhealthySchema },
      },
    },
    async (_request, reply) => {
      const model = await servingVersion(engine, plain.log);
      const training = jobs.active !== null;
      try {
        // The store itself, not a cached count: a store that fails after start must not look healthy.
        const events = await withinMs(engine.store.countPlays(), storeCheckMs);
        storedPlays.set(events);
        return { status: "ok" as const, model, events, training };
      } catch (err) {
        plain.log.error({ err }, "health check: the event store does not answer");
        return reply.code(503).send({
          status: "unavailable" as const,
          error: "store-unavailable" as const,
          message: publicMessage(err),
          model,
          training,
        });
      }
    },
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

/** Longest a health check waits for the store. */
const storeCheckMs = 5000;

/** The promise's value, or an error once `ms` have passed without one. */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the event store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
