import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { DirectedModelLoadingError, NoDirectedModelError } from "../../services/directed.js";
import { HttpError } from "../errors.js";
import { itemParams } from "../schemas.js";
import { errorResponses } from "../validation.js";
import { nextQuery, nextResponseSchema } from "./directed-schemas.js";
import type { RouteContext } from "./route-context.js";

/** Directed related items: what follows an item (`similar` stays the symmetric view). */
export const directedRoutes: FastifyPluginAsync<RouteContext> = async (plain, { engine }) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();

  api.get(
    "/v1/items/:id/next",
    {
      schema: {
        tags: ["serving"],
        summary: "what follows this item (the directed model of `tastebud train --graph`), with reasons",
        params: itemParams,
        querystring: nextQuery,
        response: { 200: nextResponseSchema, ...errorResponses(400, 404, 503) },
      },
    },
    async (request) => {
      let answer: Awaited<ReturnType<typeof engine.directed.next>>;
      try {
        answer = await engine.directed.next(request.params.id, request.query.n);
      } catch (err) {
        if (err instanceof NoDirectedModelError)
          throw new HttpError(503, "no-model", "no directed model yet: run `tastebud train --graph` first");
        if (err instanceof DirectedModelLoadingError) throw new HttpError(503, "model-loading", err.message);
        throw err;
      }
      if (!answer)
        throw new HttpError(404, "not-found", `item ${request.params.id} is not in the directed model`);
      return answer as z.output<typeof nextResponseSchema>;
    },
  );
};
