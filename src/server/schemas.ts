import { z } from "zod";
import { itemKinds } from "../schema/events.js";

/**
 * Schemas every route plugin shares: the error answer, ids, filters and how a listed item looks. Each
 * capability's own request and response schemas sit beside its plugin (routes/<capability>-schemas.ts).
 * Events and train settings are the library's own schemas (playEventSchema, trainSettingsSchema), so the
 * CLI, the store and the API validate the same way and the OpenAPI document is generated from one source.
 */

export const id = z.string().min(1).max(1000);
/** A user id: as long as events allow (200), so every user that can be stored can be asked about. */
export const userId = z.string().min(1).max(200);
export const source = z.enum(["personal", "folded-in", "popularity", "unknown-item"]);

export const errorSchema = z
  .object({
    error: z.string().describe("short machine-readable code, e.g. validation, unauthorized, no-model"),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe("every error answer");

// ---- events

export const userParams = z.object({ id: userId.describe("user id") });
export const itemParams = z.object({ id: id.describe("item id") });

export const commaList = z.string().max(10_000).describe("comma separated");

export const filterQuery = {
  kind: z.enum(itemKinds).optional().describe("only items of this kind"),
  tags: commaList.optional().describe("only items with any of these tags (comma separated)"),
  creators: commaList.optional().describe("only items by any of these creators (comma separated)"),
};

export const countQuery = z.coerce.number().int().min(1).max(1000).default(10).describe("how many items");

export const listedItem = {
  item: z.string(),
  title: z.string(),
  creators: z.array(z.string()),
  kind: z.string(),
};
