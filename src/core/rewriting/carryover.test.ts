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

  it("plays again the last request whole, not a noun phrase of it", () => {
    expect(carryOver("play it again", ["play hello by adele"])).toEqual({
      text: "play hello by adele",
      by: "repeat",
      entity: "hello by adele",
    });
    // The title keeps its small words, and a question asked since does not count as a play request.
    expect(carryOver("play it again", ["play rolling in the deep", "what's the weather"]).text).toBe(
      "play rolling in the deep",
    );
    expect(carryOver("again please", ["play the song hey jude"]).text).toBe("play the song hey jude");
    expect(carryOver("put that on again", ["read the audiobook dune"]).text).toBe("read the audiobook dune");
    // A title that only starts like a repeat is a title ("play it again sam"), and without an earlier play
    // request a repeat leans on the entity as before.
    expect(carryOver("play it again sam", ["play hello by adele"]).by).not.toBe("repeat");
    expect(carryOver("play it", ["who sang bohemian rhapsody"]).text).toBe("play bohemian rhapsody");
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
