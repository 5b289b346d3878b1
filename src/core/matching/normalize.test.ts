import { describe, expect, it } from "vitest";
import { normalizeText, tokenize } from "./normalize.js";

describe("normalizeText", () => {
  it.each([
    ["Hello", "hello"],
    ["  PLAY   Hello  ", "play hello"],
    ["Beyoncé", "beyonce"],
    ["Sigur Rós — Hoppípolla", "sigur ros hoppipolla"],
    ["Simon & Garfunkel", "simon and garfunkel"],
    ["R&B", "r and b"],
    ["Don't Stop Me Now", "dont stop me now"],
    ["Don’t Stop (Live)", "dont stop live"],
    ["Hello - Remastered 2011", "hello remastered 2011"],
    ["Straße", "strasse"],
    ["Mötley Crüe", "motley crue"],
    ["ＡＢＣ", "abc"],
    ["...", ""],
    ["Любовь", "любовь"],
  ])("%s -> %s", (input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });
});

describe("tokenize", () => {
  it("keeps offsets into the original text", () => {
    const text = "Play Beyoncé's song, please!";
    const tokens = tokenize(text);
    expect(tokens.map((t) => t.norm)).toEqual(["play", "beyonces", "song", "please"]);
    expect(tokens.map((t) => text.slice(t.start, t.end))).toEqual(["Play", "Beyoncé's", "song", "please"]);
  });

  it("agrees with normalizeText", () => {
    const text = "Hey — put on “Hello” (Live) by Adèle & friends";
    expect(
      tokenize(text)
        .map((t) => t.norm)
        .join(" "),
    ).toBe(normalizeText(text));
  });
});
