import { z } from "zod";

/**
 * The single source of truth for what tastebud stores. Types are inferred from these schemas; the JSON
 * Schema files (`tastebud schema`) and, later, the HTTP validation and OpenAPI document are generated from
 * them. A new event kind is a new schema here plus a new table in the store's migrations.
 */

/**
 * Epoch ms of an event time as the schemas accept it (ISO 8601 with or without an offset). One without an
 * offset is UTC, as the schemas say: `Date.parse` would read it in the process's time zone (TZ), and then
 * the same play sent over HTTP and read from a file would get different times and idempotence keys.
 */
export function eventTimeMs(time: string): number {
  // A time ending in other than a digit (a `Z`, as most do) cannot be local: no need for the pattern.
  const last = time.charCodeAt(time.length - 1);
  if (!(last >= 48 && last <= 57)) return Date.parse(time);
  // A date alone (no time of day) is already read as UTC midnight.
  return Date.parse(LOCAL_DATE_TIME.test(time) ? `${time}Z` : time);
}

/** A date and time of day with no `Z` or `±HH[:MM]` offset after the time. */
const LOCAL_DATE_TIME = /^[^Tt ]+[Tt ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?$/;

export const endReasons = ["completed", "skipped", "barge-in", "error", "interrupted", "unknown"] as const;

export const playContextSchema = z
  .object({
    deviceType: z.string().min(1).optional().describe("e.g. speaker, phone, tv, car, desktop"),
    hasScreen: z.boolean().optional(),
    deviceState: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe("what the device was doing, e.g. idle, playing, timer, alarm, call"),
    activity: z.string().min(1).max(100).optional().describe("e.g. cooking, driving, workout"),
    extra: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe("free key/values, e.g. activity or device state"),
  })
  .strict();

/** Half of a UTF-16 surrogate pair without the other half: JSON's "\ud800" escapes can make one. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * An id or text of 1 to `max` characters that UTF-8 can hold: a lone surrogate would be stored as U+FFFD,
 * making two different ids one (file ingest refuses them the same way, src/ingest/values.ts).
 */
const idText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine(
      (s) => !LONE_SURROGATE.test(s),
      "holds a lone UTF-16 surrogate (\\ud800-\\udfff without its pair)",
    );

export const playEventSchema = z
  .object({
    eventId: idText(200).optional().describe("stable id; re-ingesting an id adds nothing"),
    user: idText(200),
    item: idText(1000).describe("item id; for songs without an id, `artist|track`"),
    endTime: z.iso
      .datetime({ offset: true, local: true })
      .describe("when playback stopped (ISO 8601; without an offset it is taken as UTC)"),
    playedMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600 * 1000),
    itemLengthMs: z.number().int().positive().optional(),
    weight: z
      .number()
      .finite()
      .optional()
      .describe("for sources that give counts or ratings instead of single plays; see the ingest presets"),
    context: playContextSchema.optional(),
    requestText: z.string().max(2000).optional(),
    requestId: idText(200).optional().describe("the request event that started this play"),
    endReason: z.enum(endReasons).optional(),
  })
  .strict();

export type PlayEvent = z.infer<typeof playEventSchema>;

/** How the assistant answered a request. */
export const responseKinds = ["play", "answer", "clarify", "error", "dont-know", "none"] as const;
export type ResponseKind = (typeof responseKinds)[number];

const probability = z.number().min(0).max(1);

/**
 * One turn of a voice or text assistant: what was heard, how it was understood, what was answered and how
 * the user reacted. Defect and rephrase detection, query rewriting and failure point isolation learn from
 * these; plays started by a request carry its `requestId`.
 */
export const requestEventSchema = z
  .object({
    requestId: idText(200).describe("stable id; re-ingesting an id adds nothing"),
    user: idText(200),
    device: idText(200).optional().describe("device id; sessions are per user and device"),
    time: z.iso
      .datetime({ offset: true, local: true })
      .describe("when the request was made (ISO 8601; without an offset it is taken as UTC)"),
    text: z.string().min(1).max(2000).describe("the utterance as recognised (ASR output) or typed"),
    asrConfidence: probability.optional(),
    intent: z.string().min(1).max(100).optional().describe("NLU intent, e.g. PlayMusic, PlayVideo, ReadBook"),
    intentConfidence: probability.optional(),
    resolvedItem: idText(1000).optional().describe("catalogue id the request resolved to"),
    responseKind: z.enum(responseKinds).default("play"),
    bargeIn: z.boolean().default(false).describe("the user interrupted the answer"),
    playedMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600 * 1000)
      .optional()
      .describe("how long the answer played, when it was a play"),
    rewrittenFrom: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe("the original text when the assistant served a rewrite"),
    context: playContextSchema.optional(),
  })
  .strict();

export type RequestEvent = z.infer<typeof requestEventSchema>;
export type RequestEventInput = z.input<typeof requestEventSchema>;
export type PlayContext = z.infer<typeof playContextSchema>;

/** A request's context from its separately given parts (query parameters, CLI flags); undefined when none was given. */
export function contextOfParts(parts: {
  deviceType?: string;
  hasScreen?: boolean;
  deviceState?: string;
  activity?: string;
}): PlayContext | undefined {
  const context: PlayContext = {};
  if (parts.deviceType) context.deviceType = parts.deviceType;
  if (parts.hasScreen !== undefined) context.hasScreen = parts.hasScreen;
  if (parts.deviceState) context.deviceState = parts.deviceState;
  if (parts.activity) context.activity = parts.activity;
  return Object.keys(context).length ? context : undefined;
}

export const itemKinds = [
  "song",
  "video",
  "movie",
  "podcast",
  "audiobook",
  "book",
  "artist",
  "other",
] as const;

export const catalogueItemSchema = z
  .object({
    id: idText(1000),
    title: z.string().min(1),
    creators: z.array(z.string().min(1)).default([]),
    kind: z.enum(itemKinds).default("song"),
    lengthMs: z.number().int().positive().optional(),
    tags: z.array(z.string().min(1)).default([]),
    attributes: z
      .record(z.string(), z.string())
      .default({})
      .describe("external ids and other attributes, e.g. spotifyUri"),
  })
  .strict();

export type CatalogueItem = z.infer<typeof catalogueItemSchema>;
export type CatalogueItemInput = z.input<typeof catalogueItemSchema>;

/** Escapes `|` and `\` in a name so that `artist|track` ids are unambiguous. */
export function escapeIdPart(name: string): string {
  return name.replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
}

/** The id of a song known only by its artist and title, identical across Spotify's two export formats. */
export function songId(artist: string, track: string): string {
  return `${escapeIdPart(artist)}|${escapeIdPart(track)}`;
}

/** Splits an `artist|track` id back into its parts (inverse of songId); null when it is not one. */
export function parseSongId(id: string): { artist: string; track: string } | null {
  let i = 0;
  let artist = "";
  while (i < id.length) {
    const ch = id[i];
    if (ch === "\\" && i + 1 < id.length) {
      artist += id[i + 1];
      i += 2;
    } else if (ch === "|") {
      const rest = id.slice(i + 1);
      return { artist, track: rest.replace(/\\(.)/g, "$1") };
    } else {
      artist += ch;
      i++;
    }
  }
  return null;
}
