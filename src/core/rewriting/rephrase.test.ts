import { describe, expect, it } from "vitest";
import type { VoiceTurn } from "../voice/turn.js";
import {
  detectRephrases,
  rephraseScore,
  rephraseSimilarity,
  requestContent,
  signalReasons,
} from "./rephrase.js";

let seq = 0;
function turn(user: string, timeS: number, text: string, extra: Partial<VoiceTurn> = {}): VoiceTurn {
  return {
    requestId: `r${++seq}`,
    user,
    device: `${user}-d`,
    timeMs: timeS * 1000,
    text,
    responseKind: "play",
    bargeIn: false,
    ...extra,
  };
}

describe("rephraseScore", () => {
  it("compares what the requests name, not how they ask", () => {
    expect(requestContent("Hey, put on the song Hello by Adele please")).toBe("hello adele");
    expect(rephraseScore("play hello by adele", "put on hello by adele")).toBe(1);
  });

  it("sees misheard and extended requests as rephrases, different titles not", () => {
    const misheard = rephraseScore("play hallo by adel", "play hello by adele");
    const extended = rephraseScore("play hello", "play hello by adele");
    const other = rephraseScore("play hello", "play thriller");
    expect(misheard).toBeGreaterThan(0.6);
    expect(extended).toBeGreaterThan(0.55);
    expect(other).toBeLessThan(0.3);
    expect(rephraseSimilarity("play night fever", "play knight fever").phonetic).toBe(1);
  });
});

describe("signalReasons", () => {
  it("flags barge-ins, errors and short plays", () => {
    expect(signalReasons(turn("u", 0, "x", { bargeIn: true, playedMs: 2000 }), undefined)).toEqual([
      "barge-in",
      "short-play",
    ]);
    expect(signalReasons(turn("u", 0, "x", { responseKind: "dont-know" }), undefined)).toEqual(["error"]);
    expect(signalReasons(turn("u", 0, "x", { playedMs: 200_000 }), undefined)).toEqual([]);
    // A 20 s jingle played to its end is not cut short.
    expect(signalReasons(turn("u", 0, "x", { playedMs: 20_000 }), { itemLengthMs: 20_500 })).toEqual([]);
  });
});

describe("detectRephrases", () => {
  it("links a retry after a defect to the turn it retries, per user and device", () => {
    const a = turn("u1", 0, "play hallo by adel", { responseKind: "error" });
    const other = turn("u2", 2, "play hello by adele");
    const b = turn("u1", 6, "play hello by adele", { playedMs: 240_000 });
    const c = turn("u1", 250, "play thriller", { playedMs: 200_000 });
    const links = detectRephrases([a, other, b, c]);
    expect(links.map((l) => l.rephraseOf)).toEqual([null, null, a.requestId, null]);
  });

  it("keeps chains: each retry rephrases the previous one", () => {
    const a = turn("u", 0, "play we dont talk any more", { playedMs: 3000, bargeIn: true });
    const b = turn("u", 5, "play we don't talk anymore", { playedMs: 4000 });
    const c = turn("u", 12, "play we don't talk anymore by charlie puth", { playedMs: 200_000 });
    expect(detectRephrases([a, b, c]).map((l) => l.rephraseOf)).toEqual([null, a.requestId, b.requestId]);
  });

  it("ignores retries past the gap and near repeats without a defect signal", () => {
    const a = turn("u", 0, "play hello", { responseKind: "error" });
    const late = turn("u", 200, "play hello by adele");
    expect(detectRephrases([a, late])[1].rephraseOf).toBeNull();
    const ok = turn("u", 0, "play hello", { playedMs: 240_000 });
    const next = turn("u", 250, "play hello by lionel richie");
    expect(detectRephrases([ok, next])[1].rephraseOf).toBeNull();
  });
});
