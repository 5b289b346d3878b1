import { describe, expect, it } from "vitest";
import type { VoiceTurn } from "../voice/turn.js";
import { buildRuleGates, contextKey, estimateGain, gateAllows, observeGate } from "./precision.js";
import { defaultRewriteOptions, type RewriteRule, RewriteTable } from "./rewrite-table.js";

const rule: RewriteRule = {
  source: "play gone girl",
  rewrite: "play the audiobook gone girl",
  support: 10,
  pathUsers: 4,
  sourceSuccess: 0.6,
  sourceFailure: 0.4,
  sourceDirectSuccess: 0.5,
  rewriteSuccess: 0.9,
  gain: 0.4,
  visits: 0.5,
  contribution: 0.45,
};

let clock = 0;
const turn = (user: string, text: string, item: string, deviceType: "tv" | "speaker"): VoiceTurn => {
  clock += 20_000;
  return {
    requestId: `r${clock}`,
    user,
    device: `${user}-${deviceType}`,
    timeMs: clock,
    text,
    resolvedItem: item,
    responseKind: "play",
    bargeIn: false,
    context: { deviceType, hasScreen: deviceType === "tv" },
  };
};

/**
 * "play gone girl" resolves to the film. On TVs people want the film and get it; on speakers they want
 * the audiobook, barge in and ask for it by kind. Each (user, session) is one chain; sessions are an hour
 * apart.
 */
function log() {
  const turns: VoiceTurn[] = [];
  const defective: boolean[] = [];
  const push = (t: VoiceTurn, d: boolean) => {
    turns.push(t);
    defective.push(d);
  };
  for (let day = 0; day < 2; day++) {
    for (const u of ["tv1", "tv2", "tv3", "tv4"]) {
      push(turn(u, "play gone girl", "movie-gone-girl", "tv"), false);
      clock += 3_600_000;
    }
    for (const u of ["sp1", "sp2", "sp3", "sp4"]) {
      push(turn(u, "play gone girl", "movie-gone-girl", "speaker"), true);
      push(turn(u, "play the audiobook gone girl", "audiobook-gone-girl", "speaker"), false);
      clock += 3_600_000;
    }
  }
  // Another listener on a speaker who wants the film: the source works for them.
  push(turn("sp5", "play gone girl", "movie-gone-girl", "speaker"), false);
  clock += 3_600_000;
  push(turn("sp5", "play gone girl", "movie-gone-girl", "speaker"), false);
  return { turns, defective };
}

describe("rule gates: apply a rewrite where it is precise", () => {
  const { turns, defective } = log();
  const gate = buildRuleGates(turns, defective, [rule]).get(rule.source)!;

  it("knows what the rewrite resolves to and scores each user's chains", () => {
    expect(gate.rewriteItem).toBe("audiobook-gone-girl");
    // Film fans on TV: the source worked, the rewrite would not (-1 each); audiobook fans: +0.9 each.
    expect(gate.users.tv1).toEqual({ n: 2, sum: -2, sumSq: 2 });
    expect(gate.users.sp1.sum).toBeCloseTo(1.8, 10);
    expect(gate.overall.n).toBe(9); // one vote per user
    expect(gate.contexts.tv).toBeUndefined();
    expect(gate.contexts["tv+screen"].n).toBe(4);
  });

  it("off on a TV, on for a speaker, and each user's own evidence wins over their context's", () => {
    const tv = estimateGain(gate, undefined, "tv+screen");
    const speaker = estimateGain(gate, undefined, "speaker");
    expect(tv.level).toBe("context");
    expect(gateAllows(tv)).toBe(false);
    expect(speaker.mean).toBeGreaterThan(0);
    expect(gateAllows(estimateGain(gate, "sp1", "speaker"))).toBe(true);
    // sp5 wants the film even on a speaker.
    expect(gateAllows(estimateGain(gate, "sp5", "speaker"))).toBe(false);
    // Someone never seen, in a context never seen: the overall estimate (audiobook fans are 4 of 9).
    expect(estimateGain(gate, "new", "car").level).toBe("overall");
  });

  it("learns from served turns: a rewrite that failed for a user turns the rule off for them", () => {
    const g = structuredClone(gate);
    expect(gateAllows(estimateGain(g, "sp2", "speaker"))).toBe(true);
    for (let i = 0; i < 6; i++) observeGate(g, rule, { user: "sp2", rewritten: true, worked: false });
    expect(gateAllows(estimateGain(g, "sp2", "speaker"))).toBe(false);
    // An as-is turn that failed says nothing yet.
    const before = structuredClone(g.users.tv1);
    observeGate(g, rule, { user: "tv1", rewritten: false, worked: false });
    expect(g.users.tv1).toEqual(before);
  });

  it("a table carries its gates through JSON and decides per user and context", () => {
    const stats = {} as RewriteTable["stats"];
    const table = new RewriteTable([rule], stats, defaultRewriteOptions, new Map([[rule.source, gate]]));
    const copy = RewriteTable.fromJSON(JSON.parse(JSON.stringify(table.toJSON())));
    expect(copy.decide("Play Gone Girl", "sp1", { deviceType: "speaker" })?.apply).toBe(true);
    expect(copy.decide("play gone girl", undefined, { deviceType: "tv", hasScreen: true })?.apply).toBe(
      false,
    );
    expect(copy.decide("play hello", "sp1")).toBeUndefined();
    // Without a gate a rule applies to everyone, as in the first round.
    expect(
      new RewriteTable([rule], stats, defaultRewriteOptions).decide("play gone girl", "tv1")?.apply,
    ).toBe(true);
  });

  it("context keys name the device type and the screen", () => {
    expect(contextKey({ deviceType: "tv", hasScreen: true })).toBe("tv+screen");
    expect(contextKey({ deviceType: "speaker", hasScreen: false })).toBe("speaker");
    expect(contextKey(undefined)).toBe("");
  });
});
