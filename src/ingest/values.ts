import type { z } from "zod";
import { endReasons, LONE_SURROGATE, type PlayEvent, playEventSchema } from "../schema/events.js";
import { parseTime, timeFormatsText } from "./time.js";

/** Why one row was rejected: the first offending field (our field names) and a reason for a person. */
export class Bad {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {}
}

export const MAX_RAW = 2000;
const MAX_SHOWN = 80;
export const MAX_PLAYED_MS = 7 * 24 * 3600 * 1000;

/** A value as a person reads it in a reason: strings quoted, long ones cut. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  let s: string;
  if (typeof value === "string") s = JSON.stringify(value);
  else if (typeof value === "bigint") s = value.toString();
  else if (value instanceof Date) s = Number.isNaN(value.getTime()) ? "an invalid date" : value.toISOString();
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      // Nested too deep for the stack (a hostile row): String() would recurse just as deep.
      s = Array.isArray(value) ? "an array nested too deep to show" : "a value that cannot be shown";
    }
  }
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s;
}

export function truncateRaw(raw: string): string {
  return raw.length > MAX_RAW ? raw.slice(0, MAX_RAW) : raw;
}

function bigintJson(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

/** JSON text of a parsed row for a reject's `raw` (bigints as numbers). */
export function rawJson(value: unknown): string {
  try {
    return truncateRaw(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? bigintJson(v) : v)) ?? "");
  } catch {
    return truncateRaw(String(value));
  }
}

export function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

/** Cheaper than calling trim() on every field: most fields start and end with a printable ASCII char. */
function needsTrim(s: string): boolean {
  if (s.length === 0) return true;
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(s.length - 1);
  return !(a > 32 && a < 127 && b > 32 && b < 127);
}

/** A non-empty id-like text: strings are trimmed; numbers (JSON, Parquet) are accepted as their decimal text. */
export function toText(value: unknown, field: string, what = "text"): string | Bad {
  if (typeof value === "string") {
    const s = needsTrim(value) ? value.trim() : value;
    if (s === "") return new Bad(field, "missing value (empty)");
    // UTF-8 has no encoding for it: stored, it would become U+FFFD, and two different ids one.
    if (LONE_SURROGATE.test(s))
      return new Bad(field, "holds a lone UTF-16 surrogate (\\ud800-\\udfff without its pair)");
    return s;
  }
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return value.toString();
  if (isMissing(value)) return new Bad(field, "missing value");
  return new Bad(field, `expected ${what}, got ${show(value)}`);
}

const INT_TEXT = /^\s*\+?\d+(?:\.0*)?\s*$/;

/** Digits only (the common case), without a regex; -1 when the text is anything else. */
function plainDigits(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** A non-negative integer (also from digit strings); `positive` excludes 0; `max` caps it. */
export function toInt(value: unknown, field: string, positive: boolean, max?: number): number | Bad {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") {
    n = plainDigits(value);
    if (n < 0) n = INT_TEXT.test(value) ? Number(value) : Number.NaN;
  } else if (typeof value === "bigint") n = Number(value);
  else n = Number.NaN;
  const kind = positive ? "a positive integer" : "a non-negative integer";
  if (!Number.isInteger(n) || n < 0 || (positive && n === 0)) {
    return new Bad(field, `expected ${kind}, got ${isMissing(value) ? "nothing" : show(value)}`);
  }
  if (max !== undefined && n > max) {
    return new Bad(field, `expected at most ${max}${field.endsWith("Ms") ? " ms" : ""}, got ${show(value)}`);
  }
  return n;
}

const NUMBER_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

export function toNumber(value: unknown, field: string): number | Bad {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && NUMBER_TEXT.test(value)) n = Number(value);
  else if (typeof value === "bigint") n = Number(value);
  else n = Number.NaN;
  if (!Number.isFinite(n)) return new Bad(field, `expected a finite number, got ${show(value)}`);
  return n;
}

export function toTime(value: unknown, field = "endTime"): string | Bad {
  const t = parseTime(value);
  if (t !== undefined) return t;
  if (isMissing(value)) return new Bad(field, "missing value");
  return new Bad(field, `expected ${timeFormatsText}, got ${show(value)}`);
}

const END_REASONS: ReadonlySet<string> = new Set(endReasons);

export function toEndReason(value: unknown): PlayEvent["endReason"] | Bad {
  if (typeof value === "string" && END_REASONS.has(value)) return value as PlayEvent["endReason"];
  return new Bad("endReason", `expected one of ${endReasons.join(", ")}, got ${show(value)}`);
}

/** A context given as an object (JSON, Parquet structs) or as JSON text (CSV). */
export function toContext(value: unknown): Record<string, unknown> | Bad {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return new Bad("context", `expected a JSON object, got ${show(value)}`);
    }
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return new Bad("context", `expected an object, got ${show(value)}`);
  }
  return v as Record<string, unknown>;
}

function issueReason(issue: z.core.$ZodIssue, event: Record<string, unknown>): string {
  let value: unknown = event;
  for (const key of issue.path) {
    value =
      typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  const where = issue.path.length > 1 ? ` at ${issue.path.join(".")}` : "";
  const msg = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  return `${msg}${where}, got ${show(value)}`;
}

const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function two(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` naming a real instant, as toISOString prints it. */
function isCanonicalTime(s: string): boolean {
  if (s.length !== 24 || !CANONICAL_TIME.test(s)) return false;
  const y = two(s, 0) * 100 + two(s, 2);
  const m = two(s, 5);
  const d = two(s, 8);
  if (m < 1 || m > 12 || d < 1 || two(s, 11) > 23 || two(s, 14) > 59 || two(s, 17) > 59) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31);
}
const CONTEXT_KEYS: ReadonlySet<string> = new Set([
  "deviceType",
  "hasScreen",
  "deviceState",
  "activity",
  "extra",
]);

function surelyValidContext(c: unknown): boolean {
  if (typeof c !== "object" || c === null || Array.isArray(c)) return false;
  for (const key in c) {
    if (!CONTEXT_KEYS.has(key)) return false;
  }
  const { deviceType, hasScreen, deviceState, activity, extra } = c as Record<string, unknown>;
  if (deviceType !== undefined && (typeof deviceType !== "string" || deviceType.length === 0)) return false;
  for (const v of [deviceState, activity]) {
    if (v !== undefined && (typeof v !== "string" || v.length === 0 || v.length > 100)) return false;
  }
  if (hasScreen !== undefined && typeof hasScreen !== "boolean") return false;
  if (extra !== undefined) {
    if (typeof extra !== "object" || extra === null || Array.isArray(extra)) return false;
    if (Object.getPrototypeOf(extra) !== Object.prototype) return false;
    for (const key in extra) {
      const v = (extra as Record<string, unknown>)[key];
      if (typeof v !== "string" && typeof v !== "boolean" && !(typeof v === "number" && Number.isFinite(v))) {
        return false;
      }
    }
  }
  return true;
}

/**
 * A hand-written check of the common case, so that playEventSchema.safeParse (several times slower than the
 * CSV parsing itself) runs only when this cannot vouch for the row. It must never accept what the schema
 * rejects; values.test.ts compares the two on random events. It assumes that the object has no keys other
 * than PlayEvent's (the readers build it).
 */
export function surelyValid(e: PlayEvent): boolean {
  const {
    user,
    item,
    endTime,
    playedMs,
    itemLengthMs,
    weight,
    context,
    requestText,
    endReason,
    eventId,
    requestId,
  } = e;
  return (
    typeof user === "string" &&
    user.length >= 1 &&
    user.length <= 200 &&
    !LONE_SURROGATE.test(user) &&
    typeof item === "string" &&
    item.length >= 1 &&
    item.length <= 1000 &&
    !LONE_SURROGATE.test(item) &&
    typeof endTime === "string" &&
    isCanonicalTime(endTime) &&
    Number.isSafeInteger(playedMs) &&
    playedMs >= 0 &&
    playedMs <= MAX_PLAYED_MS &&
    (itemLengthMs === undefined || (Number.isSafeInteger(itemLengthMs) && itemLengthMs > 0)) &&
    (weight === undefined || (typeof weight === "number" && Number.isFinite(weight))) &&
    (context === undefined || surelyValidContext(context)) &&
    (requestText === undefined || (typeof requestText === "string" && requestText.length <= 2000)) &&
    (endReason === undefined || END_REASONS.has(endReason)) &&
    (eventId === undefined ||
      (typeof eventId === "string" &&
        eventId.length >= 1 &&
        eventId.length <= 200 &&
        !LONE_SURROGATE.test(eventId))) &&
    (requestId === undefined ||
      (typeof requestId === "string" &&
        requestId.length >= 1 &&
        requestId.length <= 200 &&
        !LONE_SURROGATE.test(requestId)))
  );
}

/**
 * Validates an assembled event with playEventSchema; the first issue becomes the reject. The common case
 * is vouched for by surelyValid without running zod (see there).
 */
export function validateEvent(event: PlayEvent): PlayEvent | Bad {
  if (surelyValid(event)) return event;
  const r = playEventSchema.safeParse(event);
  if (r.success) return event;
  const issue = r.error.issues[0];
  const field = issue.path.length > 0 ? String(issue.path[0]) : "row";
  return new Bad(field, issueReason(issue, event as unknown as Record<string, unknown>));
}
