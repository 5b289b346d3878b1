import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { feedbackEventSchema, impressionEventSchema } from "../../schema/impressions.js";
import { NoShelvesError } from "../../services/home.js";
import { homeEvidence } from "../../services/home-evidence.js";
import { HttpError } from "../errors.js";
import { userParams } from "../schemas.js";
import {
  batchRows,
  envelopeValidator,
  errorResponses,
  recordHttpBatch,
  validateRows,
} from "../validation.js";
import {
  feedbackBodySchema,
  feedbackEnvelopeSchema,
  feedbackResponseSchema,
  homeEvidenceResponseSchema,
  homeQuery,
  homeReportQuery,
  homeReportResponseSchema,
  homeResponseSchema,
  impressionsBodySchema,
  impressionsEnvelopeSchema,
  impressionsResponseSchema,
} from "./home-schemas.js";
import type { RouteContext } from "./route-context.js";

/** Home shelves from a learning policy, the impressions they log, and the feedback that teaches it. */
export const homeRoutes: FastifyPluginAsync<RouteContext> = async (plain, ctx) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const { engine, storeLock, requireKey, writeSecurity, maxBatch } = ctx;
  engine.home.useWriteLock((write) => storeLock.run(write));

  api.get(
    "/v1/users/:id/home",
    {
      schema: {
        tags: ["home"],
        summary:
          "home shelves for a user, each with its title, explanation and propensity; logged as impressions",
        params: userParams,
        querystring: homeQuery,
        response: { 200: homeResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      const { page, impressions } = await engine.home
        .choose(request.params.id, { slots: request.query.slots, context: request.query.context })
        .catch((err) => {
          throw err instanceof NoShelvesError ? new HttpError(503, "no-shelves", err.message) : err;
        });
      // Logged behind the store lock without holding up the answer: a training run may hold the lock for minutes.
      void storeLock
        .run(() => engine.home.recordImpressions(impressions, "serve"))
        .catch((err) => request.log.error({ err }, "impressions not logged"));
      return page;
    },
  );

  api.get(
    "/v1/home/report",
    {
      schema: {
        tags: ["home"],
        summary:
          "what the home shelves have done: the live policy, its most shown shelves, the impression log per slot and day",
        querystring: homeReportQuery,
        response: { 200: homeReportResponseSchema, ...errorResponses(400) },
      },
    },
    async (request) => engine.home.report({ arms: request.query.arms }),
  );

  api.get(
    "/v1/home/evidence",
    {
      schema: {
        tags: ["home"],
        summary:
          "evidence for the home policies: off-policy estimates on logged feedback and simulated regret curves, as kept by tastebud bandit ope|simulate --store",
        response: { 200: homeEvidenceResponseSchema },
      },
    },
    async () =>
      homeEvidence(
        engine.insights.evaluations("bandit-ope", 20),
        engine.insights.evaluations("bandit-simulate", 50),
      ),
  );

  api.post(
    "/v1/impressions",
    {
      onRequest: requireKey,
      bodyLimit: ctx.ingestBodyLimit,
      validatorCompiler: envelopeValidator(impressionsEnvelopeSchema) as never,
      schema: {
        tags: ["home"],
        summary: "append impressions logged elsewhere (what a policy showed, with propensities)",
        description: `Each row is validated on its own; an impressionId already stored adds nothing. At most ${maxBatch} per batch.`,
        security: writeSecurity,
        body: impressionsBodySchema,
        response: { 202: impressionsResponseSchema, ...errorResponses(400, 401, 413) },
      },
    },
    async (request, reply) => {
      const rows = batchRows(
        (request.body as unknown as { impressions: unknown[] }).impressions,
        "impressions",
        maxBatch,
      );
      const startedAt = new Date();
      const { valid, rejects } = validateRows(rows, impressionEventSchema, "impressions");
      // Kept as an ingest run like /v1/events batches, so its rejects count in the overview.
      const stored = await storeLock.run(async () => {
        const appended = await engine.home.recordImpressions(valid, "http");
        await recordHttpBatch(
          engine.store,
          ctx.metrics,
          "/v1/impressions",
          startedAt,
          appended,
          rejects.length,
        );
        return appended;
      });
      return reply.code(202).send({
        accepted: stored.inserted,
        duplicates: stored.duplicates,
        rejected: rejects.length,
        rejects,
      });
    },
  );

  api.post(
    "/v1/feedback",
    {
      onRequest: requireKey,
      bodyLimit: ctx.ingestBodyLimit,
      validatorCompiler: envelopeValidator(feedbackEnvelopeSchema) as never,
      schema: {
        tags: ["home"],
        summary: "append feedback on impressions (click, stream, dismiss); the live policy learns from it",
        description: `A stream of 30 s or more is a reward; slots before it were seen and passed over (cascade). A dismissal counts the initially visible slots as seen. At most ${maxBatch} per batch.`,
        security: writeSecurity,
        body: feedbackBodySchema,
        response: { 202: feedbackResponseSchema, ...errorResponses(400, 401, 413) },
      },
    },
    async (request, reply) => {
      const rows = batchRows(
        (request.body as unknown as { feedback: unknown[] }).feedback,
        "feedback",
        maxBatch,
      );
      const startedAt = new Date();
      const { valid, rejects } = validateRows(rows, feedbackEventSchema, "feedback");
      const stored = await storeLock.run(async () => {
        const taught = await engine.home.feedback(valid, "http");
        await recordHttpBatch(engine.store, ctx.metrics, "/v1/feedback", startedAt, taught, rejects.length);
        return taught;
      });
      await engine.replication.feedbackAccepted(valid);
      return reply.code(202).send({
        accepted: stored.inserted,
        duplicates: stored.duplicates,
        rejected: rejects.length,
        learnedPages: stored.learnedPages,
        rejects,
      });
    },
  );
};
