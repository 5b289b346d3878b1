import { describe, expect, it } from "vitest";
import { EmbeddingParseError, parseEmbeddings } from "./embeddings.js";

describe("parseEmbeddings", () => {
  it("reads GloVe lines and word2vec files with a header, first occurrence of a word winning", () => {
    const glove = parseEmbeddings("the 1 0\n, 0 1\nthe 5 5\n");
    expect(glove.size).toBe(3);
    expect(glove.dimensions).toBe(2);
    expect(glove.id("the")).toBe(0);
    expect(glove.id(",")).toBe(1);
    expect(glove.id("missing")).toBe(-1);
    expect(glove.distance(0, 1)).toBeCloseTo(Math.SQRT2, 12);
    const w2v = parseEmbeddings("2 3\na 1 2 3\nb 1 2 5\n");
    expect(w2v.words).toEqual(["a", "b"]);
    expect(Array.from(w2v.vector(1))).toEqual([1, 2, 5]);
  });

  it("names the line of a vector with the wrong length or a value that is not a number", () => {
    expect(() => parseEmbeddings("a 1 2\nb 1 2 3\n", "t.txt")).toThrow(
      new EmbeddingParseError('t.txt line 2: 3 numbers for "b", expected 2'),
    );
    expect(() => parseEmbeddings("a 1 2\nb 1 x\n", "t.txt")).toThrow(
      /line 2: value 2 of "b" is not a number: x/,
    );
    expect(() => parseEmbeddings("\n\n")).toThrow(/no word vectors/);
  });
});
