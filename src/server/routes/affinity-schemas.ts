import { z } from "zod";
import { id, source } from "../schemas.js";

export const explainQuery = z.object({ item: id.describe("item id") }).strict();

export const affinityBodySchema = z.object({ items: z.array(id).min(1).max(10_000) }).strict();

export const affinityResponseSchema = z.object({
  user: z.string(),
  model: z.string().nullable(),
  items: z.array(
    z.object({
      item: z.string(),
      affinity: z.number(),
      history: z.number(),
      mf: z.number().nullable(),
      source,
    }),
  ),
});

export const explainResponseSchema = z.object({
  user: z.string(),
  item: z.string(),
  model: z.string(),
  source,
  affinity: z.number(),
  history: z.object({ plays: z.number(), mean: z.number() }),
  mf: z.number().nullable(),
  becauseOf: z.array(
    z.object({ item: z.string(), similarity: z.number(), history: z.number(), pull: z.number() }),
  ),
});
