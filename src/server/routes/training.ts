import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { HttpError } from "../errors.js";
import { errorResponses } from "../validation.js";
import type { RouteContext } from "./route-context.js";
import { jobParams, jobSchema, trainBodySchema, trainResponseSchema } from "./training-schemas.js";

/** Background training jobs: start one, follow its progress, cancel it. */
export const trainingRoutes: FastifyPluginAsync<RouteContext> = async (plain, ctx) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const { jobs, requireKey, writeSecurity } = ctx;

  api.post(
    "/v1/train",
    {
      onRequest: requireKey,
      schema: {
        tags: ["training"],
        summary: "train a new model in the background (one job at a time)",
        description:
          "The body holds train settings; every field is optional and defaults as in `tastebud train`, and factors, epochs and threads are capped (400 naming the field). The job reads the stored plays once, then trains on a thread of its own: the server keeps answering and accepting events, which the next training sees. When the job succeeds the new model serves every later request; requests in flight finish on the old one.",
        security: writeSecurity,
        body: trainBodySchema,
        response: { 202: trainResponseSchema, ...errorResponses(400, 401, 409) },
      },
    },
    async (request, reply) => {
      const job = jobs.start(request.body);
      if (!job) {
        const active = jobs.active;
        throw new HttpError(
          409,
          "job-running",
          `training job ${active?.id ?? "?"} is still ${active?.status ?? "running"}; wait for it (GET /v1/jobs/${active?.id ?? ""})`,
        );
      }
      return reply.code(202).header("location", `/v1/jobs/${job.id}`).send({ job });
    },
  );

  api.get(
    "/v1/jobs/:id",
    {
      schema: {
        tags: ["training"],
        summary: "a training job's status and progress",
        params: jobParams,
        response: { 200: jobSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const job = jobs.get(request.params.id);
      if (!job) throw new HttpError(404, "not-found", `no job ${request.params.id}`);
      return job;
    },
  );

  api.delete(
    "/v1/jobs/:id",
    {
      onRequest: requireKey,
      schema: {
        tags: ["training"],
        summary: "cancel a training job",
        description:
          "Stops a queued or running job and answers once it has stopped (status cancelled): its thread ends, nothing is registered, and the model that was current keeps serving. A job already past registering its model finishes as succeeded. 409 when the job had already finished.",
        security: writeSecurity,
        params: jobParams,
        response: { 200: jobSchema, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const cancelled = await jobs.cancel(request.params.id);
      if (cancelled.outcome === "unknown")
        throw new HttpError(404, "not-found", `no job ${request.params.id}`);
      if (cancelled.outcome === "finished")
        throw new HttpError(
          409,
          "job-finished",
          `job ${cancelled.job.id} already ${cancelled.job.status}; there is nothing to cancel`,
        );
      return cancelled.job;
    },
  );
};
