import { describe, expect, it } from "vitest";
import { charNgramVector, cosine } from "./char-ngram-vector.js";

describe("charNgramVector", () => {
  it("is normalised, sorted and deterministic", () => {
    const v = charNgramVector("hello adele");
    let n2 = 0;
    for (const x of v.value) n2 += x * x;
    expect(n2).toBeCloseTo(1, 5);
    for (let i = 1; i < v.index.length; i++) expect(v.index[i]).toBeGreaterThan(v.index[i - 1]);
    expect(charNgramVector("hello adele")).toEqual(v);
    expect(cosine(v, v)).toBeCloseTo(1, 5);
    expect(charNgramVector("").index.length).toBe(0);
  });

  it("puts misheard and misspelled texts near, different ones far", () => {
    const q = charNgramVector("hello adele");
    const misheard = cosine(q, charNgramVector("hallo adel"));
    const other = cosine(q, charNgramVector("thriller michael jackson"));
    expect(misheard).toBeGreaterThan(0.5);
    expect(other).toBeLessThan(0.2);
    // Sound keys carry ASR confusions that share few letters.
    const withSound = cosine(charNgramVector("night fever"), charNgramVector("knight fevor"));
    const spellingOnly = cosine(
      charNgramVector("night fever", { bits: 20, minN: 2, maxN: 4, phoneticWeight: 0, wordWeight: 0.5 }),
      charNgramVector("knight fevor", { bits: 20, minN: 2, maxN: 4, phoneticWeight: 0, wordWeight: 0.5 }),
    );
    expect(withSound).toBeGreaterThan(spellingOnly);
  });
});
