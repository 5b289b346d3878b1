import { z } from "zod";
import { blendPolicies, playlistKinds, poolDefinitionSchema } from "../../core/playlists/index.js";
import { commaList, countQuery, filterQuery, id, listedItem, userId } from "../schemas.js";

const lengthQuery = z.coerce.number().int().min(1).max(500).default(30).describe("tracks");
const artistCapQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .optional()
  .describe("most tracks by one creator (default 2)");

export const playlistQuery = z
  .object({
    kind: z
      .enum(playlistKinds)
      .default("mix")
      .describe("discover (new to the user), mix, radio (needs a seed)"),
    length: lengthQuery,
    familiar: z.coerce
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("share of familiar tracks (default discover 0, mix 0.5, radio 0.3)"),
    seedItem: id.optional().describe("radio: play around this item"),
    seedCreator: z.string().min(1).max(1000).optional().describe("radio: play around this creator"),
    artistCap: artistCapQuery,
    diversity: z.coerce
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("weight of diversity in the choice (default 0.3)"),
    itemKind: filterQuery.kind,
    tags: filterQuery.tags,
    creators: filterQuery.creators,
  })
  .strict();

export const playlistSummarySchema = z.object({
  familiarShare: z.number(),
  diversity: z.number().describe("1 - mean pairwise cosine of the tracks in the taste space"),
  coherence: z.number().describe("mean cosine of consecutive tracks"),
  coherenceUnordered: z.number().describe("the same in the order the tracks were chosen"),
  artistCoverage: z.number().describe("distinct creators per track"),
  maxPerArtist: z.number().int(),
  capped: z.number().int().describe("candidates passed over because their creator was at the cap"),
  shortfall: z.object({ familiar: z.number().int(), new: z.number().int() }),
});

export const playlistResponseSchema = z.object({
  user: z.string(),
  kind: z.enum(playlistKinds),
  model: z.string(),
  source: z.enum(["personal", "folded-in", "popularity"]),
  seed: z.string().optional(),
  tracks: z.array(
    z.object({
      ...listedItem,
      familiar: z.boolean(),
      relevance: z
        .number()
        .describe("probability of a long play, moved by taught preferences (radio: and the seed)"),
      reason: z.string(),
      preferences: z.array(z.string()).optional().describe("what taught preferences did to this track"),
    }),
  ),
  summary: playlistSummarySchema,
});

export const creatorParams = z.object({
  name: z.string().min(1).max(1000).describe("creator (artist) name"),
});
export const similarCountQuery = z.object({ n: countQuery }).strict();

const similarCreator = z.object({ creator: z.string(), similarity: z.number(), plays: z.number() });
export const similarCreatorsResponseSchema = z.object({
  creator: z.string(),
  model: z.string(),
  creators: z.array(similarCreator).describe("by cosine of creator vectors in the taste space"),
  coListening: z.array(similarCreator).describe("baseline: Jaccard overlap of their listeners"),
});

export const similarUsersResponseSchema = z.object({
  user: z.string(),
  model: z.string(),
  users: z.array(z.object({ user: z.string(), similarity: z.number() })),
});

const weightedName = z.object({ name: z.string(), weight: z.number(), items: z.number().int() });
export const tasteProfileResponseSchema = z.object({
  user: z.string(),
  model: z.string(),
  plays: z.number().int(),
  items: z.number().int(),
  liked: z.number().int(),
  topCreators: z.array(weightedName),
  topTags: z.array(weightedName),
  adventurous: z.number().describe("liked items / plays of liked items: 1 = always something new"),
  landed: z.number().describe("share of the tracks tried that the user came to like"),
  adventurousPercentile: z.number().nullable(),
});

export const blendQuery = z
  .object({
    users: commaList.describe("two to ten user ids, comma separated"),
    length: lengthQuery,
    policy: z.enum(blendPolicies).default("blend").describe("blend (ours), or the naive alternating or mean"),
    artistCap: artistCapQuery,
  })
  .strict();

const blendAttributesSchema = z.object({
  relevance: z
    .array(z.number())
    .describe("per member (in the order of users), mean predicted affinity of the tracks"),
  joy: z.number().describe("mean over members of their relevance"),
  worstMember: z.number(),
  equal: z.number().describe("min over members of their share of the summed relevance (1/members = equal)"),
  democratic: z.number().describe("min over members of the share of tracks that serve them"),
  coherent: z.number().describe("mean cosine of consecutive tracks"),
});

export const blendResponseSchema = z.object({
  users: z.array(z.string()),
  model: z.string(),
  policy: z.enum(blendPolicies),
  tasteMatch: z.number().describe("mean pairwise cosine of the members' taste vectors"),
  tracks: z.array(
    z.object({
      ...listedItem,
      for: z.array(z.string()).describe("the members whose taste this track serves"),
      relevance: z.record(z.string(), z.number()).describe("predicted affinity per member"),
    }),
  ),
  attributes: blendAttributesSchema,
  policies: z.object(
    Object.fromEntries(blendPolicies.map((p) => [p, blendAttributesSchema])) as Record<
      (typeof blendPolicies)[number],
      typeof blendAttributesSchema
    >,
  ),
});

export const poolParams = z.object({
  name: z
    .string()
    .regex(/^[\w.-]{1,100}$/)
    .describe("pool name"),
});
export const poolBodySchema = poolDefinitionSchema;
export const poolPlaylistQuery = z
  .object({ user: userId.describe("the listener to rank the pool for") })
  .strict();

const poolEntry = z.object({
  name: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  definition: z.unknown().describe("the pool definition, as stored"),
});
export const poolsResponseSchema = z.object({ pools: z.array(poolEntry) });
export const poolAddedResponseSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  createdAtMs: z.number(),
  definition: z.unknown(),
  unknownItems: z.array(z.string()).describe("listed items the current model does not know"),
});

export const poolPlaylistResponseSchema = z.object({
  user: z.string(),
  pool: z.object({ name: z.string(), version: z.number().int() }),
  model: z.string(),
  source: z.enum(["personal", "folded-in", "editor"]).describe("editor: unknown user, the editor's order"),
  tracks: z.array(
    z.object({
      ...listedItem,
      relevance: z.number().optional(),
      placed: z.string().describe("opener, at least N <tag>, or ranked"),
      reason: z.string(),
    }),
  ),
  unknownItems: z.array(z.string()),
  unmet: z.array(z.string()).describe("rules that could not be met, in words"),
});
