import {
  isPreferenceActive,
  type PreferenceFact,
  type PreferenceScope,
  targetKey,
} from "./preference-fact.js";
import { describePreference } from "./preference-text.js";

function scopeKey(scope: PreferenceScope | undefined): string {
  if (!scope) return "";
  return JSON.stringify(
    Object.entries(scope)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/**
 * Adds a fact to a user's list. A newer statement about the same target in the same scope replaces the
 * older ones ("I like jazz", later "I don't like jazz"): the user changed their mind, and keeping both
 * would make the answer depend on which one is read first.
 */
export function mergePreference(
  existing: readonly PreferenceFact[],
  fact: PreferenceFact,
): { facts: PreferenceFact[]; replaced: PreferenceFact[] } {
  const key = targetKey(fact.target);
  const scope = scopeKey(fact.scope);
  const replaced: PreferenceFact[] = [];
  const facts: PreferenceFact[] = [];
  for (const f of existing) {
    if (f.id === fact.id) continue;
    const same = f.user === fact.user && targetKey(f.target) === key && scopeKey(f.scope) === scope;
    (same ? replaced : facts).push(f);
  }
  facts.push(fact);
  return { facts, replaced };
}

export interface ListedPreference extends PreferenceFact {
  active: boolean;
  description: string;
}

/** A user's facts for listing, newest first, each with whether it still applies and a one-line description. */
export function listPreferences(
  facts: readonly PreferenceFact[],
  nowMs: number,
  options: { includeExpired?: boolean; timeZoneOffsetMinutes?: number } = {},
): ListedPreference[] {
  return facts
    .map((f) => ({
      ...f,
      active: isPreferenceActive(f, nowMs),
      description: describePreference(f, nowMs, options.timeZoneOffsetMinutes ?? 0),
    }))
    .filter((f) => f.active || options.includeExpired)
    .sort((a, b) => b.createdAtMs - a.createdAtMs || a.id.localeCompare(b.id));
}

/** The facts left after removing one by id; `removed` is null when there was none. */
export function removePreference(
  facts: readonly PreferenceFact[],
  id: string,
): { facts: PreferenceFact[]; removed: PreferenceFact | null } {
  const removed = facts.find((f) => f.id === id) ?? null;
  return { facts: facts.filter((f) => f.id !== id), removed };
}
