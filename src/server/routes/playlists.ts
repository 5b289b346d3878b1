import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { commaList } from "../../config.js";
import { PlaylistRequestError } from "../../services/playlists.js";
import { HttpError } from "../errors.js";
import { userParams } from "../schemas.js";
import { errorResponses } from "../validation.js";
import {
  blendQuery,
  blendResponseSchema,
  creatorParams,
  playlistQuery,
  playlistResponseSchema,
  poolAddedResponseSchema,
  poolBodySchema,
  poolParams,
  poolPlaylistQuery,
  poolPlaylistResponseSchema,
  poolsResponseSchema,
  similarCountQuery,
  similarCreatorsResponseSchema,
  similarUsersResponseSchema,
  tasteProfileResponseSchema,
} from "./playlists-schemas.js";
import type { RouteContext } from "./route-context.js";

/** A request the playlists cannot serve (unknown seed or creator) is the caller's mistake: 400. */
async function answering<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof PlaylistRequestError) throw new HttpError(400, "bad-playlist-request", err.message);
    throw err;
  }
}

/** Taste space and playlists, served from the current model in memory. */
export const playlistsRoutes: FastifyPluginAsync<RouteContext> = async (plain, ctx) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  const { engine, storeLock, requireKey, writeSecurity } = ctx;

  api.put(
    "/v1/pools/:name",
    {
      onRequest: requireKey,
      bodyLimit: ctx.ingestBodyLimit,
      schema: {
        tags: ["playlists"],
        summary: "store a new version of an editor's pool (candidates and rules) for algotorial playlists",
        security: writeSecurity,
        params: poolParams,
        body: poolBodySchema,
        response: { 201: poolAddedResponseSchema, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const added = await answering(() =>
        storeLock.run(() => engine.playlists.addPool(request.params.name, request.body)),
      );
      return reply.code(201).send(added);
    },
  );

  api.get(
    "/v1/pools",
    {
      schema: {
        tags: ["playlists"],
        summary: "the latest version of every pool",
        response: { 200: poolsResponseSchema },
      },
    },
    async () => ({ pools: await storeLock.run(() => engine.playlists.listPools()) }),
  );

  api.delete(
    "/v1/pools/:name",
    {
      onRequest: requireKey,
      schema: {
        tags: ["playlists"],
        summary: "remove a pool (its versions are kept for audit)",
        security: writeSecurity,
        params: poolParams,
        response: { 204: z.null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const removed = await storeLock.run(() => engine.playlists.removePool(request.params.name));
      if (!removed) throw new HttpError(404, "not-found", `no pool named ${request.params.name}`);
      return reply.code(204).send(null);
    },
  );

  api.get(
    "/v1/pools/:name/playlist",
    {
      schema: {
        tags: ["playlists"],
        summary: "a pool ranked for one user under its rules (an unknown user gets the editor's order)",
        params: poolParams,
        querystring: poolPlaylistQuery,
        response: { 200: poolPlaylistResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      const answer = await answering(() =>
        storeLock.run(() => engine.playlists.fromPool(request.query.user, request.params.name)),
      );
      return answer as z.output<typeof poolPlaylistResponseSchema>;
    },
  );

  api.get(
    "/v1/users/:id/playlist",
    {
      schema: {
        tags: ["playlists"],
        summary: "a personal playlist (discover, mix or radio), diverse and coherent, a reason per track",
        params: userParams,
        querystring: playlistQuery,
        response: { 200: playlistResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      const q = request.query;
      const answer = await answering(() =>
        engine.playlists.forUser(request.params.id, {
          kind: q.kind,
          length: q.length,
          familiar: q.familiar,
          seedItem: q.seedItem,
          seedCreator: q.seedCreator,
          artistCap: q.artistCap,
          diversity: q.diversity,
          filter: { kind: q.itemKind, tags: commaList(q.tags), creators: commaList(q.creators) },
        }),
      );
      return answer as z.output<typeof playlistResponseSchema>;
    },
  );

  api.get(
    "/v1/blend",
    {
      schema: {
        tags: ["playlists"],
        summary:
          "one playlist for several users (Blend): whose taste each track serves, and the Blend attributes",
        querystring: blendQuery,
        response: { 200: blendResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => {
      const q = request.query;
      const answer = await answering(() =>
        engine.playlists.blend(commaList(q.users) ?? [], {
          length: q.length,
          policy: q.policy,
          artistCap: q.artistCap,
        }),
      );
      return answer as z.output<typeof blendResponseSchema>;
    },
  );

  api.get(
    "/v1/creators/:name/similar",
    {
      schema: {
        tags: ["playlists"],
        summary: "creators like this one: taste-space cosine, with the co-listening baseline beside it",
        params: creatorParams,
        querystring: similarCountQuery,
        response: { 200: similarCreatorsResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) =>
      answering(() => engine.playlists.similarCreators(request.params.name, { n: request.query.n })),
  );

  api.get(
    "/v1/users/:id/similar",
    {
      schema: {
        tags: ["playlists"],
        summary: "users whose taste vectors point the same way",
        params: userParams,
        querystring: similarCountQuery,
        response: { 200: similarUsersResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) =>
      answering(() => engine.playlists.similarUsers(request.params.id, { n: request.query.n })),
  );

  api.get(
    "/v1/users/:id/taste",
    {
      schema: {
        tags: ["playlists"],
        summary: "a user's taste profile: top creators and tags, how adventurous",
        params: userParams,
        response: { 200: tasteProfileResponseSchema, ...errorResponses(400, 503) },
      },
    },
    async (request) => answering(() => engine.playlists.profile(request.params.id)),
  );
};
