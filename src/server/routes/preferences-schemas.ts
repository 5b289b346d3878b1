import { z } from "zod";
import { preferenceFactSchema } from "../../core/preferences/index.js";
import { id, userId } from "../schemas.js";

export const teachBodySchema = z
  .object({
    text: z
      .string()
      .min(1)
      .max(500)
      .describe('a taste statement: "I don\'t like country", "more Adele", "never play Christmas songs"'),
    nowPlaying: z
      .object({ id: z.string().min(1), title: z.string().min(1), creators: z.array(z.string()).optional() })
      .optional()
      .describe('what is playing, so "I love this song" knows what "this" is'),
    timeZoneOffsetMinutes: z.number().int().min(-840).max(840).optional(),
  })
  .strict();

const listedPreferenceSchema = preferenceFactSchema.extend({
  active: z.boolean().describe("false once expired"),
  description: z.string(),
});

export const teachResponseSchema = z.object({
  facts: z.array(listedPreferenceSchema),
  replaced: z.array(z.string()).describe("ids of older facts about the same thing that these replace"),
});

export const preferencesResponseSchema = z.object({
  user: z.string(),
  preferences: z.array(listedPreferenceSchema),
});

export const preferencesQuery = z
  .object({ includeExpired: z.enum(["true", "false"]).default("false") })
  .strict();

export const preferenceParams = z.object({
  id: userId.describe("user id"),
  factId: id.describe("preference id"),
});

export const teachableMomentsResponseSchema = z.object({
  user: z.string(),
  moments: z.array(
    z.object({
      kind: z.string(),
      suggestion: z.string().describe('the question to ask, e.g. "should I remember that?"'),
      turnIds: z.array(z.string()),
      request: z.string().optional(),
      meant: z.string().optional(),
      meantItem: z.string().optional(),
      proposal: z.string().optional().describe("a statement to POST to /preferences if the user says yes"),
    }),
  ),
});
