import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { EmbeddingTable } from "./embeddings.js";
import type { WordMechanism } from "./mechanisms.js";
import { OOV_PLACEHOLDER, perturbText, tokenize, vocabularyTokens } from "./text.js";

const table = new EmbeddingTable(
  ["play", "the", "song", "i", "'d", "like", "."],
  1,
  Float32Array.from([0, 1, 2, 3, 4, 5, 6]),
);
/** Replaces every word by the next row: deterministic, so outputs are known. */
const shift: WordMechanism = { name: "laplace", epsilon: 1, perturb: (w) => (w + 1) % table.size };

describe("tokenize", () => {
  it("lower-cases and splits clitics and punctuation as GloVe does", () => {
    expect(tokenize("I'd like Hello, by ADELE.")).toEqual([
      "i",
      "'d",
      "like",
      "hello",
      ",",
      "by",
      "adele",
      ".",
    ]);
    expect(tokenize("Beyoncé's 2 songs")).toEqual(["beyoncé", "'s", "2", "songs"]);
  });
});

describe("perturbText", () => {
  it("perturbs vocabulary words and replaces, drops or keeps the rest by policy", () => {
    const text = "Play the song Hello by Adele.";
    expect(vocabularyTokens(text, table)).toBe(4);
    const placeholder = perturbText(text, table, shift, new Random(1));
    expect(placeholder.text).toBe(`the song i ${OOV_PLACEHOLDER} ${OOV_PLACEHOLDER} ${OOV_PLACEHOLDER} play`);
    expect(placeholder).toMatchObject({ perturbed: 4, changed: 4, outOfVocabulary: 3 });
    expect(perturbText(text, table, shift, new Random(1), "drop").text).toBe("the song i play");
    expect(perturbText(text, table, shift, new Random(1), "keep").text).toBe(
      "the song i hello by adele play",
    );
    expect(perturbText(text, table, shift, new Random(1), "drop").tokens).toEqual([
      "the",
      "song",
      "i",
      null,
      null,
      null,
      "play",
    ]);
  });
});
