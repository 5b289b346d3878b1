import { describe, expect, it } from "vitest";
import type { VoiceTurn } from "../../voice/turn.js";
import { PersonalIndex, substituteEntity } from "./personal-index.js";
import { playDurationAffinity } from "./play-affinity.js";

const DAY = 24 * 3600 * 1000;
let seq = 0;
function turn(user: string, timeMs: number, text: string, item: string, playedMs = 200_000): VoiceTurn {
  return {
    requestId: `r${++seq}`,
    user,
    timeMs,
    text,
    resolvedItem: item,
    responseKind: "play",
    bargeIn: false,
    playedMs,
  };
}

describe("PersonalIndex", () => {
  it("indexes a user's successes only, weighted by affinity, recency and count", () => {
    const turns = [
      turn("u", 0, "play we don't talk anymore", "wdta"),
      turn("u", 1000, "play we don't talk anymore", "wdta"),
      turn("u", 2000, "play warm tunes", "warm", 5000),
      turn("v", 3000, "play we don't talk anymore", "wdta"),
    ];
    const index = new PersonalIndex(playDurationAffinity(turns));
    index.observe(turns[0], true);
    index.observe(turns[1], true);
    index.observe(turns[2], true);
    index.observe(turn("u", 4000, "play nothing useful", "x"), false);
    expect(index.entriesOf("u").map((e) => [e.text, e.count])).toEqual([
      ["play we dont talk anymore", 2],
      ["play warm tunes", 1],
    ]);
    expect(index.entriesOf("v")).toEqual([]);
    const hits = index.nearest("u", "play we dont talk any more", 5, 2000);
    expect(hits[0].entry.item).toBe("wdta");
    expect(hits[0].affinity).toBeCloseTo(3 / 4);
    const later = index.nearest("u", "play we dont talk any more", 5, 2000 + 60 * DAY)[0];
    expect(later.weight).toBeCloseTo(hits[0].weight / 4, 5);
    const warm = index.entriesOf("u")[1];
    expect(index.weightOf("u", warm, 2000).weight).toBeLessThan(hits[0].weight);
  });

  it("keeps at most maxEntriesPerUser, dropping the stalest", () => {
    const index = new PersonalIndex(undefined, { maxEntriesPerUser: 2 });
    index.observe(turn("u", 0, "play a song", "a"), true);
    index.observe(turn("u", 10, "play b song", "b"), true);
    index.observe(turn("u", 20, "play c song", "c"), true);
    expect(index.entriesOf("u").map((e) => e.item)).toEqual(["b", "c"]);
  });

  it("puts entities into the user's phrasing, naming the creator", () => {
    expect(
      substituteEntity("hey play we dont talk any more please", "We Don't Talk Anymore", "Charlie Puth"),
    ).toBe("hey play We Don't Talk Anymore by Charlie Puth please");
    expect(substituteEntity("play hallo by adel", "Hello", "Adele")).toBe("play Hello by Adele");
    expect(substituteEntity("play hallo", "Hello", undefined)).toBe("play Hello");
    const index = new PersonalIndex();
    index.addEntity("u", { id: "wdta", title: "We Don't Talk Anymore", creators: ["Charlie Puth"] }, 0);
    expect(index.entriesOf("u")[0]).toMatchObject({
      source: "entity",
      text: "we dont talk anymore by charlie puth",
    });
  });

  it("remembers a user's own reformulations, found by what failed", () => {
    const index = new PersonalIndex(() => 0.9);
    const failed: VoiceTurn = {
      ...turn("u", 0, "play my jam", "x"),
      resolvedItem: undefined,
      responseKind: "dont-know",
    };
    const fixed = turn("u", 20_000, "play mountain whisper by greta sato", "mw");
    index.observeReformulation(failed, fixed);
    const hit = index.nearest("u", "put on my jam", 3, 30_000)[0];
    expect(hit.entry).toMatchObject({
      source: "reformulation",
      text: "play mountain whisper by greta sato",
      item: "mw",
    });
    expect(hit.similarity).toBeCloseTo(1, 5);
    expect(index.nearest("v", "put on my jam", 3, 30_000)).toEqual([]);
  });

  it("forgets a success that turned out to be rephrased", () => {
    const index = new PersonalIndex();
    const t = turn("u", 0, "play hello", "hello-adele");
    index.observe(t, true);
    index.observe(t, true);
    index.forget(t);
    expect(index.entriesOf("u")[0].count).toBe(1);
    index.forget(t);
    expect(index.entriesOf("u")).toEqual([]);
  });
});
