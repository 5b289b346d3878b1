import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { Engine } from "../engine.js";
import type { PrivacyModeOptions } from "../services/privacy.js";
import { storeHasOwner } from "../store/open-store.js";
import { type AppOptions, buildApp, checkServerConfig } from "./app.js";

export interface ServeOptions extends Omit<AppOptions, "host" | "logger"> {
  /** Event store file (or ":memory:"), or a postgres:// URL. */
  store: string;
  /** Folder of model versions (default `<store>.models`). */
  models?: string;
  /** Default 127.0.0.1. A non-loopback address needs an apiKey. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Fastify's logger option (pino); default info level to stdout. */
  logger?: FastifyServerOptions["logger"];
  /** Close gracefully on SIGINT and SIGTERM (default true). */
  handleSignals?: boolean;
  /** Train the online rewriter from the stored request log before listening (Engine.enableOnlineRewriting). */
  onlineRewriting?: boolean;
  /** Privacy mode: POST /v1/requests text is perturbed before it is stored (Engine privacy option). */
  privacy?: PrivacyModeOptions;
  /** The bus this replica shares with the others (`nats://host:port[/STREAM]`, Engine bus option). */
  bus?: string;
}

/** What `<store>.server.json` holds while a server runs on that store. */
export interface ServerFile {
  pid: number;
  url: string;
  startedAt: string;
  /** Whether the write endpoints need `Authorization: Bearer <key>`. */
  requiresKey: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  engine: Engine;
  /** Base URL clients on this machine can use, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Path of the server file, or null for an in-memory store. */
  serverFile: string | null;
  /** Stops accepting requests, waits for those in flight and a running training job, closes the store. */
  close(): Promise<void>;
  /** Resolves once the server has closed (by close() or a signal). */
  closed: Promise<void>;
}

/**
 * Where a server on this store announces itself; null for an in-memory store and for a PostgreSQL one,
 * which has no single owner (any number of servers and CLI commands may open it at once).
 */
export function serverFilePath(store: string): string | null {
  return storeHasOwner(store) ? `${resolve(store)}.server.json` : null;
}

/** The server running on this store, if its server file names a live process. */
export function readServerFile(store: string): ServerFile | null {
  const path = serverFilePath(store);
  if (!path) return null;
  let parsed: ServerFile;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as ServerFile;
  } catch {
    return null;
  }
  if (typeof parsed?.pid !== "number" || typeof parsed.url !== "string") return null;
  return processAlive(parsed.pid) ? parsed : null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Opens the store, listens, writes the server file; closes everything on SIGINT/SIGTERM. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8080;
  checkServerConfig({ host, apiKey: options.apiKey });
  const engine = await Engine.open({
    store: options.store,
    models: options.models,
    privacy: options.privacy,
    // A replica on a shared store serves what any trainer publishes (a store file has one process).
    followModels: true,
    bus: options.bus,
  });
  let app: FastifyInstance;
  try {
    // What serving learned before a restart (the rewrite monitor, rule gates, open dialogues) comes back first.
    await engine.rewrites.load();
    if (options.onlineRewriting) await engine.rewrites.enableOnline();
    // Replicas: apply what the others publish (a restarted one first replays the fold-ins it missed).
    await engine.replication.start({ foldIn: Boolean(options.foldIn) });
    app = buildApp(engine, {
      ...options,
      host,
      logger: options.logger ?? { level: "info" },
    });
    await app.listen({ host, port });
  } catch (err) {
    await engine.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new Error(`cannot listen on ${host}:${port}: the port is in use`);
    if (code === "EADDRNOTAVAIL")
      throw new Error(`cannot listen on ${host}: no such address on this machine`);
    throw err;
  }

  const url = urlOf(app.server.address() as AddressInfo);
  const serverFile = serverFilePath(options.store);
  if (serverFile) {
    const content: ServerFile = {
      pid: process.pid,
      url,
      startedAt: new Date().toISOString(),
      requiresKey: Boolean(options.apiKey),
    };
    const tmp = `${serverFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`);
    renameSync(tmp, serverFile);
  }
  // The store's location, not the option: a PostgreSQL URL may carry a password.
  app.log.info(
    {
      url,
      store: engine.store.location,
      auth: Boolean(options.apiKey),
      ...(engine.replication.location ? { bus: engine.replication.location } : {}),
    },
    "tastebud server listening",
  );

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  let closing: Promise<void> | null = null;

  const removeServerFile = () => {
    if (!serverFile) return;
    try {
      const current = JSON.parse(readFileSync(serverFile, "utf8")) as ServerFile;
      if (current.pid === process.pid) rmSync(serverFile, { force: true });
    } catch {
      // already gone, or not ours to remove
    }
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn({ signal }, "second signal: exiting now");
      removeServerFile();
      process.exit(130);
    }
    app.log.info({ signal }, "shutting down: finishing requests in flight (signal again to exit now)");
    close().catch((err) => {
      app.log.error({ err }, "shutdown failed");
      process.exitCode = 1;
    });
  };

  const close = () => {
    closing ??= (async () => {
      // The signal handlers stay until the end: a second signal while closing means "exit now".
      try {
        await app.close();
        await engine.close();
      } finally {
        removeServerFile();
        if (options.handleSignals !== false) {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
        app.log.info("tastebud server stopped");
        resolveClosed();
      }
    })();
    return closing;
  };

  if (options.handleSignals !== false) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  return { app, engine, url, serverFile, close, closed };
}

function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === "0.0.0.0") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  return address.family === "IPv6" || host.includes(":")
    ? `http://[${host}]:${address.port}`
    : `http://${host}:${address.port}`;
}
