import { describe, expect, it } from "vitest";
import type { VoiceTurn } from "../voice/turn.js";
import { parsePreference } from "./parse-preference.js";
import { detectTeachableMoments } from "./teachable-moments.js";
import { NOW, testCatalogue } from "./test-catalogue.js";
import { catalogueVocabulary } from "./vocabulary.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const byId = new Map(testCatalogue.map((i) => [i.id, i]));
const describeItem = (id: string) => byId.get(id);

let next = 0;
function turn(text: string, atMs: number, extra: Partial<VoiceTurn> = {}): VoiceTurn {
  next++;
  return {
    requestId: `r${next}`,
    user: "ana",
    text,
    timeMs: atMs,
    responseKind: "play",
    bargeIn: false,
    ...extra,
  };
}

describe("detectTeachableMoments: repeated requests", () => {
  it("flags the same request repeated within minutes, and asks about what the user settled on", () => {
    const turns = [
      turn("play hello", NOW - 3 * MINUTE, { resolvedItem: "hello-richie", playedMs: 4000, bargeIn: true }),
      turn("Alexa, play Hello", NOW - 2 * MINUTE, { resolvedItem: "hello-adele", playedMs: 200_000 }),
    ];
    const moments = detectTeachableMoments(turns, NOW, { describeItem });
    expect(moments).toEqual([
      {
        kind: "repeated-request",
        suggestion: 'Should I remember that you mean Hello by Adele when you say "Alexa, play Hello"?',
        turnIds: [turns[0].requestId, turns[1].requestId],
        request: "Alexa, play Hello",
        meant: "Hello by Adele",
        meantItem: "hello-adele",
      },
    ]);
  });

  it("counts near-identical texts (a recogniser's slip) as the same request", () => {
    const turns = [
      turn("play hello by adel", NOW - 40 * SECOND, { resolvedItem: "hello-richie", bargeIn: true }),
      turn("play hello by adele", NOW - 30 * SECOND, { resolvedItem: "hello-richie", bargeIn: true }),
      turn("play hello by adele", NOW - 5 * SECOND, { resolvedItem: "hello-richie" }),
    ];
    const [moment] = detectTeachableMoments(turns, NOW);
    expect(moment.kind).toBe("repeated-request");
    expect(moment.turnIds).toHaveLength(3);
    // Always the same wrong answer: nothing to claim the user meant.
    expect(moment.meant).toBeUndefined();
    expect(moment.suggestion).toBe(
      'You asked for "play hello by adele" 3 times. Should I remember what you mean by it?',
    );
  });

  it("ignores a replay after the answer played through, other users, controls and old turns", () => {
    const replay = [
      turn("play jolene", NOW - 4 * MINUTE, { resolvedItem: "jolene", playedMs: 160_000 }),
      turn("play jolene", NOW - 1 * MINUTE, { resolvedItem: "jolene" }),
    ];
    expect(detectTeachableMoments(replay, NOW)).toEqual([]);
    const otherUser = [
      turn("play jolene", NOW - MINUTE, { user: "bo" }),
      turn("play jolene", NOW - 10 * SECOND),
    ];
    expect(detectTeachableMoments(otherUser, NOW)).toEqual([]);
    const controls = [turn("next", NOW - 20 * SECOND), turn("next", NOW - 10 * SECOND)];
    expect(detectTeachableMoments(controls, NOW)).toEqual([]);
    const apart = [turn("play jolene", NOW - 20 * MINUTE), turn("play jolene", NOW - 10 * SECOND)];
    expect(detectTeachableMoments(apart, NOW)).toEqual([]);
    const stale = [turn("play jolene", NOW - 30 * MINUTE), turn("play jolene", NOW - 29 * MINUTE)];
    expect(detectTeachableMoments(stale, NOW)).toEqual([]);
    const different = [turn("play jolene", NOW - MINUTE), turn("play skyfall", NOW - 10 * SECOND)];
    expect(detectTeachableMoments(different, NOW)).toEqual([]);
  });

  it("ignores turns after now", () => {
    const turns = [turn("play jolene", NOW - MINUTE), turn("play jolene", NOW + MINUTE)];
    expect(detectTeachableMoments(turns, NOW)).toEqual([]);
  });
});

describe("detectTeachableMoments: dissatisfaction", () => {
  it('asks about the meaning when the user corrects ("no, I said …")', () => {
    const turns = [
      turn("play hello", NOW - 20 * SECOND, { resolvedItem: "hello-richie" }),
      turn("No, I said Hello by Adele", NOW - 10 * SECOND),
    ];
    expect(detectTeachableMoments(turns, NOW)).toEqual([
      {
        kind: "dissatisfaction",
        suggestion: 'Should I remember that you mean "hello by adele" when you say "play hello"?',
        turnIds: [turns[0].requestId, turns[1].requestId],
        request: "play hello",
        meant: "hello by adele",
      },
    ]);
  });

  it("proposes a preference the parser accepts when the user rejects what was played", () => {
    const turns = [
      turn("play something relaxing", NOW - 15 * SECOND, { resolvedItem: "ring-of-fire" }),
      turn("not that", NOW - 5 * SECOND),
    ];
    const [moment] = detectTeachableMoments(turns, NOW, { describeItem });
    expect(moment.kind).toBe("dissatisfaction");
    expect(moment.suggestion).toBe(
      'Should I remember that you don\'t want Ring of Fire by Johnny Cash when you say "play something relaxing"?',
    );
    expect(moment.proposal).toBe("I don't like Ring of Fire by Johnny Cash");
    const parsed = parsePreference(moment.proposal!, NOW, catalogueVocabulary(testCatalogue));
    expect("fact" in parsed && parsed.fact.target).toMatchObject({ type: "entity", itemId: "ring-of-fire" });
  });

  it.each(["no", "Nope.", "wrong song", "that's not what I asked for", "stop", "ugh, not this one"])(
    "%j right after an answer is dissatisfaction",
    (text) => {
      const turns = [
        turn("play hello", NOW - 20 * SECOND, { resolvedItem: "hello-richie" }),
        turn(text, NOW),
      ];
      expect(detectTeachableMoments(turns, NOW).map((m) => m.kind)).toEqual(["dissatisfaction"]);
    },
  );

  it("needs an answer just before: a late stop or a lone no teaches nothing", () => {
    expect(detectTeachableMoments([turn("no", NOW)], NOW)).toEqual([]);
    const late = [turn("play hello", NOW - 4 * MINUTE, { resolvedItem: "hello-adele" }), turn("stop", NOW)];
    expect(detectTeachableMoments(late, NOW)).toEqual([]);
  });

  it('does not take titles that start with "no" for a complaint', () => {
    const turns = [
      turn("play jolene", NOW - 20 * SECOND, { resolvedItem: "jolene" }),
      turn("no scrubs", NOW),
    ];
    expect(detectTeachableMoments(turns, NOW)).toEqual([]);
  });

  it("looks past a first complaint to the answer complained about", () => {
    const turns = [
      turn("play skyfall", NOW - 30 * SECOND, { resolvedItem: "hello-adele" }),
      turn("no", NOW - 20 * SECOND),
      turn("I said Skyfall", NOW - 10 * SECOND),
    ];
    const [moment] = detectTeachableMoments(turns, NOW);
    expect(moment).toMatchObject({ request: "play skyfall", meant: "skyfall" });
    expect(moment.turnIds).toEqual([turns[0].requestId, turns[2].requestId]);
  });
});
