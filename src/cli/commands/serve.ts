import type { Command } from "commander";
import {
  checkServerConfig,
  defaultBodyLimit,
  defaultMaxBatch,
  defaultRateLimit,
  defaultReadBodyLimit,
  ServerConfigError,
} from "../../server/app.js";
import { startServer } from "../../server/serve.js";
import { UsageError } from "../errors.js";
import { addStoreOptions, number } from "../options.js";
import { privacyMode, privacyOptionHelp } from "../run.js";

export function serveCommand(program: Command): void {
  const cmd = program
    .command("serve")
    .description(
      "serve the HTTP API (events, resolve, recommend, similar, affinity, explain, train; OpenAPI at /docs)",
    )
    .option("--host <address>", "address to listen on (a non-loopback one needs an API key)", "127.0.0.1")
    .option("--port <n>", "port (0 picks a free one)", number("port"), 8080)
    // The keys' defaults come from the environment in the action, not here: commander prints an option's
    // default in --help, and the help must never show a secret.
    .option("--api-key <key>", "bearer key the write endpoints require (env TASTEBUD_API_KEY)")
    .option(
      "--read-key <key>",
      "bearer key the routes with users' data require (env TASTEBUD_READ_KEY; default: the API key on a non-loopback address, none on loopback)",
    )
    .option(
      "--body-limit <bytes>",
      "largest body of the ingest routes (events, requests, impressions, feedback, pools)",
      number("body-limit"),
      defaultBodyLimit,
    )
    .option(
      "--read-body-limit <bytes>",
      "largest body of every other route",
      number("read-body-limit"),
      defaultReadBodyLimit,
    )
    .option(
      "--rate-limit <n>",
      "requests per minute per client address, then 429 (0 = no limit; loopback clients are exempt unless --rate-limit-loopback)",
      number("rate-limit"),
      defaultRateLimit.max,
    )
    .option("--rate-limit-loopback", "rate-limit clients on this machine too")
    .option(
      "--allow-origin <origins>",
      "comma separated browser origins besides this server's own that may call the API",
    )
    .option(
      "--request-timeout <ms>",
      "most time to receive a whole request (then 408)",
      number("request-timeout"),
      30_000,
    )
    .option("--max-batch <n>", "most events in one POST /v1/events", number("max-batch"), defaultMaxBatch)
    .option("--log-level <level>", "fatal, error, warn, info, debug or trace", "info")
    .option("--fold-in", "fold each accepted batch of plays into its users' vectors at once (no retraining)")
    .option("--privacy <spec>", privacyOptionHelp)
    .option(
      "--bus <url>",
      "NATS JetStream bus shared with other replicas (nats://host:port[/STREAM]): what this server accepts is published, what the others accept is applied (fold-in, rewrite monitor, preferences, home policy)",
    )
    .option(
      "--online-rewriting",
      "learn the online query rewriter (global and personal layers) from the stored request log at start; it keeps learning from POST /v1/requests",
    );
  addStoreOptions(cmd).action(async (opts) => {
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
      throw new UsageError("--port expects a whole number from 0 to 65535");
    for (const [flag, value, least] of [
      ["--body-limit", opts.bodyLimit, 1],
      ["--read-body-limit", opts.readBodyLimit, 1],
      ["--request-timeout", opts.requestTimeout, 1],
      ["--rate-limit", opts.rateLimit, 0],
    ] as const) {
      if (!Number.isInteger(value) || value < least)
        throw new UsageError(`${flag} expects a whole number of at least ${least}`);
    }
    const apiKey: string | null = opts.apiKey || process.env.TASTEBUD_API_KEY || null;
    const readKey: string | null = opts.readKey || process.env.TASTEBUD_READ_KEY || null;
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1)
      throw new UsageError("--max-batch expects a positive whole number");
    if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(opts.logLevel))
      throw new UsageError(`--log-level: unknown level "${opts.logLevel}"`);
    try {
      checkServerConfig({ host: opts.host, apiKey });
    } catch (err) {
      if (err instanceof ServerConfigError) throw new UsageError(err.message);
      throw err;
    }
    const server = await startServer({
      store: opts.store,
      models: opts.models,
      host: opts.host,
      port: opts.port,
      apiKey,
      readKey,
      bodyLimit: opts.bodyLimit,
      readBodyLimit: opts.readBodyLimit,
      requestTimeoutMs: opts.requestTimeout,
      rateLimit:
        opts.rateLimit === 0
          ? false
          : { max: opts.rateLimit, includeLoopback: Boolean(opts.rateLimitLoopback) },
      allowedOrigins: opts.allowOrigin ? String(opts.allowOrigin).split(",").filter(Boolean) : [],
      maxBatch: opts.maxBatch,
      foldIn: Boolean(opts.foldIn),
      onlineRewriting: Boolean(opts.onlineRewriting),
      privacy: privacyMode(opts.privacy),
      ...(opts.bus ? { bus: String(opts.bus) } : {}),
      logger: { level: opts.logLevel },
    });
    await server.closed;
  });
}
