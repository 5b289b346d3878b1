import { z } from "zod";
import { countQuery } from "../schemas.js";

export const nextQuery = z.object({ n: countQuery }).strict();

export const nextResponseSchema = z.object({
  item: z.string(),
  model: z.string().describe("directed model version that answered"),
  items: z
    .array(
      z.object({
        item: z.string(),
        title: z.string(),
        creators: z.array(z.string()),
        score: z.number().describe("s_u . t_v + b_v: how strongly this follows the item (not symmetric)"),
        reasons: z.array(
          z.object({
            factor: z.enum(["edge", "two-step", "learned"]),
            detail: z.string(),
          }),
        ),
      }),
    )
    .describe("what follows the item, best first"),
});
