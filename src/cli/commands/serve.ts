import type { Command } from "commander";
import { checkServerConfig, defaultBodyLimit, defaultMaxBatch, ServerConfigError } from "../../server/app.js";
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
    .option(
      "--api-key <key>",
      "bearer key the write endpoints require (env TASTEBUD_API_KEY)",
      process.env.TASTEBUD_API_KEY,
    )
    .option("--body-limit <bytes>", "largest request body", number("body-limit"), defaultBodyLimit)
    .option("--max-batch <n>", "most events in one POST /v1/events", number("max-batch"), defaultMaxBatch)
    .option("--log-level <level>", "fatal, error, warn, info, debug or trace", "info")
    .option("--fold-in", "fold each accepted batch of plays into its users' vectors at once (no retraining)")
    .option("--privacy <spec>", privacyOptionHelp)
    .option(
      "--online-rewriting",
      "learn the online query rewriter (global and personal layers) from the stored request log at start; it keeps learning from POST /v1/requests",
    );
  addStoreOptions(cmd).action(async (opts) => {
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
      throw new UsageError("--port expects a whole number from 0 to 65535");
    if (!Number.isInteger(opts.bodyLimit) || opts.bodyLimit < 1)
      throw new UsageError("--body-limit expects a positive whole number of bytes");
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1)
      throw new UsageError("--max-batch expects a positive whole number");
    if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(opts.logLevel))
      throw new UsageError(`--log-level: unknown level "${opts.logLevel}"`);
    try {
      checkServerConfig({ host: opts.host, apiKey: opts.apiKey });
    } catch (err) {
      if (err instanceof ServerConfigError) throw new UsageError(err.message);
      throw err;
    }
    const server = await startServer({
      store: opts.store,
      models: opts.models,
      host: opts.host,
      port: opts.port,
      apiKey: opts.apiKey || null,
      bodyLimit: opts.bodyLimit,
      maxBatch: opts.maxBatch,
      foldIn: Boolean(opts.foldIn),
      onlineRewriting: Boolean(opts.onlineRewriting),
      privacy: privacyMode(opts.privacy),
      logger: { level: opts.logLevel },
    });
    await server.closed;
  });
}
