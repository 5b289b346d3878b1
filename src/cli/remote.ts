import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Engine } from "../engine.js";
import type { AffinityService } from "../services/affinity.js";
import type { RecommendService } from "../services/recommend.js";
import type { VoiceService } from "../services/voice.js";
import { storeHasOwner } from "../store/open-store.js";

/** The calls a read-only CLI command needs, served by a local Engine or by a running server. */
export interface EngineReader {
  resolve: VoiceService["resolve"];
  recommend: RecommendService["forUser"];
  similar: RecommendService["similar"];
  affinity: AffinityService["score"];
  explain: AffinityService["explain"];
}

/** A local engine's read calls, by the names the read commands use. */
export function localReader(engine: Engine): EngineReader {
  return {
    resolve: (user, request, options) => engine.voice.resolve(user, request, options),
    recommend: (user, options) => engine.recommend.forUser(user, options),
    similar: (item, options) => engine.recommend.similar(item, options),
    affinity: (user, items) => engine.affinity.score(user, items),
    explain: (user, item) => engine.affinity.explain(user, item),
  };
}

/** Where `tastebud serve` announces itself while it owns a store. */
export function serverFilePath(store: string): string {
  return `${resolve(store)}.server.json`;
}

/** The server that holds this store, if one is running. */
export function runningServer(store: string): { url: string; pid: number } | null {
  // A PostgreSQL store has no owner: the CLI opens it directly even while servers run on it.
  if (!storeHasOwner(store)) return null;
  const path = serverFilePath(store);
  if (!existsSync(path)) return null;
  try {
    const info = JSON.parse(readFileSync(path, "utf8")) as { url: string; pid: number };
    process.kill(info.pid, 0); // throws when no such process: a stale file from a killed server
    return info;
  } catch {
    return null;
  }
}

/** The Engine's read calls over the server's HTTP API (see src/server). */
export class RemoteEngine implements EngineReader {
  constructor(
    private readonly url: string,
    private readonly apiKey?: string,
  ) {}

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.url), {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = (await response.json().catch(() => ({}))) as { message?: string; error?: string };
    if (!response.ok)
      throw new Error(
        `server ${this.url} answered ${response.status}: ${payload.message ?? payload.error ?? "error"}`,
      );
    return payload as T;
  }

  resolve(user: string, request: string, options: Parameters<EngineReader["resolve"]>[2] = {}) {
    return this.call<Awaited<ReturnType<EngineReader["resolve"]>>>("POST", "/v1/resolve", {
      user,
      request,
      ...(options.candidates ? { candidates: options.candidates } : {}),
      ...(options.context ? { context: options.context } : {}),
      ...(options.minPrecision !== undefined ? { minPrecision: options.minPrecision } : {}),
    });
  }

  recommend(user: string, options: Parameters<EngineReader["recommend"]>[1] = {}) {
    const q = new URLSearchParams();
    if (options.n) q.set("n", String(options.n));
    if (typeof options.exclude === "string") q.set("exclude", options.exclude);
    if (options.filter?.kind) q.set("kind", options.filter.kind);
    if (options.filter?.tags?.length) q.set("tags", options.filter.tags.join(","));
    if (options.filter?.creators?.length) q.set("creators", options.filter.creators.join(","));
    const c = options.context;
    if (c?.deviceType) q.set("deviceType", c.deviceType);
    if (c?.hasScreen !== undefined) q.set("hasScreen", String(c.hasScreen));
    if (c?.deviceState) q.set("deviceState", c.deviceState);
    if (c?.activity) q.set("activity", c.activity);
    return this.call<Awaited<ReturnType<EngineReader["recommend"]>>>(
      "GET",
      `/v1/users/${encodeURIComponent(user)}/recommendations?${q}`,
    );
  }

  similar(item: string, options: Parameters<EngineReader["similar"]>[1] = {}) {
    const q = new URLSearchParams(options.n ? { n: String(options.n) } : {});
    return this.call<Awaited<ReturnType<EngineReader["similar"]>>>(
      "GET",
      `/v1/items/${encodeURIComponent(item)}/similar?${q}`,
    );
  }

  affinity(user: string, items: string[]) {
    return this.call<Awaited<ReturnType<EngineReader["affinity"]>>>(
      "POST",
      `/v1/users/${encodeURIComponent(user)}/affinity`,
      { items },
    );
  }

  explain(user: string, item: string) {
    const q = new URLSearchParams({ item });
    return this.call<Awaited<ReturnType<EngineReader["explain"]>>>(
      "GET",
      `/v1/users/${encodeURIComponent(user)}/explain?${q}`,
    );
  }
}
