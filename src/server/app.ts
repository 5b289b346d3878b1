import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchemaCompiler,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import {
  createJsonSchemaTransform,
  serializerCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { z } from "zod";
import { commaList } from "../config.js";
import { type Engine, NoModelError } from "../engine.js";
import type { PlayContext, PlayEvent } from "../schema/events.js";
import { contextOfParts, playEventSchema, requestEventSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import { type KeyedPlayEvent, StoreError } from "../store/event-store.js";
import { HttpError, jsonPath, RequestValidationError } from "./errors.js";
import { TrainJobs } from "./jobs.js";
import { Mutex } from "./lock.js";
import { Metrics } from "./metrics.js";
import {
  affinityBodySchema,
  affinityResponseSchema,
  errorSchema,
  eventsBodySchema,
  eventsEnvelopeSchema,
  eventsResponseSchema,
  explainQuery,
  explainResponseSchema,
  healthSchema,
  itemParams,
  jobParams,
  jobSchema,
  preferenceParams,
  preferencesQuery,
  preferencesResponseSchema,
  recommendQuery,
  recommendResponseSchema,
  requestsBodySchema,
  requestsEnvelopeSchema,
  requestsResponseSchema,
  resolveBodySchema,
  resolveResponseSchema,
  rewritesBuildBodySchema,
  rewritesBuildResponseSchema,
  rewritesResponseSchema,
  similarQuery,
  similarResponseSchema,
  teachableMomentsResponseSchema,
  teachBodySchema,
  teachResponseSchema,
  trainBodySchema,
  trainResponseSchema,
  userParams,
} from "./schemas.js";

export interface AppOptions {
  /** Bearer key required by the write endpoints (POST /v1/events, POST /v1/train); null = none. */
  apiKey?: string | null;
  /** Largest request body in bytes (default 16 MiB); larger ones get 413. */
  bodyLimit?: number;
  /** Most events in one POST /v1/events (default 10,000); more get 413. */
  maxBatch?: number;
  /** Fastify's logger option (pino); default false (quiet). */
  logger?: FastifyServerOptions["logger"];
  /** The address the server will listen on: a non-loopback one is refused without an apiKey. */
  host?: string;
  /** Least time between two training progress log lines (default 5 s). */
  progressLogIntervalMs?: number;
  /**
   * Fold the plays of each accepted batch into their users' vectors at once (Engine.foldIn), so new users
   * and new plays change answers before the next training. Default false.
   */
  foldIn?: boolean;
}

export const defaultBodyLimit = 16 * 1024 * 1024;
export const defaultMaxBatch = 10_000;

/** The server's moving parts, for serve.ts (shutdown) and tests. */
export interface ServerState {
  jobs: TrainJobs;
  metrics: Metrics;
  storeLock: Mutex;
}

const states = new WeakMap<FastifyInstance, ServerState>();

export function serverState(app: FastifyInstance): ServerState {
  const state = states.get(app);
  if (!state) throw new Error("not a tastebud server app");
  return state;
}

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/** Thrown when the options are unsafe or inconsistent (e.g. a public address without an API key). */
export class ServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerConfigError";
  }
}

export function checkServerConfig(options: { host?: string; apiKey?: string | null }): void {
  if (options.host !== undefined && !isLoopbackHost(options.host) && !options.apiKey) {
    throw new ServerConfigError(
      `refusing to listen on ${options.host} without an API key: anyone who can reach it could write events and retrain; set --api-key or TASTEBUD_API_KEY, or listen on 127.0.0.1`,
    );
  }
}

/** Parses with zod, keeping each issue's path as an array, so the error answer can give JSON paths. */
function zodResult(schema: z.ZodType, data: unknown) {
  const result = schema.safeParse(data);
  if (result.success) return { value: result.data };
  return { error: new RequestValidationError(result.error.issues) };
}

/** Zod validation of each route's own schema. */
const zodValidator: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) =>
    // A request without a body reaches the validator as null: treat it as absent (POST /v1/train).
    zodResult(schema, httpPart === "body" && data === null ? undefined : data);

/** Checks only a batch's envelope; the rows are validated one by one in the handler (POST /v1/events, /v1/requests). */
const envelopeValidator =
  (envelope: z.ZodType): FastifySchemaCompiler<z.ZodType> =>
  () =>
  (data) =>
    zodResult(envelope, data);

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

/** Validates the rows of a batch one by one: the valid ones, and a reject with a JSON path for each other. */
function validateRows<T>(rows: unknown[], schema: z.ZodType<T>, field: string) {
  const valid: T[] = [];
  const rejects: Array<{ index: number; path: string; reason: string }> = [];
  rows.forEach((row, index) => {
    const parsed = schema.safeParse(row);
    if (parsed.success) {
      valid.push(parsed.data);
      return;
    }
    const [first, ...more] = parsed.error.issues;
    rejects.push({
      index,
      path: jsonPath([field, index, ...first.path]),
      reason: more.length
        ? `${first.message} (and ${more.length} more: ${more.map((i) => jsonPath(i.path, `${field}[${index}]`)).join(", ")})`
        : first.message,
    });
  });
  return { valid, rejects };
}

const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, errorSchema])) as Record<number, typeof errorSchema>;

const statusCodes: Record<number, string> = {
  400: "bad-request",
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  405: "method-not-allowed",
  406: "not-acceptable",
  408: "timeout",
  409: "conflict",
  413: "payload-too-large",
  415: "unsupported-media-type",
  429: "too-many-requests",
};

/**
 * The HTTP adapter over an open engine. The caller owns the engine (and closes it after the app); the app
 * validates every request against zod schemas, answers errors as JSON, keeps metrics, and runs training in
 * the background. Test it with `app.inject`; serve it with startServer (serve.ts).
 */
export function buildApp(engine: Engine, options: AppOptions = {}): FastifyInstance {
  checkServerConfig(options);
  const apiKey = options.apiKey || null;
  const bodyLimit = options.bodyLimit ?? defaultBodyLimit;
  const maxBatch = options.maxBatch ?? defaultMaxBatch;
  if (!(Number.isInteger(bodyLimit) && bodyLimit > 0))
    throw new ServerConfigError("body limit must be a positive whole number of bytes");
  if (!(Number.isInteger(maxBatch) && maxBatch > 0))
    throw new ServerConfigError("max batch must be a positive whole number");
  /** The rows of a batch body, refused with 413 beyond maxBatch. */
  const batchRows = (rows: unknown[], noun: string): unknown[] => {
    if (rows.length > maxBatch) {
      throw new HttpError(
        413,
        "batch-too-large",
        `at most ${maxBatch} ${noun} per batch, got ${rows.length}: split the batch`,
      );
    }
    return rows;
  };

  // Fastify's two info lines per request cost more than a recommendation itself; requests are counted in
  // /metrics and logged here at debug level (and failures at warn), see the onResponse hook.
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    return503OnClosing: true,
    // (Fastify 5.10+ takes this through a LogController; the top-level option is deprecated.)
    logController: new LogController({ disableRequestLogging: true }),
  });
  const metrics = new Metrics();
  const storeLock = new Mutex();
  /** Plays in the store: counted once when ready, then kept up to date by this server's writes. */
  let eventsStored: number | null = null;
  const countEvents = async () => {
    eventsStored = await storeLock.run(() => engine.store.countPlays());
    return eventsStored;
  };
  const jobs = new TrainJobs({
    engine,
    storeLock,
    log: app.log,
    progressLogIntervalMs: options.progressLogIntervalMs,
    onSucceeded: async (result) => {
      eventsStored = result.plays;
    },
    onFinished: (status) => metrics.trainJobFinished(status),
  });
  states.set(app, { jobs, metrics, storeLock });

  app.setValidatorCompiler(zodValidator);
  // Response schemas document the API (OpenAPI) and type the handlers; checking every response against
  // them again at run time cost about a fifth of a recommendation request, so responses are only
  // serialised. TASTEBUD_CHECK_RESPONSES=1 turns the check back on (the tests do).
  app.setSerializerCompiler(
    process.env.TASTEBUD_CHECK_RESPONSES === "1" ? serializerCompiler : () => (data) => JSON.stringify(data),
  );

  const sendError = (reply: FastifyReply, status: number, error: string, message: string, extra = {}) =>
    reply
      .code(status)
      .type("application/json; charset=utf-8")
      .send({ error, message, ...extra });

  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof RequestValidationError) {
      const part = (err as { validationContext?: string }).validationContext;
      const prefix = part === "querystring" ? "query" : part === "params" ? "params" : "";
      const issues = err.issues.map((i) => ({ path: jsonPath(i.path, prefix), message: i.message }));
      return sendError(reply, 400, "validation", `invalid ${prefix || "body"}`, { issues });
    }
    if (err instanceof HttpError) return sendError(reply, err.statusCode, err.code, err.message);
    if (err instanceof NoModelError) {
      return sendError(
        reply,
        503,
        "no-model",
        "no trained model yet: train one first (POST /v1/train, or `tastebud train`)",
      );
    }
    if (err instanceof StoreError) {
      request.log.error({ err }, "event store error");
      return sendError(reply, 503, "store-unavailable", "the event store is unavailable; see the server log");
    }
    const fe = err as FastifyError;
    const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413) {
      return sendError(reply, 413, "body-too-large", `request body is larger than ${bodyLimit} bytes`);
    }
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, wrong content type, ...): their messages name no files.
      const message = (fe.message || "bad request").split("\n")[0].slice(0, 300);
      return sendError(reply, status, statusCodes[status] ?? "client-error", message);
    }
    request.log.error({ err }, "request failed");
    return sendError(reply, 500, "internal", "internal error; see the server log");
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0].slice(0, 200);
    return sendError(reply, 404, "not-found", `no route ${request.method} ${path}`);
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.observe(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    const entry = {
      method: request.method,
      route,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (reply.statusCode >= 500) request.log.warn(entry, "request failed");
    else request.log.debug(entry, "request");
  });

  app.addHook("onReady", async () => {
    try {
      await engine.currentModel();
    } catch (err) {
      app.log.error({ err }, "cannot load the current model");
    }
    await countEvents();
  });

  // Training holds the engine: closing waits for a running job (it cannot be interrupted mid-run).
  app.addHook("onClose", async () => {
    if (jobs.active) app.log.info({ job: jobs.active.id }, "waiting for the training job to finish");
    await jobs.idle();
  });

  const requireKey = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!apiKey) return;
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (match && sameSecret(match[1], apiKey)) return;
    reply.header("www-authenticate", 'Bearer realm="tastebud"');
    return sendError(
      reply,
      401,
      "unauthorized",
      "this endpoint needs the header Authorization: Bearer <api key>",
    );
  };
  const writeSecurity = apiKey ? [{ bearer: [] }] : [];

  app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "tastebud",
        version: "1.0.0",
        description:
          "Personalization from play durations: ingest plays, train, and ask for recommendations, resolutions and affinities.",
      },
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "the server's API key" } },
      },
      tags: [
        { name: "events", description: "ingest plays and request events" },
        { name: "serving", description: "answers from the current model" },
        { name: "preferences", description: "what users teach in words, and when to ask" },
        { name: "rewrites", description: "query rewrites learned from users' rephrases" },
        { name: "training", description: "background training jobs" },
        { name: "operations", description: "health and metrics" },
      ],
    },
    transform: createJsonSchemaTransform({ skipList: ["/docs", "/docs/", "/docs/*", "/openapi.json"] }),
    // The train body may be left out (all settings default); the generator marks every body required.
    transformObject: (documents) => {
      const doc = "openapiObject" in documents ? documents.openapiObject : documents.swaggerObject;
      const train = (doc.paths as Record<string, { post?: { requestBody?: { required?: boolean } } }>)?.[
        "/v1/train"
      ]?.post?.requestBody;
      if (train) train.required = false;
      return doc;
    },
  });
  app.register(swaggerUi, { routePrefix: "/docs" });

  app.register(async (plain) => {
    const api = plain.withTypeProvider<ZodTypeProvider>();

    api.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

    api.post(
      "/v1/events",
      {
        onRequest: requireKey,
        validatorCompiler: envelopeValidator(eventsEnvelopeSchema) as never,
        schema: {
          tags: ["events"],
          summary: "append a batch of plays",
          description: `Each row is validated on its own: valid rows are stored, invalid ones come back in \`rejects\` with a JSON path. Events with an eventId are idempotent (a retried batch adds nothing); events without one are keyed by their fields. At most ${maxBatch} events per batch.`,
          security: writeSecurity,
          body: eventsBodySchema,
          response: { 202: eventsResponseSchema, ...errorResponses(400, 401, 413) },
        },
      },
      async (request, reply) => {
        const rows = batchRows((request.body as unknown as { events: unknown[] }).events, "events");
        const counter = new OccurrenceCounter();
        const { valid, rejects } = validateRows(rows, playEventSchema, "events");
        const batch: KeyedPlayEvent[] = valid.map((event) => ({
          key: counter.keyFor(event),
          event,
          source: "http",
        }));
        const stored = batch.length
          ? await storeLock.run(() => engine.store.appendPlays(batch))
          : { inserted: 0, duplicates: 0 };
        if (eventsStored !== null) eventsStored += stored.inserted;
        if (rejects.length) request.log.info({ rejected: rejects.length }, "events rejected");
        let foldedIn: string[] | undefined;
        if (options.foldIn && stored.inserted > 0 && (await engine.currentModel())) {
          const byUser = new Map<string, PlayEvent[]>();
          for (const { event } of batch) byUser.set(event.user, [...(byUser.get(event.user) ?? []), event]);
          for (const [user, plays] of byUser) await engine.foldIn(user, plays);
          foldedIn = [...byUser.keys()];
        }
        return reply.code(202).send({
          accepted: stored.inserted,
          duplicates: stored.duplicates,
          rejected: rejects.length,
          rejects,
          ...(foldedIn ? { foldedIn } : {}),
        });
      },
    );

    api.post(
      "/v1/requests",
      {
        onRequest: requireKey,
        validatorCompiler: envelopeValidator(requestsEnvelopeSchema) as never,
        schema: {
          tags: ["events"],
          summary: "append a batch of request events (voice or text turns)",
          description: `Each row is validated on its own, as for /v1/events; a requestId already stored adds nothing. At most ${maxBatch} events per batch.`,
          security: writeSecurity,
          body: requestsBodySchema,
          response: { 202: requestsResponseSchema, ...errorResponses(400, 401, 413) },
        },
      },
      async (request, reply) => {
        const rows = batchRows(
          (request.body as unknown as { requests: unknown[] }).requests,
          "request events",
        );
        const { valid, rejects } = validateRows(rows, requestEventSchema, "requests");
        const stored = valid.length
          ? await storeLock.run(() =>
              engine.store.appendRequests(valid.map((event) => ({ event, source: "http" }))),
            )
          : { inserted: 0, duplicates: 0 };
        // The online rewriter learns each turn once: a retried batch (duplicates) teaches it nothing new.
        if (stored.duplicates === 0) {
          for (const event of [...valid].sort((a, b) => Date.parse(a.time) - Date.parse(b.time)))
            engine.observeTurn(event);
        }
        return reply.code(202).send({
          accepted: stored.inserted,
          duplicates: stored.duplicates,
          rejected: rejects.length,
          rejects,
        });
      },
    );

    api.post(
      "/v1/resolve",
      {
        schema: {
          tags: ["serving"],
          summary: 'rank what a request ("play hello") could mean for this user, with reasons',
          body: resolveBodySchema,
          response: { 200: resolveResponseSchema, ...errorResponses(400, 503) },
        },
      },
      async (request) => {
        const { user, request: text, candidates, limit, context, time } = request.body;
        const timeMs = time === undefined ? undefined : Date.parse(time);
        const answer = await engine.resolve(user, text, { candidates, limit, context, timeMs });
        return answer as z.output<typeof resolveResponseSchema>;
      },
    );

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
        const answer = await engine.recommend(request.params.id, {
          n: q.n,
          exclude: q.exclude,
          filter: { kind: q.kind, tags: commaList(q.tags), creators: commaList(q.creators) },
          context: contextFromQuery(q),
        });
        return answer as z.output<typeof recommendResponseSchema>;
      },
    );

    api.post(
      "/v1/rewrites/build",
      {
        onRequest: requireKey,
        schema: {
          tags: ["rewrites"],
          summary: "mine the stored request log for query rewrites and make the table current",
          security: writeSecurity,
          body: rewritesBuildBodySchema,
          response: { 200: rewritesBuildResponseSchema, ...errorResponses(400, 401, 409) },
        },
      },
      async (request) => {
        const { sessionGapMs, ...table } = request.body;
        try {
          const result = await storeLock.run(() =>
            engine.buildRewrites({ table: { ...table, ...(sessionGapMs ? { sessionGapMs } : {}) } }),
          );
          const { path: _path, stats: _stats, ...answer } = result;
          return answer;
        } catch (err) {
          if (err instanceof Error && /no request events/.test(err.message))
            throw new HttpError(409, "no-requests", err.message);
          throw err;
        }
      },
    );

    api.get(
      "/v1/rewrites",
      {
        schema: {
          tags: ["rewrites"],
          summary: "the current rewrite table (source -> rewrite, with support and success rates)",
          response: { 200: rewritesResponseSchema },
        },
      },
      async () => {
        const current = await engine.currentRewrites();
        const monitor = (await engine.rewriteStatuses()).map((m) => ({
          source: m.source,
          rewrite: m.rewrite,
          state: m.state,
          pWin: m.pWin,
          rewrittenSuccess: m.rewritten.mean,
          originalSuccess: m.original.mean,
          requests: m.requests,
        }));
        return { version: current?.version ?? null, rules: current ? [...current.table.rules] : [], monitor };
      },
    );

    api.post(
      "/v1/users/:id/preferences",
      {
        onRequest: requireKey,
        schema: {
          tags: ["preferences"],
          summary: 'teach a preference in words ("I don\'t like country"); applied from the next answer on',
          security: writeSecurity,
          params: userParams,
          body: teachBodySchema,
          response: { 201: teachResponseSchema, ...errorResponses(400, 401, 422) },
        },
      },
      async (request, reply) => {
        const { text, nowPlaying, timeZoneOffsetMinutes } = request.body;
        const result = await storeLock.run(() =>
          engine.teachPreference(request.params.id, text, { nowPlaying, timeZoneOffsetMinutes }),
        );
        if ("error" in result) throw new HttpError(422, "not-a-preference", result.error);
        return reply.code(201).send(result as z.output<typeof teachResponseSchema>);
      },
    );

    api.get(
      "/v1/users/:id/preferences",
      {
        schema: {
          tags: ["preferences"],
          summary: "the preferences a user taught, newest first",
          params: userParams,
          querystring: preferencesQuery,
          response: { 200: preferencesResponseSchema, ...errorResponses(400) },
        },
      },
      async (request) => {
        const preferences = await engine.listPreferences(request.params.id, {
          includeExpired: request.query.includeExpired === "true",
        });
        return { user: request.params.id, preferences } as z.output<typeof preferencesResponseSchema>;
      },
    );

    api.delete(
      "/v1/users/:id/preferences/:factId",
      {
        onRequest: requireKey,
        schema: {
          tags: ["preferences"],
          summary: "forget one taught preference",
          security: writeSecurity,
          params: preferenceParams,
          response: { 204: z.null(), ...errorResponses(401, 404) },
        },
      },
      async (request, reply) => {
        const { id, factId } = request.params;
        const removed = await storeLock.run(() => engine.removePreference(id, factId));
        if (!removed) throw new HttpError(404, "not-found", `user ${id} has no preference ${factId}`);
        return reply.code(204).send(null);
      },
    );

    api.get(
      "/v1/users/:id/teachable-moments",
      {
        schema: {
          tags: ["preferences"],
          summary: 'moments in the last half hour worth asking "should I remember that?" about',
          params: userParams,
          response: { 200: teachableMomentsResponseSchema, ...errorResponses(400) },
        },
      },
      async (request) => {
        const moments = await storeLock.run(() => engine.teachableMoments(request.params.id));
        return { user: request.params.id, moments };
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
        const answer = await engine.similar(request.params.id, {
          n: q.n,
          filter: { kind: q.kind, tags: commaList(q.tags), creators: commaList(q.creators) },
        });
        return answer as z.output<typeof similarResponseSchema>;
      },
    );

    api.post(
      "/v1/users/:id/affinity",
      {
        schema: {
          tags: ["serving"],
          summary: "probability that the user plays each item past the threshold, with its parts",
          params: userParams,
          body: affinityBodySchema,
          response: { 200: affinityResponseSchema, ...errorResponses(400, 503) },
        },
      },
      async (request) => engine.affinity(request.params.id, request.body.items),
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
      async (request) => engine.explain(request.params.id, request.query.item),
    );

    api.post(
      "/v1/train",
      {
        onRequest: requireKey,
        schema: {
          tags: ["training"],
          summary: "train a new model in the background (one job at a time)",
          description:
            "The body holds train settings; every field is optional and defaults as in `tastebud train`. When the job succeeds the new model serves every later request; requests in flight finish on the old one.",
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
        model: await servingVersion(engine, app.log),
        events: eventsStored ?? (await countEvents()),
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
          modelVersion: await servingVersion(engine, app.log),
          eventsStored: eventsStored ?? (await countEvents()),
          training: jobs.active !== null,
        });
        return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
      },
    );
  });

  return app;
}

/** The version answering requests now; null before the first training or when it cannot be loaded. */
async function servingVersion(engine: Engine, log: FastifyInstance["log"]): Promise<string | null> {
  try {
    return (await engine.currentModel())?.manifest.version ?? null;
  } catch (err) {
    log.error({ err }, "cannot load the current model");
    return null;
  }
}

/** Constant-time comparison of two secrets of any lengths (compares their SHA-256 digests). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
