import { describe, expect, it } from "vitest";
import { simulateVoice } from "../simulate/voice/index.js";
import { turnFromEvent, type VoiceTurn } from "../voice/turn.js";
import { FailurePointClassifier, ruleBaselineLabels } from "./failure-points.js";
import { turnCatalogue, turnFeatureNames, turnFeatures } from "./turn-features.js";

const catalogue = turnCatalogue([
  { id: "hg-movie", title: "The Hunger Games", kind: "movie", creators: ["Gary Ross"] },
  { id: "hg-book", title: "The Hunger Games", kind: "book", creators: ["Suzanne Collins"] },
  { id: "adele", title: "Hello", kind: "song", creators: ["Adele"] },
  { id: "lionel", title: "Hello", kind: "song", creators: ["Lionel Richie"] },
  { id: "jude", title: "Hey Jude", kind: "song", creators: ["The Beatles"] },
]);

const T0 = Date.parse("2024-01-01T18:00:00Z");
let n = 0;
function turn(user: string, seconds: number, text: string, rest: Partial<VoiceTurn> = {}): VoiceTurn {
  return {
    requestId: `r${n++}`,
    user,
    device: `${user}-d`,
    timeMs: T0 + seconds * 1000,
    text,
    asrConfidence: 0.9,
    intentConfidence: 0.9,
    responseKind: "play",
    bargeIn: false,
    ...rest,
  };
}

/** One story per user, far apart in time so no turn follows another user's. */
const turns: VoiceTurn[] = [
  // Nobody spoke: a fragment heard with low confidence, ignored.
  turn("wake", 0, "fine hey", { asrConfidence: 0.2, intentConfidence: 0.2, responseKind: "none" }),
  turn("ok", 1000, "play hello by adele", { intent: "PlayMusic", resolvedItem: "adele", playedMs: 200_000 }),
  // The book was meant: the movie is stopped and the kind said.
  turn("nlu", 2000, "play the hunger games", {
    intent: "PlayVideo",
    intentConfidence: 0.65,
    resolvedItem: "hg-movie",
    bargeIn: true,
    playedMs: 3000,
  }),
  turn("nlu", 2020, "read the hunger games", {
    intent: "ReadBook",
    resolvedItem: "hg-book",
    playedMs: 900_000,
  }),
  // The other Hello: the creator is added.
  turn("er", 3000, "play hello", {
    intent: "PlayMusic",
    resolvedItem: "adele",
    bargeIn: true,
    playedMs: 2000,
  }),
  turn("er", 3015, "play hello by lionel richie", {
    intent: "PlayMusic",
    resolvedItem: "lionel",
    playedMs: 200_000,
  }),
  // A garbled word, heard with low confidence, then said again.
  turn("asr", 4000, "play hey jube", { asrConfidence: 0.4, intent: "PlayMusic", responseKind: "dont-know" }),
  turn("asr", 4020, "play hey jude", { intent: "PlayMusic", resolvedItem: "jude", playedMs: 200_000 }),
  // Understood and found, but it would not play.
  turn("result", 5000, "play hey jude", { intent: "PlayMusic", resolvedItem: "jude", responseKind: "error" }),
];

describe("turn features", () => {
  const d = turnFeatureNames.length;
  const x = turnFeatures(turns, catalogue);
  const at = (k: number, name: (typeof turnFeatureNames)[number]) =>
    x[k * d + turnFeatureNames.indexOf(name)];

  it("links a turn to the same user's next one and says how they differ", () => {
    expect(x.length).toBe(turns.length * d);
    expect(at(2, "hasNext")).toBe(1);
    expect(at(2, "nextAddsKindWord")).toBe(1);
    expect(at(2, "nextKindDiffers")).toBe(1);
    expect(at(2, "nextSameTitleOtherItem")).toBe(1);
    expect(at(4, "nextAddsCreator")).toBe(1);
    expect(at(1, "hasNext")).toBe(0);
    expect(at(0, "isolated")).toBe(1);
  });

  it("reads whether the words were heard as the catalogue spells them", () => {
    expect(at(6, "unknownWordShare")).toBeGreaterThan(0);
    expect(at(7, "unknownWordShare")).toBe(0);
    expect(at(6, "nextTitleHeardHere")).toBe(0);
    expect(at(2, "nextTitleHeardHere")).toBe(1);
    expect(at(1, "titleHeard")).toBe(1);
    expect(at(1, "resolvedKind:song")).toBe(1);
  });
});

describe("ruleBaselineLabels", () => {
  it("triages the textbook cases", () => {
    expect(ruleBaselineLabels(turns, catalogue)).toEqual([
      "FALSE_WAKE",
      "CORRECT",
      "NLU",
      "CORRECT",
      "ER",
      "CORRECT",
      "ASR",
      "CORRECT",
      "RESULT",
    ]);
  });
});

describe("FailurePointClassifier", () => {
  it("round-trips through JSON and refuses a model of other features", () => {
    const world = simulateVoice({ seed: 2, users: 40, days: 4 });
    const simTurns = world.requests.map(turnFromEvent);
    const cat = turnCatalogue(world.catalogue);
    const model = FailurePointClassifier.train(
      simTurns,
      world.truth.map((t) => t.label),
      cat,
      { model: { epochs: 3 } },
    );
    const json = JSON.parse(JSON.stringify(model.toJSON()));
    expect(FailurePointClassifier.fromJSON(json).predict(simTurns, cat)).toEqual(
      model.predict(simTurns, cat),
    );
    expect(() => FailurePointClassifier.fromJSON({ ...json, featureNames: ["x"] })).toThrow(/other features/);
  });
});
