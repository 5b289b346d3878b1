import { describe, expect, it } from "vitest";
import { carryOver, lastEntitySubstitution, nounPhrases } from "./carryover.js";

describe("dialogue carryover on hand-made dialogues", () => {
  it("carries an entity into a pronoun, possessives included", () => {
    expect(carryOver("is it treatable?", ["What is throat cancer?"])).toEqual({
      text: "is throat cancer treatable?",
      by: "pronoun",
      entity: "throat cancer",
    });
    expect(carryOver("what about her other albums?", ["play hello by Adele"]).text).toBe(
      "what about Adele's other albums?",
    );
    expect(carryOver("who wrote it", ["play Hey Jude by the Beatles"]).text).toBe("who wrote Hey Jude");
    expect(carryOver("play something by them", ["who sang Bohemian Rhapsody", "Queen sang it"]).text).toBe(
      "play something by Queen",
    );
  });

  it("follows the topic the dialogue keeps returning to, and a new one once it is introduced", () => {
    const history = ["What is throat cancer?", "Is throat cancer treatable?", "Tell me about lung cancer."];
    expect(carryOver("What are its symptoms?", history).text).toBe("What are lung cancer's symptoms?");
  });

  it("fills an ellipsis from the previous request", () => {
    expect(carryOver("and in Paris?", ["what's the weather in London"])).toEqual({
      text: "what's the weather in Paris",
      by: "ellipsis",
      entity: "Paris",
    });
  });

  it("appends the topic to a turn that names nothing of its own", () => {
    const history = [
      "Tell me about the Neverending Story film.",
      "What is the Neverending Story film about?",
    ];
    expect(carryOver("What are the main themes?", history)).toEqual({
      text: "What are the main themes of the Neverending Story film?",
      by: "topic",
      entity: "the Neverending Story film",
    });
  });

  it("leaves a self-contained turn and a first turn alone", () => {
    expect(carryOver("play it", []).by).toBeNull();
    expect(carryOver("Tell me about lung cancer.", ["What is throat cancer?"]).by).toBeNull();
    expect(carryOver("play hello by adele", ["what's the weather in London"]).text).toBe(
      "play hello by adele",
    );
  });

  it("the baseline puts the previous turn's last noun phrase wherever a pronoun stands", () => {
    expect(lastEntitySubstitution("who wrote it", ["play Hey Jude by the Beatles"])).toBe(
      "who wrote the Beatles",
    );
    expect(lastEntitySubstitution("and in Paris?", ["what's the weather in London"])).toBe("and in Paris?");
  });

  it("noun phrases are runs of content words, names marked", () => {
    expect(nounPhrases("Tell me about the Bronze Age collapse.")).toEqual([
      {
        text: "the Bronze Age collapse",
        key: "bronze age collapse",
        plural: false,
        named: true,
        creator: false,
      },
    ]);
    expect(nounPhrases("What are the different types of sharks?").map((p) => [p.key, p.plural])).toEqual([
      ["different", false],
      ["sharks", true],
    ]);
  });
});
