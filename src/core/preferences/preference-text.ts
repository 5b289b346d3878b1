import type { PreferenceFact, PreferenceScope } from "./preference-fact.js";

/** How a preference was applied to an item, each told differently to the user. */
export type PreferenceEffect = "excluded" | "blocked" | "boosted" | "lowered" | "waived" | "overridden";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Oct 3", with the year when it is not the current one; fixed English so that answers are deterministic. */
export function formatDay(ms: number, nowMs: number, timeZoneOffsetMinutes = 0): string {
  const d = new Date(ms + timeZoneOffsetMinutes * 60_000);
  const now = new Date(nowMs + timeZoneOffsetMinutes * 60_000);
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  return d.getUTCFullYear() === now.getUTCFullYear() ? day : `${day}, ${d.getUTCFullYear()}`;
}

/** `you said "I don't like country" (Oct 3)`: the user's own words, so they recognise what they taught. */
export function saidOn(fact: PreferenceFact, nowMs: number, timeZoneOffsetMinutes = 0): string {
  return `you said "${fact.sourceText}" (${formatDay(fact.createdAtMs, nowMs, timeZoneOffsetMinutes)})`;
}

function scopeText(scope: PreferenceScope | undefined): string {
  if (!scope) return "";
  const parts: string[] = [];
  if (scope.kind) parts.push(`${scope.kind}s only`);
  if (scope.device) parts.push(`on the ${scope.device}${scope.deviceType ? ` ${scope.deviceType}` : ""}`);
  else if (scope.deviceType)
    parts.push(`on ${scope.deviceType === "car" ? "the car" : `a ${scope.deviceType}`}`);
  if (scope.activity) parts.push(`when ${scope.activity}`);
  if (scope.timeOfDay) parts.push(scope.timeOfDay === "night" ? "at night" : `in the ${scope.timeOfDay}`);
  return parts.join(", ");
}

const VERB: Record<PreferenceFact["polarity"], string> = {
  like: "likes",
  dislike: "dislikes",
  never: "never play",
  more: "more",
  less: "less",
};

/** One line for listings: `never play Christmas (tag), on a speaker, until Oct 10`. */
export function describePreference(fact: PreferenceFact, nowMs: number, timeZoneOffsetMinutes = 0): string {
  const t = fact.target;
  const what = `${t.display} (${t.type}${t.matched ? "" : ", not in the catalogue"})`;
  const parts = [`${VERB[fact.polarity]} ${what}`];
  const scope = scopeText(fact.scope);
  if (scope) parts.push(scope);
  if (fact.expiresAtMs !== undefined) {
    const verb = nowMs < fact.expiresAtMs ? "until" : "expired";
    parts.push(`${verb} ${formatDay(fact.expiresAtMs, nowMs, timeZoneOffsetMinutes)}`);
  }
  return parts.join(", ");
}

/** The reason shown beside an item (or an answer) a preference changed. */
export function preferenceReason(
  fact: PreferenceFact,
  effect: PreferenceEffect,
  nowMs: number,
  timeZoneOffsetMinutes = 0,
): string {
  const said = saidOn(fact, nowMs, timeZoneOffsetMinutes);
  const name = fact.target.display;
  switch (effect) {
    case "excluded":
      return `left out ${name}: ${said}`;
    case "blocked":
      return `not played, ${name} is blocked: ${said}`;
    case "boosted":
      return `ranked higher, ${name}: ${said}`;
    case "lowered":
      return `ranked lower, ${name}: ${said}`;
    case "waived":
      return `asked for by name, so not held against it, though ${said}`;
    case "overridden":
      return `kept despite ${said}, since a more specific preference wants it`;
  }
}
