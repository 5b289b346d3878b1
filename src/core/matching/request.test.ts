import { describe, expect, it } from "vitest";
import { type ParsedRequest, parseRequest, requestReadings } from "./request.js";

/** The parse plus the text under each span, so that a wrong span shows as wrong text. */
function parsed(text: string): ParsedRequest & { titleText: string; creatorText: string | null } {
  const p = parseRequest(text);
  return {
    ...p,
    titleText: text.slice(...p.titleSpan),
    creatorText: p.creatorSpan ? text.slice(...p.creatorSpan) : null,
  };
}

describe("parseRequest", () => {
  it.each([
    ["play hello", "hello", null, null],
    ["Play Hello", "Hello", null, null],
    ["PLAY HELLO BY ADELE", "HELLO", "ADELE", null],
    ["put on Hello by Adele", "Hello", "Adele", null],
    ["i want to hear hello", "hello", null, null],
    ["listen to hello by lionel richie", "hello", "lionel richie", null],
    ["can you play me hello please", "hello", null, null],
    ["hey siri, could you please play Hello by Adele on Spotify", "Hello", "Adele", null],
    ["play the song hello by adele", "hello", "adele", "song"],
    ["play the video midnight train", "midnight train", null, "video"],
    ["play the podcast golden river by the velvet foxes", "golden river", "the velvet foxes", "podcast"],
    ["watch the movie jaws on netflix", "jaws", null, "movie"],
    ["read me the book dune", "dune", null, "book"],
    ["play hello song", "hello", null, "song"],
    ["hello by adele", "hello", "adele", null],
    ["Hello", "Hello", null, null],
    ["play Hello (Live) by Adele", "Hello (Live)", "Adele", null],
    ["hello - adele", "hello", "adele", null],
    ["Hello - Remastered 2011", "Hello - Remastered 2011", null, null],
    ["play hello from adele", "hello", "adele", null],
    ["queue up “Hello” by Adele", "“Hello”", "Adele", null],
    ["Play Beyoncé's Halo", "Beyoncé's Halo", null, null],
  ])("%s", (text, title, creator, kindHint) => {
    const p = parsed(text);
    expect(p.title).toBe(title);
    expect(p.titleText).toBe(title);
    expect(p.creator).toBe(creator);
    expect(p.creatorText).toBe(creator);
    expect(p.kindHint).toBe(kindHint);
  });

  it("reports character spans in the original text", () => {
    expect(parseRequest("play hello by adele")).toEqual({
      title: "hello",
      creator: "adele",
      kindHint: null,
      titleSpan: [5, 10],
      creatorSpan: [14, 19],
    });
    expect(parseRequest("  Put on  Hello (Live) please").titleSpan).toEqual([10, 22]);
  });

  it("never strips a request down to nothing", () => {
    expect(parseRequest("play").title).toBe("play");
    expect(parseRequest("play the song")).toMatchObject({ title: "the song", kindHint: null });
    expect(parseRequest("play by adele")).toMatchObject({ title: "by adele", creator: null });
    expect(parseRequest("")).toEqual({
      title: "",
      creator: null,
      kindHint: null,
      titleSpan: [0, 0],
      creatorSpan: null,
    });
    expect(parseRequest("?!").title).toBe("");
  });
});

describe("requestReadings", () => {
  it("starts with the main parse and adds the readings it may have got wrong", () => {
    const readings = requestReadings("play stand by me");
    expect(readings[0]).toMatchObject({ title: "stand", creator: "me", source: "main", weight: 1 });
    expect(readings.map((r) => r.title)).toContain("stand by me");
    expect(requestReadings("start me up").map((r) => r.titleNorm)).toContain("start me up");
    expect(requestReadings("hey jude").map((r) => r.titleNorm)).toEqual(["jude", "hey jude"]);
    expect(requestReadings("play love song").map((r) => r.titleNorm)).toContain("love song");
  });

  it("splits off a known creator at the start or end", () => {
    const isCreator = (n: string) => n === "adele" || n === "velvet foxes";
    const pick = (text: string) =>
      requestReadings(text, isCreator)
        .filter((r) => r.source === "implicitCreator")
        .map((r) => [r.titleNorm, r.creatorNorm]);
    expect(pick("play adele hello")).toEqual([["hello", "adele"]]);
    expect(pick("play adele's hello")).toEqual([["hello", "adeles"]]);
    expect(pick("hello adele")).toEqual([["hello", "adele"]]);
    expect(pick("play velvet foxes midnight train")).toEqual([["midnight train", "velvet foxes"]]);
    expect(pick("play hello")).toEqual([]);
  });
});
