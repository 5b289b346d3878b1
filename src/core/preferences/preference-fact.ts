import { z } from "zod";

/**
 * A taught preference: something the user said about their taste ("I don't like country"), parsed into
 * a target, a polarity and optional scope and expiry. Facts are per user and applied on every resolve
 * and recommend until they expire or the user removes them.
 */

/**
 * - never: a hard filter everywhere (resolve reports the item as blocked instead of answering with it);
 * - dislike: left out of recommendations, ranked lower in resolve (a request naming it still gets it);
 * - like / more: ranked higher; less: ranked lower.
 */
export const preferencePolarities = ["like", "dislike", "never", "more", "less"] as const;
export type PreferencePolarity = (typeof preferencePolarities)[number];

export const preferenceTargetTypes = ["tag", "creator", "entity", "kind"] as const;
export type PreferenceTargetType = (typeof preferenceTargetTypes)[number];

export const timesOfDay = ["morning", "afternoon", "evening", "night"] as const;
export type TimeOfDay = (typeof timesOfDay)[number];

export const preferenceTargetSchema = z
  .object({
    type: z.enum(preferenceTargetTypes),
    value: z.string().min(1).max(1000).describe("normalized name (normalizeText), or the kind"),
    display: z.string().min(1).max(1000).describe("the name as the catalogue (or the user) spells it"),
    itemId: z.string().min(1).max(1000).optional().describe("for an entity naming one catalogue item"),
    matched: z
      .boolean()
      .describe(
        "false when the name is not in the catalogue: kept as free text, matched to tags and creators",
      ),
  })
  .strict();

export const preferenceScopeSchema = z
  .object({
    kind: z.string().min(1).max(100).optional().describe('only items of this kind ("jazz videos")'),
    deviceType: z.string().min(1).max(100).optional().describe("e.g. speaker, car, tv"),
    device: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('normalized device or room name ("kitchen speaker"), matched when the context names one'),
    activity: z.string().min(1).max(100).optional().describe("e.g. workout, cooking, driving"),
    timeOfDay: z.enum(timesOfDay).optional(),
  })
  .strict();

export const preferenceFactSchema = z
  .object({
    id: z.string().min(1).max(200),
    user: z.string().min(1).max(200),
    polarity: z.enum(preferencePolarities),
    target: preferenceTargetSchema,
    scope: preferenceScopeSchema.optional(),
    createdAtMs: z.number().int().min(0),
    expiresAtMs: z.number().int().min(0).optional(),
    sourceText: z.string().min(1).max(2000).describe("what the user said, quoted back in reasons"),
  })
  .strict();

export type PreferenceTarget = z.infer<typeof preferenceTargetSchema>;
export type PreferenceScope = z.infer<typeof preferenceScopeSchema>;
export type PreferenceFact = z.infer<typeof preferenceFactSchema>;
/** What the parser produces: a fact before it is given to a user and an id. */
export type PreferenceDraft = Omit<PreferenceFact, "id" | "user">;

/** True while the fact applies: created, and not yet expired. */
export function isPreferenceActive(fact: Pick<PreferenceFact, "createdAtMs" | "expiresAtMs">, nowMs: number) {
  return fact.expiresAtMs === undefined || nowMs < fact.expiresAtMs;
}

/** Two facts about the same thing (same target), whatever their polarity. */
export function targetKey(target: PreferenceTarget): string {
  return `${target.type}\u0000${target.itemId ?? target.value}`;
}

/** A stable id for a user's draft, so that storing the same statement twice is idempotent. */
export function preferenceFactId(user: string, draft: PreferenceDraft): string {
  const key = [user, draft.createdAtMs, draft.polarity, targetKey(draft.target), draft.sourceText].join("\n");
  // FNV-1a, two lanes for 64 bits: collisions would need a user to say millions of things.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return `pref_${(a >>> 0).toString(16).padStart(8, "0")}${(b >>> 0).toString(16).padStart(8, "0")}`;
}

/** The full fact for a user; the id is preferenceFactId unless the store assigns its own. */
export function toPreferenceFact(user: string, draft: PreferenceDraft, id?: string): PreferenceFact {
  return { id: id ?? preferenceFactId(user, draft), user, ...draft };
}
