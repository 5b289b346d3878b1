import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { EmbeddingParseError, EmbeddingTableBuilder, parseDecimal, parseEmbeddings } from "./embeddings.js";

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

describe("EmbeddingTableBuilder.push (streamed bytes)", () => {
  const text = "2 3\nprès 0.5 -1.25 3e2\r\nb -0.00001 +7 .5 \nc 1 2 3";

  it("gives the same table however the bytes are split, multi-byte characters included", () => {
    const whole = parseEmbeddings(text);
    expect(whole.words).toEqual(["près", "b", "c"]);
    expect(Array.from(whole.vectors)).toEqual(
      Array.from(Float32Array.from([0.5, -1.25, 300, -0.00001, 7, 0.5, 1, 2, 3])),
    );
    const bytes = Buffer.from(text, "utf8");
    for (let cut = 1; cut < bytes.length; cut++) {
      const builder = new EmbeddingTableBuilder();
      builder.push(bytes.subarray(0, cut));
      builder.push(bytes.subarray(cut));
      const split = builder.build();
      expect(split.words).toEqual(whole.words);
      expect(split.vectors).toEqual(whole.vectors);
    }
  });

  it("reads every number as Number(text) does (slow reference), fast path or not", () => {
    const rng = new Random(9);
    const fields = [
      "0",
      "-0",
      "-0.0",
      "1e5",
      "1E-5",
      "2.5e+3",
      ".5",
      "5.",
      "+3",
      "1e",
      "e5",
      "-",
      ".",
      "",
      "x",
      "1.2.3",
      "0x1A",
      "Infinity",
      "NaN",
      "1e400",
      "123456789012345678",
      "0.1234567890123456789",
      "1e-30",
      "7e22",
      "7e23",
    ];
    for (let i = 0; i < 3000; i++) {
      const digits = 1 + rng.int(17);
      let t = rng.next() < 0.5 ? "-" : "";
      for (let j = 0; j < digits; j++) t += String(rng.int(10));
      const point = rng.int(digits + 1);
      t = `${t.slice(0, t.length - digits + point)}.${t.slice(t.length - digits + point)}`;
      if (rng.next() < 0.2) t += `e${rng.int(50) - 25}`;
      fields.push(t);
    }
    for (const f of fields) {
      const bytes = Buffer.from(` ${f} `, "utf8");
      expect(Object.is(parseDecimal(bytes, 1, bytes.length - 1), Number(f)), f).toBe(true);
    }
  });
});
