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
  const { engine, jobs, metrics, eventLoop, storedPlays } = ctx;
  const storeProbe = new StoreProbe(
    () => storedPlays.take(() => withinMs(engine.store.countPlays(), storeCheckMs)),
    ctx.healthProbeMs,
  );

  api.get("/openapi.json", { schema: { hide: true } }, async () => plain.swagger());

  api.get(
    "/healthz",
    {
      schema: {
        tags: ["operations"],
        summary: "liveness, the serving model version and the number of stored plays",
        description:
          "Asks the event store for its play count (at most once a second; probes meanwhile share the answer, and the count follows this server's writes): 503 when the store does not answer (an I/O error, a closed store) or takes longer than 5 s.",
        response: { 200: healthSchema, 503: unhealthySchema },
      },
    },
    async (_request, reply) => {
      const model = await servingVersion(engine, plain.log);
      const training = jobs.active !== null;
      try {
        // The store itself, not a count cached since start: a store that fails must not look healthy for
        // more than healthProbeMs. Not through the store lock, which long jobs hold.
        await storeProbe.freshCount();
        const events = await storedPlays.current();
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
        eventLoop: eventLoop.take(),
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

/**
 * The store's last answer to a health probe, asked again only when older than maxAgeMs, with concurrent
 * probes sharing one question. A load balancer probing many times a second would otherwise queue a
 * COUNT(*) per probe behind the store's writes (about 2.4 ms of CPU each here), and the serving benchmark's
 * /healthz baseline would measure the store instead of the HTTP path.
 */
class StoreProbe {
  private answeredAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<number> | null = null;

  constructor(
    private readonly ask: () => Promise<number>,
    private readonly maxAgeMs: number,
  ) {}

  /** The store's count when it was asked for this probe; null while a recent answer stands; rejects when the store fails. */
  freshCount(): Promise<number | null> {
    if (performance.now() - this.answeredAt < this.maxAgeMs) return Promise.resolve(null);
    this.pending ??= this.ask()
      .then((n) => {
        this.answeredAt = performance.now();
        return n;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
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
