import { describe, expect, it } from "vitest";
import { Random } from "../../random.js";
import { charNgramVector, cosine } from "./char-ngram-vector.js";
import { VectorIndex } from "./vector-index.js";

describe("VectorIndex", () => {
  it("returns exactly the brute-force cosine ranking", () => {
    const rng = new Random(7);
    const word = () => Array.from({ length: 3 + rng.int(5) }, () => "abcdeilmnorst"[rng.int(13)]).join("");
    const texts = Array.from({ length: 300 }, () => `${word()} ${word()}`);
    const vectors = texts.map((t) => charNgramVector(t));
    const index = new VectorIndex();
    for (const v of vectors) index.add(v);
    expect(index.size).toBe(300);
    for (let q = 0; q < 20; q++) {
      const qv = charNgramVector(`${word()} ${word()}`);
      const hits = index.search(qv, 5, 0.05);
      const brute = vectors
        .map((v, id) => ({ id, score: cosine(qv, v) }))
        .filter((h) => h.score >= 0.05)
        .sort((a, b) => b.score - a.score || a.id - b.id)
        .slice(0, 5);
      expect(hits.map((h) => h.id)).toEqual(brute.map((h) => h.id));
      for (const [i, h] of hits.entries()) expect(h.score).toBeCloseTo(brute[i].score, 5);
    }
  });
});
