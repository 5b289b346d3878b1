import { describe, expect, it } from "vitest";
import { CatalogueIndex } from "../matching/index.js";
import { testCatalogue } from "./test-catalogue.js";
import { catalogueVocabulary } from "./vocabulary.js";

describe("catalogueVocabulary", () => {
  const vocabulary = catalogueVocabulary(testCatalogue);

  it("finds tags exactly, without spaces, by plural and by a small slip", () => {
    expect(vocabulary.findTag("Country")).toEqual({ value: "country", display: "country", score: 1 });
    expect(vocabulary.findTag("hiphop")).toMatchObject({ display: "Hip-Hop", score: 1 });
    expect(vocabulary.findTag("basketballs")).toMatchObject({ value: "basketball", score: 0.98 });
    expect(vocabulary.findTag("basketbal")?.score).toBeGreaterThan(0.8);
    expect(vocabulary.findTag("polka")).toBeNull();
  });

  it("finds creators by the whole name, part of it, a possessive or an article", () => {
    expect(vocabulary.findCreator("adele")).toEqual({ value: "adele", display: "Adele", score: 1 });
    expect(vocabulary.findCreator("adeles")?.value).toBe("adele");
    expect(vocabulary.findCreator("warriors")?.display).toBe("Golden State Warriors");
    expect(vocabulary.findCreator("notorious b i g")?.display).toBe("The Notorious B.I.G.");
    expect(vocabulary.findCreator("metallica")).toBeNull();
  });

  it("finds titles, one item or several, optionally by creator", () => {
    expect(vocabulary.findEntity("Jolene")).toEqual({
      value: "jolene",
      display: "Jolene by Dolly Parton",
      score: 1,
      itemId: "jolene",
    });
    expect(vocabulary.findEntity("hello")).toEqual({ value: "hello", display: "Hello", score: 1 });
    expect(vocabulary.findEntity("hello", "lionel richie")?.itemId).toBe("hello-richie");
    expect(vocabulary.findEntity("hello", "metallica")).toBeNull();
    expect(vocabulary.findEntity("jolen")).toBeNull();
  });

  it("finds misspelled titles through a catalogue index", () => {
    const withIndex = catalogueVocabulary(testCatalogue, { index: new CatalogueIndex(testCatalogue) });
    expect(withIndex.findEntity("jolen")).toMatchObject({ itemId: "jolene" });
    expect(withIndex.findEntity("Jolene")).toMatchObject({ itemId: "jolene", score: 1 });
    expect(withIndex.findEntity("hello")).toEqual({ value: "hello", display: "Hello", score: 1 });
    expect(withIndex.findEntity("hello", "adele")).toMatchObject({ itemId: "hello-adele", score: 1 });
    expect(withIndex.findEntity("ring of fyre", "johnny cash")).toMatchObject({ itemId: "ring-of-fire" });
  });
});
