import { describe, expect, it } from "vitest";
import type { PlayEvent } from "../../schema/events.js";
import type { VoiceTurn } from "../voice/turn.js";
import { detectDefects, detectionQuality } from "./defects.js";

function turn(id: string, timeS: number, text: string, extra: Partial<VoiceTurn> = {}): VoiceTurn {
  return {
    requestId: id,
    user: "u",
    timeMs: timeS * 1000,
    text,
    responseKind: "play",
    bargeIn: false,
    ...extra,
  };
}

describe("detectDefects", () => {
  it("gives every reason a turn is defective", () => {
    const turns = [
      turn("a", 0, "play hallo", { playedMs: 4000, bargeIn: true }),
      turn("b", 8, "play hello by adele", { playedMs: 250_000 }),
      turn("c", 400, "whats the weather", { responseKind: "answer" }),
      turn("d", 500, "play qwzx", { responseKind: "dont-know" }),
    ];
    const v = detectDefects(turns);
    expect(v.map((x) => x.reasons)).toEqual([["barge-in", "short-play", "rephrased"], [], [], ["error"]]);
    expect(v.map((x) => x.defective)).toEqual([true, false, false, true]);
    expect(v[1].rephraseOf).toBe("a");
  });

  it("takes durations and barge-ins from play events", () => {
    const plays: PlayEvent[] = [
      {
        user: "u",
        item: "x",
        endTime: "2024-01-01T00:00:10Z",
        playedMs: 9000,
        requestId: "a",
        endReason: "barge-in",
      },
    ];
    const v = detectDefects([turn("a", 0, "play hello")], { plays });
    expect(v[0].reasons).toEqual(["barge-in", "short-play"]);
  });
});

describe("detectionQuality", () => {
  it("scores defects by turn and rephrases by the turn they link to", () => {
    const q = detectionQuality(
      [
        { requestId: "a", defective: true, reasons: ["error"], rephraseOf: null },
        { requestId: "b", defective: true, reasons: ["rephrased"], rephraseOf: "a" },
        { requestId: "c", defective: false, reasons: [], rephraseOf: "x" },
        { requestId: "d", defective: false, reasons: [], rephraseOf: null },
      ],
      [
        { requestId: "a", defective: true, rephraseOf: null },
        { requestId: "b", defective: false, rephraseOf: "a" },
        { requestId: "c", defective: true, rephraseOf: "b" },
        { requestId: "d", defective: false, rephraseOf: null },
      ],
    );
    expect(q.defects).toMatchObject({ precision: 0.5, recall: 0.5, truePositives: 1 });
    expect(q.rephrases).toMatchObject({ precision: 0.5, recall: 0.5, truePositives: 1 });
  });
});
