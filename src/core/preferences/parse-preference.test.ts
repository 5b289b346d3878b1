import { describe, expect, it } from "vitest";
import { type ParsePreferenceResult, parsePreference } from "./parse-preference.js";
import type { PreferenceDraft } from "./preference-fact.js";
import { DAY, NOW, testCatalogue } from "./test-catalogue.js";
import { catalogueVocabulary } from "./vocabulary.js";

const vocabulary = catalogueVocabulary(testCatalogue);

function parse(text: string, options = {}): PreferenceDraft {
  const result = parsePreference(text, NOW, vocabulary, options);
  if ("error" in result) throw new Error(`${text}: ${result.error}`);
  return result.fact;
}

function error(result: ParsePreferenceResult): string {
  return "error" in result ? result.error : `parsed: ${JSON.stringify(result.fact)}`;
}

describe("parsePreference: the issue's examples", () => {
  it('"I like jazz" is a like of the jazz tag', () => {
    expect(parse("I like jazz")).toEqual({
      polarity: "like",
      target: { type: "tag", value: "jazz", display: "jazz", matched: true },
      createdAtMs: NOW,
      sourceText: "I like jazz",
    });
  });

  it('"I\'m a Warriors fan" finds the team as a creator', () => {
    const fact = parse("I'm a Warriors fan");
    expect(fact.polarity).toBe("like");
    expect(fact.target).toEqual({
      type: "creator",
      value: "golden state warriors",
      display: "Golden State Warriors",
      matched: true,
    });
  });

  it('"I\'m a Warriors fan" takes a tag when the catalogue tags it', () => {
    const tagged = catalogueVocabulary([
      { id: "g7", title: "Game 7", creators: ["NBA"], tags: ["Warriors", "basketball"] },
    ]);
    const result = parsePreference("I'm a Warriors fan", NOW, tagged);
    expect("fact" in result && result.fact.target).toEqual({
      type: "tag",
      value: "warriors",
      display: "Warriors",
      matched: true,
    });
  });

  it('"I don\'t like country" is a dislike of the country tag', () => {
    const fact = parse("I don't like country");
    expect(fact.polarity).toBe("dislike");
    expect(fact.target).toEqual({ type: "tag", value: "country", display: "country", matched: true });
    expect(fact.scope).toBeUndefined();
    expect(fact.expiresAtMs).toBeUndefined();
  });

  it("reads a genre word as the genre, not as a creator whose name contains it", () => {
    const withBand = [
      ...testCatalogue,
      { id: "god-only-knows", title: "God Only Knows", creators: ["for KING & COUNTRY"], tags: [] },
      { id: "rock-box", title: "Rock Box", creators: ["Run-D.M.C."], tags: [] },
    ];
    const countryTarget = (items: typeof withBand) => {
      const result = parsePreference("I don't like country", NOW, catalogueVocabulary(items));
      return "fact" in result ? result.fact.target : result;
    };
    const country = { type: "tag", value: "country", display: "country" };
    expect(countryTarget(withBand)).toEqual({ ...country, matched: true });
    // No country tag at all: still the genre (kept as free text), never the band.
    const untagged = withBand.filter((i) => !(i.tags as readonly string[]).includes("country"));
    expect(countryTarget(untagged)).toEqual({ ...country, matched: false });
    // Not a genre word: a whole word of a creator's name still finds the creator.
    expect(parse("I'm a Warriors fan").target.type).toBe("creator");
    // A creator called exactly the word is still that creator.
    const named = catalogueVocabulary([{ id: "x", title: "Song", creators: ["Rock"], tags: [] }]);
    const exact = parsePreference("more rock", NOW, named);
    expect("fact" in exact && exact.fact.target).toMatchObject({ type: "creator", value: "rock" });
  });

  it('"more Adele" is more of the creator Adele', () => {
    const fact = parse("more Adele");
    expect(fact.polarity).toBe("more");
    expect(fact.target).toEqual({ type: "creator", value: "adele", display: "Adele", matched: true });
  });

  it('"never play Christmas songs" is a never on the christmas tag, not scoped to songs', () => {
    const fact = parse("never play Christmas songs");
    expect(fact.polarity).toBe("never");
    expect(fact.target).toMatchObject({ type: "tag", value: "christmas", matched: true });
    expect(fact.scope).toBeUndefined();
  });
});

describe("parsePreference: phrasings", () => {
  it.each([
    ["I love jazz", "like", "jazz"],
    ["I really enjoy listening to jazz", "like", "jazz"],
    ["I'm into jazz", "like", "jazz"],
    ["I'm a big fan of jazz", "like", "jazz"],
    ["jazz is my favourite genre", "like", "jazz"],
    ["I hate country", "dislike", "country"],
    ["I can't stand country music", "dislike", "country"],
    ["I'm not a country fan", "dislike", "country"],
    ["I'm not into country at all", "dislike", "country"],
    ["I'm sick of country", "dislike", "country"],
    ["country sucks", "dislike", "country"],
    ["no more Christmas songs", "never", "christmas"],
    ["stop playing Christmas music", "never", "christmas"],
    ["please don't ever recommend Christmas music to me", "never", "christmas"],
    ["I never want to hear Christmas songs again", "never", "christmas"],
    ["play more jazz", "more", "jazz"],
    ["I'd like more jazz please", "more", "jazz"],
    ["play jazz more often", "more", "jazz"],
    ["less country", "less", "country"],
    ["cut down on country", "less", "country"],
    ["I'd like fewer Christmas songs", "less", "christmas"],
    ["Hey, I really don't like hip hop", "dislike", "hip hop"],
  ])("%s -> %s %s", (text, polarity, value) => {
    const fact = parse(text);
    expect(fact.polarity).toBe(polarity);
    expect(fact.target.value).toBe(value);
    expect(fact.target.matched).toBe(true);
  });

  it("finds creators by part of the name, a possessive or a missing article", () => {
    expect(parse("I love Dolly").target).toMatchObject({ type: "creator", display: "Dolly Parton" });
    expect(parse("more of Adele's songs please").target).toMatchObject({ type: "creator", value: "adele" });
    expect(parse("I'm a huge fan of Notorious BIG").target).toMatchObject({
      type: "creator",
      display: "The Notorious B.I.G.",
    });
    expect(parse("anything by Johnny Cash is great").target).toMatchObject({
      type: "creator",
      display: "Johnny Cash",
    });
  });

  it("finds titles, with a creator to tell same titles apart", () => {
    expect(parse("I love Hello by Adele").target).toEqual({
      type: "entity",
      value: "hello",
      display: "Hello by Adele",
      itemId: "hello-adele",
      matched: true,
    });
    // Two songs called Hello: the fact names the title.
    expect(parse("never play Hello").target).toEqual({
      type: "entity",
      value: "hello",
      display: "Hello",
      matched: true,
    });
    expect(parse("I adore the song Jolene").target).toMatchObject({ type: "entity", itemId: "jolene" });
  });

  it("reads kinds of item as kind targets, and kind words after a name as a kind scope", () => {
    expect(parse("I hate podcasts").target).toEqual({
      type: "kind",
      value: "podcast",
      display: "podcasts",
      matched: true,
    });
    const fact = parse("less true crime podcasts");
    expect(fact.target).toMatchObject({ type: "tag", value: "true crime" });
    expect(fact.scope).toEqual({ kind: "podcast" });
  });

  it("keeps an unknown name as free text with matched false, spelled as said", () => {
    expect(parse("I like Polka Punk").target).toEqual({
      type: "tag",
      value: "polka punk",
      display: "Polka Punk",
      matched: false,
    });
  });

  it("splits a list of known names into one fact each", () => {
    const result = parsePreference("I don't like country or Adele", NOW, vocabulary);
    if ("error" in result) throw new Error(result.error);
    expect(result.facts.map((f) => [f.polarity, f.target.type, f.target.value])).toEqual([
      ["dislike", "tag", "country"],
      ["dislike", "creator", "adele"],
    ]);
    expect(result.fact).toBe(result.facts[0]);
    // A name with "and" in it stays whole when the catalogue knows it.
    const withAnd = catalogueVocabulary([{ id: "x", title: "The Boxer", creators: ["Simon & Garfunkel"] }]);
    const whole = parsePreference("I like Simon and Garfunkel", NOW, withAnd);
    expect("fact" in whole && whole.facts.map((f) => f.target.display)).toEqual(["Simon & Garfunkel"]);
  });

  it('reads "this song" and "this artist" as what is playing', () => {
    const nowPlaying = { id: "skyfall", title: "Skyfall", creators: ["Adele"] };
    expect(parse("I love this song", { nowPlaying }).target).toEqual({
      type: "entity",
      value: "skyfall",
      display: "Skyfall by Adele",
      itemId: "skyfall",
      matched: true,
    });
    const artist = parse("never play this artist again", { nowPlaying });
    expect(artist.polarity).toBe("never");
    expect(artist.target).toEqual({ type: "creator", value: "adele", display: "Adele", matched: true });
    expect(error(parsePreference("I love this song", NOW, vocabulary))).toMatch(/nothing is/);
  });
});

describe("parsePreference: expiry", () => {
  it.each([
    ["no Christmas songs for the next week", NOW + 7 * DAY],
    ["no Christmas songs for a week", NOW + 7 * DAY],
    ["no Christmas songs for 3 days", NOW + 3 * DAY],
    ["no Christmas songs for two hours", NOW + 2 * 3_600_000],
    ["no Christmas songs today", Date.UTC(2024, 9, 4)],
    ["no Christmas songs tonight", Date.UTC(2024, 9, 4, 5)],
    ["no Christmas songs until Monday", Date.UTC(2024, 9, 7)],
    ["no Christmas songs until tomorrow", Date.UTC(2024, 9, 4)],
    ["no Christmas songs this week", Date.UTC(2024, 9, 7)],
    ["no Christmas songs until December", Date.UTC(2024, 11, 1)],
    ["I'm done with Christmas music for this year", Date.UTC(2025, 0, 1)],
  ])("%s", (text, expiresAtMs) => {
    const fact = parse(text);
    expect(fact.target.value).toBe("christmas");
    expect(fact.expiresAtMs).toBe(expiresAtMs);
  });

  it("uses the user's local day", () => {
    // 09:00 UTC on the 3rd is 23:00 on the 2nd in UTC-10: "today" ends in an hour, at local midnight.
    const fact = parse("no jazz today", { timeZoneOffsetMinutes: -10 * 60 });
    expect(fact.expiresAtMs).toBe(Date.UTC(2024, 9, 3, 10));
  });

  it("rejects an until it cannot read instead of taking it for a name", () => {
    expect(error(parsePreference("no jazz until the cows come home", NOW, vocabulary))).toMatch(
      /cannot tell when/,
    );
  });
});

describe("parsePreference: scope", () => {
  it("reads time of day, device, room and activity", () => {
    expect(parse("play more jazz in the morning").scope).toEqual({ timeOfDay: "morning" });
    expect(parse("never play Christmas songs on the kitchen speaker").scope).toEqual({
      deviceType: "speaker",
      device: "kitchen",
    });
    expect(parse("no podcasts in the car").scope).toEqual({ deviceType: "car" });
    expect(parse("I like jazz for workouts").scope).toEqual({ activity: "workout" });
    expect(parse("don't play country when I'm driving").scope).toEqual({ activity: "driving" });
    expect(parse("more jazz at night on my phone").scope).toEqual({
      deviceType: "phone",
      timeOfDay: "night",
    });
    expect(parse("I like jazz in the kitchen").scope).toEqual({ device: "kitchen" });
  });

  it("combines scope and expiry", () => {
    const fact = parse("no country in the car for the next week");
    expect(fact).toMatchObject({
      polarity: "never",
      target: { value: "country" },
      scope: { deviceType: "car" },
      expiresAtMs: NOW + 7 * DAY,
    });
  });
});

describe("parsePreference: not preferences", () => {
  it.each([
    "",
    "   ",
    "asdfgh qwerty",
    "play hello",
    "what is this song",
    "do you like jazz?",
    "no thanks",
    "no, I said jazz",
    "no scrubs",
    "more",
    "I like",
    "set a timer for ten minutes",
  ])("%j is rejected with a message", (text) => {
    const result = parsePreference(text, NOW, vocabulary);
    expect("error" in result).toBe(true);
    expect(error(result).length).toBeGreaterThan(5);
  });

  it("explains what a preference statement looks like", () => {
    expect(error(parsePreference("turn up the volume", NOW, vocabulary))).toMatch(
      /^not a preference statement: .*"I like jazz"/,
    );
    expect(error(parsePreference("I love music", NOW, vocabulary))).toMatch(/too general/);
    expect(error(parsePreference("I like to play guitar", NOW, vocabulary))).toMatch(/not a name/);
  });

  it('takes "no X" only for a known name or with a time or place', () => {
    expect(parse("no jazz").polarity).toBe("never");
    expect("error" in parsePreference("no polka", NOW, vocabulary)).toBe(true);
    expect(parse("no polka in the car").target).toMatchObject({ value: "polka", matched: false });
  });
});
