import { describe, expect, it } from "vitest";
import type { VoiceTurn } from "../../voice/turn.js";
import type { DefectVerdict } from "../defects.js";
import { reformulationPairs } from "./reformulations.js";

function turn(id: string): VoiceTurn {
  return { requestId: id, user: "u", timeMs: 0, text: id, responseKind: "play", bargeIn: false };
}
function verdict(id: string, defective: boolean, rephraseOf: string | null = null): DefectVerdict {
  return { requestId: id, defective, reasons: defective ? ["error"] : [], rephraseOf };
}

describe("reformulationPairs", () => {
  it("pairs every failed turn of a chain with the success that ended it", () => {
    const turns = ["a", "b", "c", "d", "e", "f"].map(turn);
    const verdicts = [
      verdict("a", true),
      verdict("b", true, "a"),
      verdict("c", false, "b"),
      verdict("d", true),
      verdict("e", true, "d"),
      verdict("f", false),
    ];
    // a -> b -> c succeeded; d -> e never did (f is a new request).
    expect(reformulationPairs(turns, verdicts)).toEqual([
      { from: 0, to: 2 },
      { from: 1, to: 2 },
    ]);
  });
});
