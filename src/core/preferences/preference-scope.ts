import { normalizeText } from "../matching/index.js";
import type { PreferenceScope, TimeOfDay } from "./preference-fact.js";

/**
 * Where and when a request is served, as far as scopes care. Fields left out are unknown, and a scope
 * that needs an unknown field does not apply: "more jazz in the car" must not leak into the kitchen.
 */
export interface PreferenceContext {
  deviceType?: string;
  /** Device id or name ("kitchen-speaker"); scopes naming a device or room match its words. */
  device?: string;
  activity?: string;
  /** The user's local hour (0-23); without it the hour is taken from nowMs and timeZoneOffsetMinutes. */
  localHour?: number;
  /** Minutes east of UTC for day boundaries and the hour (default 0, UTC). */
  timeZoneOffsetMinutes?: number;
}

/** morning 5-12, afternoon 12-17, evening 17-22, night 22-5. */
export function timeOfDayOf(hour: number): TimeOfDay {
  if (hour >= 5 && hour < 12) return "morning";
  if (hour >= 12 && hour < 17) return "afternoon";
  if (hour >= 17 && hour < 22) return "evening";
  return "night";
}

export function localHourOf(nowMs: number, context: PreferenceContext = {}): number {
  if (context.localHour !== undefined) return context.localHour;
  return new Date(nowMs + (context.timeZoneOffsetMinutes ?? 0) * 60_000).getUTCHours();
}

/** Spoken activities to one name each, so that "for workouts" matches a context activity "gym". */
const ACTIVITY_SYNONYMS: Record<string, string> = {
  workout: "workout",
  workouts: "workout",
  "working out": "workout",
  "work out": "workout",
  exercise: "workout",
  exercising: "workout",
  gym: "workout",
  training: "workout",
  fitness: "workout",
  run: "running",
  runs: "running",
  running: "running",
  jogging: "running",
  cooking: "cooking",
  "making dinner": "cooking",
  driving: "driving",
  commute: "driving",
  commuting: "driving",
  studying: "studying",
  study: "studying",
  homework: "studying",
  working: "working",
  work: "working",
  sleep: "sleeping",
  sleeping: "sleeping",
  bedtime: "sleeping",
  reading: "reading",
  relaxing: "relaxing",
  chilling: "relaxing",
  party: "party",
  parties: "party",
  partying: "party",
  dinner: "dinner",
  focus: "focus",
  focusing: "focus",
  cleaning: "cleaning",
};

/** The canonical activity name (free text is kept, normalized). */
export function canonicalActivity(activity: string): string {
  const norm = normalizeText(activity);
  return ACTIVITY_SYNONYMS[norm] ?? norm;
}

/** Kinds a scope on `kind` accepts: videos and movies are interchangeable, like books and audiobooks. */
export function kindAccepts(scopeKind: string | undefined, itemKind: string): boolean {
  if (scopeKind === undefined || scopeKind === itemKind) return true;
  const pair = (a: string, b: string) =>
    (scopeKind === a && itemKind === b) || (scopeKind === b && itemKind === a);
  return pair("video", "movie") || pair("book", "audiobook");
}

/** True when the request's context is within the scope (everything but the item's kind). */
export function contextMatches(
  scope: PreferenceScope | undefined,
  nowMs: number,
  context: PreferenceContext = {},
): boolean {
  if (scope === undefined) return true;
  if (scope.deviceType !== undefined) {
    if (context.deviceType === undefined) return false;
    if (normalizeText(context.deviceType) !== normalizeText(scope.deviceType)) return false;
  }
  // A named device or room is checked only when the context names the device: the words must appear in
  // it ("kitchen" in "kitchen-speaker"). Without a name, the device type alone decides.
  if (scope.device !== undefined && context.device !== undefined) {
    if (!` ${normalizeText(context.device)} `.includes(` ${scope.device} `)) return false;
  } else if (scope.device !== undefined && scope.deviceType === undefined) {
    return false;
  }
  if (scope.activity !== undefined) {
    if (context.activity === undefined) return false;
    if (canonicalActivity(context.activity) !== scope.activity) return false;
  }
  if (scope.timeOfDay !== undefined && timeOfDayOf(localHourOf(nowMs, context)) !== scope.timeOfDay) {
    return false;
  }
  return true;
}

/** True when the context, and the item's kind, are within the scope. */
export function scopeMatches(
  scope: PreferenceScope | undefined,
  itemKind: string,
  nowMs: number,
  context: PreferenceContext = {},
): boolean {
  return kindAccepts(scope?.kind, itemKind) && contextMatches(scope, nowMs, context);
}
