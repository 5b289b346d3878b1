import { describe, expect, it } from "vitest";
import { buildDirectedGraph } from "../directed/graph.js";
import { transitionCountScorer } from "../directed/next-play.js";
import { listeningFollows, simulateFollowUps } from "../simulate/voice/follow-ups.js";
import { simulateVoice } from "../simulate/voice/simulate.js";
import { answerFollowUp, followUpKind } from "./follow-up.js";

describe("follow-up turns", () => {
  it("tells the three follow-ups from requests that name something", () => {
    for (const t of [
      "play the next one",
      "Next track.",
      "play what comes next",
      "the next one please",
      "play the next song",
    ])
      expect(followUpKind(t), t).toBe("next");
    for (const t of ["play it again", "play that again", "one more time", "Repeat that!", "again please"])
      expect(followUpKind(t), t).toBe("again");
    for (const t of [
      "play something like this",
      "more like this",
      "something similar",
      "play more like that",
    ])
      expect(followUpKind(t), t).toBe("like-this");
    for (const t of [
      "play next to me",
      "play hello",
      "play the next episode of serial by npr",
      "something else",
    ])
      expect(followUpKind(t), t).toBeNull();
  });

  it("answers next from the directed transitions, again with the item, and nothing without a previous play", () => {
    // Album 0 -> 1 -> 2 played in order by many listeners: from 1 the next one is 2, never 0.
    const g = buildDirectedGraph(3, {
      sources: Int32Array.from([0, 1, 0, 1]),
      targets: Int32Array.from([1, 2, 1, 2]),
      weights: new Float32Array(4).fill(1),
    });
    const scorer = transitionCountScorer(g);
    const out = new Float64Array(3);
    const next = (i: number) => {
      scorer.scoreAll(i, out);
      out[i] = Number.NEGATIVE_INFINITY;
      return out.indexOf(Math.max(...out));
    };
    const answerers = { next, likeThis: () => null };
    expect(answerFollowUp("next", 1, answerers)).toBe(2);
    expect(answerFollowUp("next", 0, answerers)).toBe(1);
    expect(answerFollowUp("again", 1, answerers)).toBe(1);
    expect(answerFollowUp("like-this", 1, answerers)).toBeNull();
    expect(answerFollowUp("next", null, answerers)).toBeNull();
  });

  it("simulates follow-ups apart from the world, with the listening world's order as the truth", () => {
    const world = simulateVoice({ users: 30, days: 3, items: 300, seed: 2 });
    const requests = world.requests.length;
    const turns = simulateFollowUps(world, { share: 0.5 });
    expect(world.requests.length).toBe(requests);
    expect(simulateFollowUps(world, { share: 0.5 })).toEqual(turns);
    expect(turns.length).toBeGreaterThan(10);
    const follows = listeningFollows(world);
    const index = new Map(world.model.items.map((id, i) => [id, i]));
    for (const t of turns) {
      expect(followUpKind(t.text)).toBe(t.kind);
      const prev = index.get(t.previousItem)!;
      expect(prev).toBeLessThan(world.options.items);
      if (t.kind === "again") expect(t.acceptable).toEqual([t.previousItem]);
      if (t.kind === "next") expect(t.acceptable).toEqual([world.model.items[follows[prev]]]);
      if (t.kind === "like-this") expect(t.acceptable).not.toContain(t.previousItem);
    }
    expect(new Set(turns.map((t) => t.kind)).size).toBe(3);
  });
});
