import { describe, expect, it } from "vitest";
import { parsePreference } from "./parse-preference.js";
import {
  type PreferenceFact,
  preferenceFactId,
  preferenceFactSchema,
  toPreferenceFact,
} from "./preference-fact.js";
import { listPreferences, mergePreference, removePreference } from "./preference-list.js";
import { DAY, HOUR, NOW, testCatalogue } from "./test-catalogue.js";
import { catalogueVocabulary } from "./vocabulary.js";

const vocabulary = catalogueVocabulary(testCatalogue);

function taught(text: string, atMs = NOW, user = "ana"): PreferenceFact {
  const result = parsePreference(text, atMs, vocabulary);
  if ("error" in result) throw new Error(result.error);
  return toPreferenceFact(user, result.fact);
}

describe("preference facts", () => {
  it("validate against the schema, with stable ids", () => {
    const fact = taught("no Christmas songs in the car for the next week");
    expect(preferenceFactSchema.parse(fact)).toEqual(fact);
    expect(fact.id).toMatch(/^pref_[0-9a-f]{16}$/);
    expect(taught("no Christmas songs in the car for the next week").id).toBe(fact.id);
    expect(taught("no Christmas songs in the car for the next week", NOW, "bo").id).not.toBe(fact.id);
    const { id: _, user: __, ...draft } = fact;
    expect(preferenceFactId("ana", draft)).toBe(fact.id);
  });

  it("reject unknown fields and bad polarities", () => {
    const fact = taught("I like jazz");
    expect(preferenceFactSchema.safeParse({ ...fact, extra: 1 }).success).toBe(false);
    expect(preferenceFactSchema.safeParse({ ...fact, polarity: "adore" }).success).toBe(false);
  });
});

describe("mergePreference", () => {
  it("replaces an older statement about the same target and scope", () => {
    const like = taught("I like country");
    const dislike = taught("I don't like country", NOW + HOUR);
    const carOnly = taught("more country in the car", NOW + HOUR);
    const jazz = taught("I like jazz");
    const first = mergePreference([like, jazz, carOnly], dislike);
    expect(first.replaced).toEqual([like]);
    expect(first.facts).toEqual([jazz, carOnly, dislike]);
    // The same fact again is not a duplicate.
    expect(mergePreference(first.facts, dislike).facts).toEqual(first.facts);
    // Another user's fact about the same target is theirs.
    expect(mergePreference([taught("I like country", NOW, "bo")], dislike).replaced).toEqual([]);
  });
});

describe("listPreferences and removePreference", () => {
  it("lists active facts newest first with a description, and removes by id", () => {
    const facts = [
      taught("I don't like country"),
      taught("no Christmas songs for the next week", NOW + HOUR),
      taught("play more jazz in the morning on the kitchen speaker", NOW + 2 * HOUR),
    ];
    const listed = listPreferences(facts, NOW + 3 * HOUR);
    expect(listed.map((f) => f.description)).toEqual([
      "more jazz (tag), on the kitchen speaker, in the morning",
      "never play christmas (tag), until Oct 10",
      "dislikes country (tag)",
    ]);
    expect(listed.every((f) => f.active)).toBe(true);

    const later = listPreferences(facts, NOW + 9 * DAY);
    expect(later.map((f) => f.sourceText)).not.toContain("no Christmas songs for the next week");
    const all = listPreferences(facts, NOW + 9 * DAY, { includeExpired: true });
    expect(all.find((f) => !f.active)?.description).toBe("never play christmas (tag), expired Oct 10");

    const { facts: left, removed } = removePreference(facts, facts[0].id);
    expect(removed).toBe(facts[0]);
    expect(left).toEqual(facts.slice(1));
    expect(removePreference(facts, "pref_nope").removed).toBeNull();
  });

  it("says when a name is not in the catalogue", () => {
    expect(listPreferences([taught("I like polka")], NOW)[0].description).toBe(
      "likes polka (tag, not in the catalogue)",
    );
  });
});
