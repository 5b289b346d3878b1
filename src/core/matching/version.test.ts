import { describe, expect, it } from "vitest";
import { isVersionPhrase, stripSpokenVersion, stripVersion } from "./version.js";

describe("stripVersion", () => {
  it.each([
    ["Hello (Live)", "Hello"],
    ["Hello [Remastered]", "Hello"],
    ["Hello - Remastered 2011", "Hello"],
    ["Hello - Live at Wembley", "Hello"],
    ["Hello (feat. Adele)", "Hello"],
    ["Hello feat. Adele", "Hello"],
    ["Hello (Live) - 2011 Remaster", "Hello"],
    ['Let It Go - From "Frozen"', "Let It Go"],
    ["Hello", "Hello"],
    ["Hello - Adele", "Hello - Adele"],
    ["(Untitled)", "(Untitled)"],
    ["(I Can't Get No) Satisfaction", "(I Can't Get No) Satisfaction"],
  ])("%s -> %s", (title, base) => {
    expect(stripVersion(title)).toBe(base);
  });

  it("recognises version phrases after a dash", () => {
    expect(isVersionPhrase("Remastered 2011")).toBe(true);
    expect(isVersionPhrase("Radio Edit")).toBe(true);
    expect(isVersionPhrase("Adele")).toBe(false);
  });

  it("strips spoken version words from a normalized request, keeping a word", () => {
    expect(stripSpokenVersion("hello live")).toBe("hello");
    expect(stripSpokenVersion("hello acoustic version")).toBe("hello");
    expect(stripSpokenVersion("live")).toBe("live");
    expect(stripSpokenVersion("hello")).toBe("hello");
  });
});
