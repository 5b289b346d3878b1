import { describe, expect, it } from "vitest";
import type { CatalogueItem } from "../../schema/events.js";
import { CatalogueIndex } from "./catalogue-index.js";

function item(
  id: string,
  title: string,
  creator: string,
  kind: CatalogueItem["kind"] = "song",
): CatalogueItem {
  return { id, title, creators: [creator], kind, tags: [], attributes: {} };
}

const CATALOGUE: CatalogueItem[] = [
  item("adele-hello", "Hello", "Adele"),
  item("richie-hello", "Hello", "Lionel Richie"),
  item("adele-hello-live", "Hello (Live)", "Adele"),
  item("adele-someone", "Someone Like You", "Adele"),
  item("beyonce-halo", "Halo", "Beyoncé"),
  item("beyonce-crazy", "Crazy in Love (feat. Jay-Z)", "Beyoncé"),
  item("beatles-yesterday", "Yesterday - Remastered 2009", "The Beatles"),
  item("beatles-help", "Help!", "The Beatles"),
  item("king-stand", "Stand By Me", "Ben E. King"),
  item("stones-start", "Start Me Up", "The Rolling Stones"),
  item("knight-video", "Knight Rider Theme", "Stu Phillips", "video"),
  item("night-song", "Night Fever", "Bee Gees"),
  item("hello-world", "Hello World", "Lady Antebellum"),
  item("dont-stop", "Don't Stop Me Now", "Queen"),
  item("simon-sound", "The Sound of Silence", "Simon & Garfunkel"),
  item("jaws-movie", "Jaws", "Steven Spielberg", "movie"),
  item("beatles-jude", "Hey Jude", "The Beatles"),
  item("jude", "Jude", "Someone Else"),
];

const index = new CatalogueIndex(CATALOGUE);
const ids = (text: string, options = {}) => index.match(text, options).map((c) => c.itemId);

describe("CatalogueIndex", () => {
  it("returns every item sharing the best title, with the same text score", () => {
    const result = index.match("play hello");
    const [a, b] = result;
    expect(new Set([a.itemId, b.itemId])).toEqual(new Set(["adele-hello", "richie-hello"]));
    expect(a.score).toBe(1);
    expect(b.score).toBe(a.score);
    expect(a.matchedOn).toBe("exact");
    expect(a.matchedSpan).toEqual([5, 10]);
    expect(a.creatorMatched).toBe(false);
    // "Hello (Live)" is found too, below both.
    const live = result.find((c) => c.itemId === "adele-hello-live")!;
    expect(live.score).toBeLessThan(a.score);
    expect(live.score).toBeGreaterThanOrEqual(0.85);
    expect(result.indexOf(live)).toBe(2);
  });

  it("returns all tied items even beyond the limit", () => {
    expect(ids("play hello", { limit: 1 })).toEqual(["adele-hello", "richie-hello"]);
  });

  it("calls a title equal but for case exact, and equal after folding normalized", () => {
    expect(index.match("PLAY HELLO")[0]).toMatchObject({ matchedOn: "exact", score: 1 });
    expect(index.match("play dont stop me now")[0]).toMatchObject({ matchedOn: "normalized", score: 1 });
    expect(index.match("play Don't Stop Me Now")[0]).toMatchObject({ matchedOn: "exact", score: 1 });
  });

  it("ranks the named creator first and keeps the other same-title items below", () => {
    const result = index.match("play hello by adele");
    expect(result[0]).toMatchObject({ itemId: "adele-hello", creatorMatched: true, score: 1 });
    const richie = result.find((c) => c.itemId === "richie-hello")!;
    expect(richie.creatorMatched).toBe(false);
    expect(richie.score).toBeLessThan(result[0].score);
    expect(richie.score).toBeGreaterThanOrEqual(0.5);

    const lionel = index.match("PLAY HELLO BY LIONEL RICHIE");
    expect(lionel[0]).toMatchObject({ itemId: "richie-hello", creatorMatched: true });
    expect(lionel.map((c) => c.itemId)).toContain("adele-hello");
  });

  it("finds the creator without 'by', before or after the title", () => {
    expect(index.match("play adele hello")[0]).toMatchObject({ itemId: "adele-hello", creatorMatched: true });
    expect(index.match("play lionel richie hello")[0]).toMatchObject({ itemId: "richie-hello" });
    expect(index.match("hello lionel richie")[0]).toMatchObject({ itemId: "richie-hello" });
  });

  it("tolerates typos in title and creator", () => {
    const helo = index.match("play helo");
    expect(
      helo
        .slice(0, 2)
        .map((c) => c.itemId)
        .sort(),
    ).toEqual(["adele-hello", "richie-hello"]);
    expect(helo[0].matchedOn).toBe("fuzzy");
    expect(helo[0].score).toBeGreaterThanOrEqual(0.5);
    expect(helo[0].score).toBeLessThan(0.9);
    expect(index.match("play hello by adel")[0]).toMatchObject({
      itemId: "adele-hello",
      creatorMatched: true,
    });
    expect(index.match("play hlelo by adele")[0]).toMatchObject({
      itemId: "adele-hello",
      creatorMatched: true,
    });
    expect(ids("put on someone lkie you")[0]).toBe("adele-someone");
    expect(ids("play dont stpo me now")[0]).toBe("dont-stop");
  });

  it("handles version suffixes both ways", () => {
    const live = index.match("play hello (live)");
    expect(live[0]).toMatchObject({ itemId: "adele-hello-live", score: 1, matchedOn: "exact" });
    expect(
      live
        .slice(1, 3)
        .map((c) => c.itemId)
        .sort(),
    ).toEqual(["adele-hello", "richie-hello"]);
    expect(live[1].score).toBe(0.9);
    expect(live[1].matchedOn).toBe("normalized");
    // Spoken, without brackets.
    expect(ids("play hello live")[0]).toBe("adele-hello-live");
    expect(ids("play hello live").slice(1, 3).sort()).toEqual(["adele-hello", "richie-hello"]);
    // Versions in the catalogue.
    expect(index.match("play yesterday")[0]).toMatchObject({ itemId: "beatles-yesterday", score: 0.9 });
    expect(ids("play crazy in love by beyonce")[0]).toBe("beyonce-crazy");
    expect(ids("play crazy in love feat jay z")[0]).toBe("beyonce-crazy");
  });

  it("ignores accents, case and punctuation", () => {
    expect(index.match("play halo by beyonce")[0]).toMatchObject({
      itemId: "beyonce-halo",
      creatorMatched: true,
    });
    expect(index.match("PLAY HALO BY BEYONCÉ")[0]).toMatchObject({
      itemId: "beyonce-halo",
      creatorMatched: true,
    });
    expect(index.match("play help")[0]).toMatchObject({ itemId: "beatles-help", score: 1 });
    expect(ids("play don't stop me now")[0]).toBe("dont-stop");
    expect(ids("play the sound of silence by simon and garfunkel")[0]).toBe("simon-sound");
  });

  it("keeps titles that contain command or creator words", () => {
    expect(ids("play stand by me")[0]).toBe("king-stand");
    expect(ids("start me up")[0]).toBe("stones-start");
    expect(ids("play start me up by the rolling stones")[0]).toBe("stones-start");
    // "hey" is a wake word, but "Hey Jude" is a title; both readings are kept.
    expect(ids("hey jude")).toEqual(expect.arrayContaining(["beatles-jude", "jude"]));
    expect(ids("play hey jude")[0]).toBe("beatles-jude");
    expect(ids("play hey jude by the beatles")[0]).toBe("beatles-jude");
  });

  it("gives sound-alike titles a bonus", () => {
    const hallo = index.match("play hallo");
    expect(
      hallo
        .slice(0, 2)
        .map((c) => c.itemId)
        .sort(),
    ).toEqual(["adele-hello", "richie-hello"]);
    // "hallo" sounds like "hello": the bonus lifts it above a title equally far in spelling.
    expect(hallo[0].score).toBeGreaterThan(index.match("play hollo")[0].score - 1e-9);
    expect(ids("play nite fever")[0]).toBe("night-song");
  });

  it("filters by kind and prefers the kind the request names", () => {
    expect(ids("play hello", { kind: "video" })).toEqual([]);
    expect(ids("watch knight rider theme", { kind: "video" })).toEqual(["knight-video"]);
    const jaws = index.match("watch the movie jaws");
    expect(jaws[0]).toMatchObject({ itemId: "jaws-movie", score: 1 });
  });

  it("does not match gibberish", () => {
    for (const text of ["play xqzzvk wplm", "zzzzzz", "play qwrtpsdf by xkcdzz"]) {
      const result = index.match(text);
      expect(result.every((c) => c.score < 0.5)).toBe(true);
    }
    expect(index.match("")).toEqual([]);
    expect(index.match("play")).toEqual([]);
  });

  it("does not let a short request match everything", () => {
    const result = index.match("play a");
    expect(result.length).toBeLessThanOrEqual(1);
  });

  it("honours the limit and the minimum score", () => {
    expect(index.match("play hello", { limit: 3 })).toHaveLength(3);
    expect(index.match("play hello", { minScore: 0.95 }).map((c) => c.itemId)).toEqual([
      "adele-hello",
      "richie-hello",
    ]);
    for (const c of index.match("play hello world")) expect(c.score).toBeGreaterThanOrEqual(0.5);
  });
});
