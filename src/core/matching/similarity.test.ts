import { describe, expect, it } from "vitest";
import { creatorSimilarity, damerauLevenshtein, editSimilarity } from "./similarity.js";

describe("damerauLevenshtein", () => {
  it.each([
    ["", "", 0],
    ["hello", "hello", 0],
    ["hello", "helo", 1],
    ["hello", "hlelo", 1],
    ["hello", "helllo", 1],
    ["hello", "hallo", 1],
    ["love", "lvoe", 1],
    ["ca", "abc", 3],
    ["kitten", "sitting", 3],
    ["", "abc", 3],
  ])("%s / %s = %i", (a, b, d) => {
    expect(damerauLevenshtein(a, b)).toBe(d);
    expect(damerauLevenshtein(b, a)).toBe(d);
  });

  it("stops early above max", () => {
    expect(damerauLevenshtein("abcdefgh", "zyxwvuts", 2)).toBe(3);
    expect(damerauLevenshtein("kitten", "sitting", 3)).toBe(3);
  });
});

describe("editSimilarity", () => {
  it("is 1 - distance / longer length, and 0 below min", () => {
    expect(editSimilarity("hello", "helo")).toBeCloseTo(0.8, 12);
    expect(editSimilarity("", "")).toBe(1);
    expect(editSimilarity("abcd", "wxyz")).toBe(0);
    expect(editSimilarity("hello", "hxxxo", 0.5)).toBe(0);
    expect(editSimilarity("hello", "hxllo", 0.5)).toBeCloseTo(0.8, 12);
  });
});

describe("creatorSimilarity", () => {
  it("accepts exact, cut-off, partial, possessive and misspelled names", () => {
    expect(creatorSimilarity("adele", "adele")).toBe(1);
    expect(creatorSimilarity("velvet foxes", "the velvet foxes")).toBe(1);
    expect(creatorSimilarity("adeles", "adele")).toBeGreaterThan(0.9);
    expect(creatorSimilarity("richie", "lionel richie")).toBe(0.9);
    expect(creatorSimilarity("adel", "adele")).toBeGreaterThanOrEqual(0.9);
    expect(creatorSimilarity("lionle richie", "lionel richie")).toBeGreaterThan(0.8);
  });

  it("rejects other names", () => {
    expect(creatorSimilarity("adele", "lionel richie")).toBeLessThan(0.5);
    expect(creatorSimilarity("adele", "lionel richie", 0.7)).toBe(0);
  });
});
