import { Engine } from "../engine.js";
import { type PrivacyModeOptions, PrivacyOptionError, parsePrivacyMode } from "../services/privacy.js";
import { StoreError } from "../store/event-store.js";
import { UsageError } from "./errors.js";
import { type EngineReader, localReader, RemoteEngine, runningServer } from "./remote.js";

/**
 * Opens the engine on the command's --store/--models, runs the body, and always closes the store. When a
 * tastebud server owns the store, the error says so and where it listens.
 */
export async function withEngine<T>(
  opts: { store: string; models?: string; privacy?: string; bus?: string },
  body: (engine: Engine) => Promise<T>,
): Promise<T> {
  let engine: Engine;
  try {
    engine = await Engine.open({
      store: opts.store,
      models: opts.models,
      privacy: privacyMode(opts.privacy),
      ...(opts.bus ? { bus: String(opts.bus) } : {}),
    });
  } catch (err) {
    const server = err instanceof StoreError && err.code === "locked" ? runningServer(opts.store) : null;
    if (server) {
      throw new StoreError(
        "locked",
        `store ${opts.store} is held by the tastebud server at ${server.url} (PID ${server.pid}); send this through its HTTP API, or stop the server first`,
      );
    }
    throw err;
  }
  try {
    return await body(engine);
  } finally {
    await engine.close();
  }
}

/**
 * For read-only commands: the local engine, or, when a tastebud server owns the store, the same calls
 * over its HTTP API, so the CLI keeps working next to a running server.
 */
export async function withReader<T>(
  opts: { store: string; models?: string },
  body: (engine: EngineReader) => Promise<T>,
): Promise<T> {
  const server = runningServer(opts.store);
  if (server)
    return body(new RemoteEngine(server.url, process.env.TASTEBUD_READ_KEY || process.env.TASTEBUD_API_KEY));
  return withEngine(opts, (engine) => body(localReader(engine)));
}

/** The --privacy option's value, parsed (a usage error names the bad key). */
export function privacyMode(spec: string | undefined): PrivacyModeOptions | undefined {
  if (spec === undefined) return undefined;
  try {
    return parsePrivacyMode(spec);
  } catch (err) {
    if (err instanceof PrivacyOptionError) throw new UsageError(err.message);
    throw err;
  }
}

/** Help for --privacy, shared by ingest --requests and serve. */
export const privacyOptionHelp =
  "perturb request text before it is stored: epsilon=E[,mechanism=gumbel|laplace][,cap=C per user][,over=refuse|withhold][,oov=placeholder|drop|keep][,table=glove.txt][,seed=S]";
