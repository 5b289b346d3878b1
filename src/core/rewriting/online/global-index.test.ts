import { describe, expect, it } from "vitest";
import type { VoiceTurn } from "../../voice/turn.js";
import { GlobalIndex } from "./global-index.js";

let seq = 0;
function turn(user: string, text: string, resolvedItem?: string, ok = true): VoiceTurn {
  return {
    requestId: `r${++seq}`,
    user,
    timeMs: seq * 1000,
    text,
    resolvedItem,
    responseKind: ok ? "play" : "error",
    bargeIn: false,
  };
}

describe("GlobalIndex", () => {
  const turns = [
    turn("a", "play despacito by luis fonsi", "desp"),
    turn("b", "Play Despacito by Luis Fonsi", "desp"),
    turn("c", "play despacito by luis fonsi", "desp"),
    turn("c", "play this pa cito", undefined, false),
    turn("a", "play my own mix", "mix"),
    turn("a", "play my own mix", "mix"),
    turn("d", "play hello", "hello-adele"),
    turn("e", "play hello", "hello-lionel"),
    turn("f", "play hello", "hello-adele"),
    turn("g", "play hello", "hello-adele", false),
  ];
  const ok = (t: VoiceTurn) => t.responseKind !== "error";

  it("keeps wordings that worked for several users, per item", () => {
    const index = GlobalIndex.build(turns, ok);
    expect(index.all().map((e) => [e.text, e.item, e.count, e.users])).toEqual([
      ["play despacito by luis fonsi", "desp", 3, 3],
      ["play hello", "hello-adele", 2, 2],
    ]);
    const hello = index.all()[1];
    expect(hello.itemShare).toBeCloseTo(2 / 3);
    expect(hello.successRate).toBeCloseTo((3 + 1) / (4 + 2));
    expect(index.statsOf("PLAY HELLO")).toMatchObject({ turns: 4, successes: 3, users: 4 });
    expect(index.statsOf("play this pa cito")).toMatchObject({ turns: 1, successes: 0 });
    expect(index.statsOf("never said")).toBeUndefined();
  });

  it("retrieves the nearest successful requests for a misheard one", () => {
    const hits = GlobalIndex.build(turns, ok).nearest("play the spa cito by louis fonsy", 3);
    expect(hits[0].entry.item).toBe("desp");
    expect(hits[0].similarity).toBeGreaterThan(0.4);
  });

  it("learns what failed wordings were reformulated into", () => {
    const log = [
      turn("u1", "play this pa cito", undefined, false),
      turn("u1", "play despacito by luis fonsi", "desp"),
      turn("u2", "play this pa cito", undefined, false),
      turn("u2", "play despacito", "desp"),
      turn("u3", "play this pa cito", undefined, false),
      turn("u3", "play despacito", "desp"),
    ];
    const index = GlobalIndex.build(log, ok, {}, [
      { from: 0, to: 1 },
      { from: 2, to: 3 },
      { from: 4, to: 5 },
    ]);
    const reformulations = index.all().filter((e) => e.source === "reformulation");
    expect(reformulations).toHaveLength(1);
    expect(reformulations[0]).toMatchObject({
      key: "play this pa cito",
      text: "play despacito",
      item: "desp",
      users: 2,
      share: 2 / 3,
    });
    // Found by the failed wording, which looks nothing like the fix.
    const hit = index.nearest("play this pa cito", 5).find((h) => h.entry.source === "reformulation");
    expect(hit?.similarity).toBeCloseTo(1, 5);
  });
});
