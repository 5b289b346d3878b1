import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";
import type { RouteContext } from "./route-context.js";

/**
 * The built dashboard (dist/web, made by `npm run build:web` from src/web) served at `/`. It is a static
 * page that talks to the documented API like any other client, so it needs no routes of its own.
 */
export const dashboardRoutes: FastifyPluginAsync<RouteContext> = async (app) => {
  const root = dashboardDir();
  if (!root) {
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(503)
        .type("text/html; charset=utf-8")
        .send(
          "<!doctype html><title>tastebud</title><p>The dashboard is not built: run <code>npm run build:web</code>. The API is documented at <a href=/docs>/docs</a>.</p>",
        ),
    );
    return;
  }
  // wildcard: false serves only the files that exist, so unknown paths still get the API's JSON 404.
  await app.register(fastifyStatic, { root, prefix: "/", wildcard: false, index: ["index.html"] });
};

/**
 * dist/web beside the compiled server (dist/server/routes -> dist/web), or from the sources under test. A
 * built page has an assets folder; the sources' src/web (what ../../web means from src/) has none.
 */
export function dashboardDir(): string | null {
  for (const relative of ["../../web", "../../../dist/web"]) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}/index.html`) && existsSync(`${dir}/assets`)) return dir;
  }
  return null;
}
