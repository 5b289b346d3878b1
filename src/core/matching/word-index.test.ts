import { describe, expect, it } from "vitest";
import { WordIndex } from "./word-index.js";

const strings = [
  "love",
  "love song",
  "live",
  "midnight rain",
  "midnight train",
  "forever forever",
  "forever river",
  "phone call",
  "love of the night",
];
const index = new WordIndex(strings);
const top = (q: string) => strings[index.search(q, 5)[0]?.id];

describe("WordIndex", () => {
  it("finds words exactly, one edit away, or by sound", () => {
    expect(top("love")).toBe("love");
    expect(top("lvoe")).toBe("love");
    expect(top("midnight rian")).toBe("midnight rain");
    expect(top("fone call")).toBe("phone call");
  });

  it("counts repeated words", () => {
    expect(top("forever forever")).toBe("forever forever");
  });

  it("scores by word-level Dice", () => {
    const hits = index.search("love", 5);
    expect(hits[0]).toEqual({ id: 0, score: 1 });
    expect(hits.find((h) => h.id === 1)?.score).toBeCloseTo(2 / 3, 12);
    expect(index.search("", 5)).toEqual([]);
    expect(index.search("qqqq", 5)).toEqual([]);
  });

  it("lists similar words best first", () => {
    const words = index.similarWords("love").map((m) => m.sim);
    expect(words[0]).toBe(1);
    expect(words).toEqual([...words].sort((a, b) => b - a));
  });
});
