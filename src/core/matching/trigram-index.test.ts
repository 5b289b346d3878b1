import { describe, expect, it } from "vitest";
import { TrigramIndex, trigramDice, trigrams } from "./trigram-index.js";

describe("trigrams", () => {
  it("pads the string so that word starts and ends count", () => {
    expect(trigrams("hello").sort()).toEqual([" he", "ell", "hel", "llo", "lo "].sort());
    expect(trigramDice("hello", "hello")).toBe(1);
    expect(trigramDice("hello", "helo")).toBeCloseTo(6 / 9, 12);
    expect(trigramDice("abc", "xyz")).toBe(0);
  });
});

describe("TrigramIndex", () => {
  const strings = ["midnight train", "midnight rain", "golden river", "hello", "", "sun flower", "train"];

  it("ranks by Dice coefficient and honours minDice and limit", () => {
    const index = new TrigramIndex(strings);
    const hits = index.search("midnite train", 3, 0.3);
    expect(hits[0].id).toBe(0);
    expect(hits.map((h) => h.id)).toContain(1);
    expect(hits.every((h) => h.score >= 0.3)).toBe(true);
    expect(index.search("sunflower", 1)[0].id).toBe(5);
    expect(index.search("zzzz", 5)).toEqual([]);
    expect(index.search("", 5)).toEqual([]);
  });

  it("finds a rare string among many others (few postings to visit)", () => {
    const many = [...Array.from({ length: 5000 }, (_, i) => `item ${i}`), "zebra crossing"];
    const index = new TrigramIndex(many);
    expect(index.search("zebra crosing", 3, 0.3)).toEqual([
      { id: 5000, score: trigramDice("zebra crosing", "zebra crossing") },
    ]);
  });

  it("gives the same answer whether postings are short or long", () => {
    // Many near-identical strings make the posting lists long enough for the dense counting path.
    const many = [...strings, ...Array.from({ length: 200 }, (_, i) => `midnight train ${i}`)];
    const index = new TrigramIndex(many);
    const hits = index.search("midnight train", 2, 0.3);
    expect(hits[0]).toEqual({ id: 0, score: 1 });
  });
});
