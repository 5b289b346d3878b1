import { isAscii, isUtf8 } from "node:buffer";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { createJsonSchemaTransform, serializerCompiler } from "fastify-type-provider-zod";
import type { Engine } from "../engine.js";
import { NoModelError } from "../services/serving-model.js";
import { StoreError } from "../store/event-store.js";
import { Mutex } from "../store/mutex.js";
import { HttpError, jsonPath, RequestValidationError } from "./errors.js";
import { EventLoopDelay } from "./event-loop-delay.js";
import { TrainJobs } from "./jobs.js";
import { checkJsonLimits, defaultJsonLimits, type JsonLimits } from "./json-limits.js";
import { Metrics } from "./metrics.js";
import {
  bearerKey,
  foreignHost,
  foreignOrigin,
  isLoopbackHost,
  keyAccepted,
  sameSecret,
} from "./request-guards.js";
import { affinityRoutes } from "./routes/affinity.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { directedRoutes } from "./routes/directed.js";
import { eventsRoutes } from "./routes/events.js";
import { homeRoutes } from "./routes/home.js";
import { insightsRoutes } from "./routes/insights.js";
import { operationsRoutes } from "./routes/operations.js";
import { playlistsRoutes } from "./routes/playlists.js";
import { preferencesRoutes } from "./routes/preferences.js";
import { privacyRoutes } from "./routes/privacy.js";
import { recommendRoutes } from "./routes/recommend.js";
import { type RouteContext, StoredPlays } from "./routes/route-context.js";
import { servingRoutes } from "./routes/serving.js";
import { trainingRoutes } from "./routes/training.js";
import { voiceRoutes } from "./routes/voice.js";
import { zodValidator } from "./validation.js";

export { isLoopbackHost };

export interface AppOptions {
  /** Bearer key required by the write endpoints (POST /v1/events, POST /v1/train); null = none. */
  apiKey?: string | null;
  /**
   * Bearer key that opens the routes answering with a user's data (recommendations, preferences,
   * history, ...). When set, those routes need it (or the write key) on any address; when not, they need
   * the write key on a non-loopback address and nothing on loopback.
   */
  readKey?: string | null;
  /** Largest body of the ingest routes (events, requests, impressions, feedback, pools) in bytes (default 16 MiB). */
  bodyLimit?: number;
  /** Largest body of every other route in bytes (default 64 KiB); larger ones get 413. */
  readBodyLimit?: number;
  /** Deepest nesting and longest string a JSON body may have (default 32 levels, 64 Ki characters). */
  jsonLimits?: JsonLimits;
  /** Origins (scheme://host:port) besides the server's own that may send requests from a browser. */
  allowedOrigins?: readonly string[];
  /** Most time to receive a whole request, headers and body (default 30 s); then 408. */
  requestTimeoutMs?: number;
  /** A socket idle this long is closed (default 60 s). */
  connectionTimeoutMs?: number;
  /** Most time a route may take to answer (default 60 s); then 503. */
  handlerTimeoutMs?: number;
  /**
   * Requests per client address per minute (default 1,200), then 429; false turns it off. Loopback clients
   * (this machine: the dashboard's own page, local tools) are not limited unless includeLoopback is set.
   */
  rateLimit?: { max: number; timeWindowMs?: number; includeLoopback?: boolean } | false;
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
  /**
   * /healthz asks the store again only when its last answer is older than this (default 1,000 ms); probes
   * meanwhile share that answer. 0 asks on every probe.
   */
  healthProbeMs?: number;
}

export const defaultBodyLimit = 16 * 1024 * 1024;
export const defaultReadBodyLimit = 64 * 1024;
/** Longest path parameter: the longest id any route's schema takes (item ids, up to 1,000 characters). */
export const maxParamLength = 1000;
export const defaultRateLimit = { max: 1200, timeWindowMs: 60_000, includeLoopback: false };
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
  414: "uri-too-long",
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
  const readKey = options.readKey || null;
  const bodyLimit = options.bodyLimit ?? defaultBodyLimit;
  const readBodyLimit = options.readBodyLimit ?? Math.min(defaultReadBodyLimit, bodyLimit);
  const maxBatch = options.maxBatch ?? defaultMaxBatch;
  const jsonLimits = options.jsonLimits ?? defaultJsonLimits;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  for (const [name, value] of [
    ["body limit", bodyLimit],
    ["read body limit", readBodyLimit],
    ["max batch", maxBatch],
    ["request timeout", requestTimeout],
  ] as const) {
    if (!(Number.isInteger(value) && value > 0))
      throw new ServerConfigError(`${name} must be a positive whole number`);
  }
  // Apps built without a host (tests, embedding) are treated as loopback: the host guard and the public
  // reads follow the address the server listens on.
  const loopback = options.host === undefined || isLoopbackHost(options.host);
  // Who may read users' data: anyone on loopback without a read key; else a holder of either key.
  const readKeys = [readKey, apiKey].filter((k): k is string => k !== null);
  const readsNeedKey = readKey !== null || !loopback;
  const allowedOrigins = new Set((options.allowedOrigins ?? []).map((o) => o.trim().toLowerCase()));

  const sendError = (reply: FastifyReply, status: number, error: string, message: string, extra = {}) =>
    reply
      .code(status)
      .type("application/json; charset=utf-8")
      .send({ error, message, ...extra });

  // Fastify's logger lines per request cost more than a recommendation itself; requests are counted in
  // /metrics and logged here at debug level (and failures at warn), see the onResponse hook.
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: readBodyLimit,
    // Path parameters as long as the longest id a schema takes; longer ones get our 414 (frameworkErrors).
    routerOptions: { maxParamLength },
    // A client that trickles its headers or body (slowloris) is answered 408 and cut off; Node checks the
    // running requests once per connectionsCheckingInterval (30 s by default, too coarse for short limits).
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.min(1000, requestTimeout),
    },
    connectionTimeout: options.connectionTimeoutMs ?? 60_000,
    handlerTimeout: options.handlerTimeoutMs ?? 60_000,
    return503OnClosing: true,
    // onReady loads the current model (and builds its top-n index): on a large catalogue and a busy
    // machine that takes longer than fastify's default 10 s, which would stop the server instead.
    pluginTimeout: 0,
    // (Fastify 5.10+ takes this through a LogController; the top-level option is deprecated.)
    logController: new LogController({ disableRequestLogging: true }),
    // Errors the router raises before any route runs, answered in our error shape.
    frameworkErrors: (err, _request, reply) => {
      if (err.code === "FST_ERR_MAX_PARAM_LENGTH")
        return sendError(
          reply,
          414,
          "uri-too-long",
          `a path segment is longer than ${maxParamLength} characters`,
        );
      return sendError(reply, 400, "bad-request", "the URL is not valid (bad percent-encoding?)");
    },
  });
  const metrics = new Metrics();
  const eventLoop = new EventLoopDelay();
  const storeLock = new Mutex();
  const storedPlays = new StoredPlays(() => storeLock.run(() => engine.store.countPlays()));
  const jobs = new TrainJobs({
    engine,
    storeLock,
    log: app.log,
    progressLogIntervalMs: options.progressLogIntervalMs,
    // Writes went on while the job trained, so the count is read again rather than taken from its window.
    onSucceeded: async () => {
      await storedPlays.recount();
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

  // JSON bodies pass the shape limits before the parser sees them (see json-limits.ts); text/plain bodies
  // are not taken at all, so a cross-site form or fetch without a preflight cannot reach a route (415).
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  // The body comes as bytes and must be UTF-8: decoded as a string, bytes that are not became U+FFFD, and
  // two different ids could be stored as one (file ingest refuses them the same way).
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, raw, done) => {
    const bytes = raw as Buffer;
    // ASCII (most bodies) is UTF-8 whose bytes are its characters: copied as Latin-1, cheaper than decoding.
    let body: string;
    if (isAscii(bytes)) body = bytes.toString("latin1");
    else if (isUtf8(bytes)) body = bytes.toString("utf8");
    else return done(new HttpError(400, "invalid-utf8", "the body is not valid UTF-8"), undefined);
    const violation = checkJsonLimits(body, jsonLimits);
    if (violation) return done(new HttpError(400, violation.code, violation.message), undefined);
    parseJson(request, body, done);
  });

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
    if (err instanceof StoreError && err.code === "full") {
      request.log.error({ err }, "event store disk full");
      return sendError(
        reply,
        507,
        "insufficient-storage",
        "the event store's disk is full, so this write failed; reads go on, and once there is room sending the same batch again stores it (nothing twice)",
      );
    }
    if (err instanceof StoreError) {
      request.log.error({ err }, "event store error");
      return sendError(reply, 503, "store-unavailable", "the event store is unavailable; see the server log");
    }
    const fe = err as FastifyError;
    const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413) {
      const limit = request.routeOptions.bodyLimit ?? readBodyLimit;
      return sendError(reply, 413, "body-too-large", `request body is larger than ${limit} bytes`);
    }
    if (fe.code === "FST_ERR_HANDLER_TIMEOUT") {
      request.log.warn({ route: request.routeOptions.url }, "handler timed out");
      return sendError(reply, 503, "timeout", "the answer took too long; try again");
    }
    if (status === 415) {
      const given = request.headers["content-type"]?.split(";")[0].slice(0, 100) || "none";
      return sendError(
        reply,
        415,
        "unsupported-media-type",
        `bodies must be sent as Content-Type: application/json (this one: ${given})`,
      );
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
      await engine.models.current();
    } catch (err) {
      app.log.error({ err }, "cannot load the current model");
    }
    await storedPlays.recount();
  });

  // Training holds the engine: closing cancels a running job (its thread stops; the previous model stays
  // current) and waits until it has stopped, before the caller closes the store.
  app.addHook("onClose", async () => {
    eventLoop.close();
    await jobs.stop();
  });

  const unauthorized = (reply: FastifyReply, which: string) => {
    reply.header("www-authenticate", 'Bearer realm="tastebud"');
    return sendError(
      reply,
      401,
      "unauthorized",
      `this endpoint needs the header Authorization: Bearer <${which}>`,
    );
  };
  /** Route hook of every route that writes: the write key (a no-op when the server has none). */
  const requireKey = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!apiKey) return;
    const given = bearerKey(request.headers.authorization);
    if (given !== null && sameSecret(given, apiKey)) return;
    return unauthorized(reply, "api key");
  };
  const writeSecurity = apiKey ? [{ bearer: [] }] : [];

  // Every request, before anything else: a loopback server answers only loopback Host names, and no
  // server answers a browser page of another origin (see request-guards.ts for why).
  app.addHook("onRequest", async (request, reply) => {
    const host = foreignHost(request.headers.host, loopback);
    if (host) return sendError(reply, 403, "forbidden-host", `${host} is not this server's name`);
    const origin = foreignOrigin(request.headers.origin, request.headers.host, allowedOrigins);
    if (origin) return sendError(reply, 403, "forbidden-origin", `${origin} may not call this API`);
  });

  // Everything under /v1 answers with or about users' data: with readsNeedKey, each such route needs a
  // key before its own hooks run (write routes then check for the write key itself). What stays public:
  // /healthz, /metrics, /docs, /openapi.json and the dashboard's static files.
  if (readsNeedKey) {
    const requireReadKey = async (request: FastifyRequest, reply: FastifyReply) => {
      if (keyAccepted(bearerKey(request.headers.authorization), readKeys)) return;
      return unauthorized(reply, readKey ? "read key or api key" : "api key");
    };
    app.addHook("onRoute", (route) => {
      if (!route.url.startsWith("/v1/")) return;
      const own = route.onRequest ? [route.onRequest].flat() : [];
      route.onRequest = [requireReadKey, ...own] as typeof route.onRequest;
      if (route.schema && !route.schema.security) route.schema.security = [{ bearer: [] }];
    });
  }

  const rate = options.rateLimit === false ? null : { ...defaultRateLimit, ...options.rateLimit };
  if (rate) {
    app.register(rateLimit, {
      global: true,
      max: rate.max,
      timeWindow: rate.timeWindowMs,
      // Only the client's own address (no forwarded-for headers: anyone could write those).
      allowList: (request) => !rate.includeLoopback && isLoopbackHost(request.ip),
      errorResponseBuilder: (_request, context) =>
        new HttpError(
          429,
          "too-many-requests",
          `more than ${context.max} requests from this address in the window; retry in ${context.after}`,
        ),
    });
  }

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
        { name: "operations", description: "health, metrics, and this replica's store, bus and model swaps" },
        { name: "insights", description: "what the engine knows, read-only: the dashboard's data" },
        { name: "playlists", description: "taste space, personal playlists, Blend and editors' pools" },
        { name: "home", description: "home shelves from a learning bandit policy, impressions and feedback" },
        { name: "privacy", description: "privacy mode and each user's spent privacy budget" },
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

  const ctx: RouteContext = {
    engine,
    storeLock,
    requireKey,
    writeSecurity,
    maxBatch,
    ingestBodyLimit: bodyLimit,
    foldIn: options.foldIn ?? false,
    healthProbeMs: options.healthProbeMs ?? 1000,
    jobs,
    metrics,
    eventLoop,
    storedPlays,
  };
  // One plugin per capability; each declares its own routes and schemas (src/server/routes/).
  for (const routes of [
    eventsRoutes,
    voiceRoutes,
    recommendRoutes,
    preferencesRoutes,
    affinityRoutes,
    trainingRoutes,
    operationsRoutes,
    servingRoutes,
    insightsRoutes,
    dashboardRoutes,
    playlistsRoutes,
    homeRoutes,
    privacyRoutes,
    directedRoutes,
  ]) {
    app.register(routes, ctx);
  }

  return app;
}
