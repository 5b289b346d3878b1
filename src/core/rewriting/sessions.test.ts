import { describe, expect, it } from "vitest";
import {
  type LabelledTurn,
  labelByQuickFollowUp,
  reformulationChains,
  splitSessions,
  turnFromAolLine,
} from "./sessions.js";

const s = 1000;
const turn = (
  user: string,
  timeMs: number,
  text: string,
  defective = false,
  extra: Partial<LabelledTurn> = {},
) => ({
  user,
  timeMs,
  text,
  defective,
  ...extra,
});

describe("splitSessions", () => {
  it("cuts per user and device at pauses longer than the gap, whatever the input order", () => {
    const turns = [
      turn("b", 5 * s, "b1"),
      turn("a", 0, "a1"),
      turn("a", 50 * s, "a2"),
      turn("a", 111 * s, "a3"), // 61 s after a2: new session
      turn("a", 20 * s, "a-kitchen", false, { device: "kitchen" }),
      turn("b", 65 * s, "b2"), // exactly the gap: same session
    ];
    const sessions = splitSessions(turns, { gapMs: 60 * s });
    expect(sessions.map((x) => x.map((t) => t.text))).toEqual([
      ["a1", "a2"],
      ["b1", "b2"],
      ["a-kitchen"],
      ["a3"],
    ]);
    expect(splitSessions([...turns].reverse(), { gapMs: 60 * s })).toEqual(sessions);
  });
});

describe("reformulationChains", () => {
  it("ends a chain at the first successful turn, and with FAILURE when the session runs out", () => {
    const chains = reformulationChains([
      turn("u", 0, "Play Hey Dude!", true),
      turn("u", 10 * s, "play hey jude", false),
      turn("u", 20 * s, "play    hey jude", false), // a chain of one
      turn("u", 30 * s, "turn it up", true),
      turn("u", 40 * s, "TURN IT UP", true),
      turn("u", 500 * s, "stop", true), // new session
    ]);
    expect(chains).toEqual([
      {
        user: "u",
        steps: [
          { state: "play hey dude", byRewrite: false },
          { state: "play hey jude", byRewrite: false },
        ],
        outcome: "SUCCESS",
      },
      { user: "u", steps: [{ state: "play hey jude", byRewrite: false }], outcome: "SUCCESS" },
      {
        user: "u",
        steps: [
          { state: "turn it up", byRewrite: false },
          { state: "turn it up", byRewrite: false },
        ],
        outcome: "FAILURE",
      },
      { user: "u", steps: [{ state: "stop", byRewrite: false }], outcome: "FAILURE" },
    ]);
  });

  it("splits a rewritten turn into what was said and the rewrite, the edge marked as the assistant's", () => {
    const chains = reformulationChains([
      turn("u", 0, "play sirius channel 53", true, { rewrittenFrom: "Play Sirius XM Chill" }),
      turn("u", 10 * s, "play chill radio", false),
      turn("u", 20 * s, "play hey jude", false, { rewrittenFrom: "play hey jude" }), // no-op rewrite
    ]);
    expect(chains[0].steps).toEqual([
      { state: "play sirius xm chill", byRewrite: false },
      { state: "play sirius channel 53", byRewrite: true },
      { state: "play chill radio", byRewrite: false },
    ]);
    expect(chains[1].steps).toEqual([{ state: "play hey jude", byRewrite: false }]);
  });

  it("skips turns that normalize to nothing", () => {
    const chains = reformulationChains([turn("u", 0, "?!", true), turn("u", s, "play x", false)]);
    expect(chains).toEqual([
      { user: "u", steps: [{ state: "play x", byRewrite: false }], outcome: "SUCCESS" },
    ]);
  });
});

describe("labelByQuickFollowUp", () => {
  it("marks a request defective when another follows within the gap; repeats are one request", () => {
    const min = 60 * s;
    const out = labelByQuickFollowUp(
      [
        { user: "7", timeMs: 0, text: "goggle" },
        { user: "7", timeMs: 0, text: "goggle" }, // a second click on the same query
        { user: "7", timeMs: 2 * min, text: "google" },
        { user: "7", timeMs: 4 * min, text: "Google" }, // repeat: extends google to 4 min
        { user: "7", timeMs: 8 * min, text: "maps" }, // 4 min after the last google: still quick
        { user: "7", timeMs: 20 * min, text: "weather" }, // 12 min later: maps succeeded
        { user: "8", timeMs: min, text: "weather" },
      ],
      5 * min,
    );
    expect(out.map((t) => [t.user, t.text, t.timeMs / min, t.defective])).toEqual([
      ["7", "goggle", 0, true],
      ["7", "google", 4, true], // kept at its last repeat
      ["7", "maps", 8, false],
      ["7", "weather", 20, false],
      ["8", "weather", 1, false],
    ]);
    const chains = reformulationChains(out, { gapMs: 5 * min });
    expect(chains.map((c) => [c.steps.map((x) => x.state).join(" > "), c.outcome])).toEqual([
      ["goggle > google > maps", "SUCCESS"],
      ["weather", "SUCCESS"],
      ["weather", "SUCCESS"],
    ]);
  });
});

describe("turnFromAolLine", () => {
  it("reads a row as UTC and rejects the header and broken lines", () => {
    expect(turnFromAolLine("4945\trosa parks\t2006-03-01 15:58:56\thttp://www.achievement.org/")).toEqual({
      user: "4945",
      text: "rosa parks",
      timeMs: Date.UTC(2006, 2, 1, 15, 58, 56),
    });
    expect(turnFromAolLine("anon_id\tquery\tquery_time\tclick_url")).toBeNull();
    expect(turnFromAolLine("4945\t\t2006-03-01 15:58:56\tx")).toBeNull();
    expect(turnFromAolLine("")).toBeNull();
  });
});
