import { describe, expect, it } from "vitest";
import { buildRewriteTable } from "./markov.js";
import { sameMeaning } from "./meaning.js";
import type { RewriteTableOptions } from "./rewrite-table.js";

describe("sameMeaning on hand-made pairs", () => {
  it.each([
    ["goggle", "google", "spelling"],
    ["myspace", "my space", "spelling"],
    ["play serious chill", "play the station sirius chill", "spelling"],
    ["play the song suite dreams", "play sweet dreams song by eurythmics", "adds-detail"],
    ["play the song this pa cito", "play despacito song by luis fonsi", "adds-detail"],
    ["play the song hey dude", "play the song hey jude by the beatles", "adds-detail"],
    ["play hello", "play hello by adele", "adds-detail"],
    ["play gone girl", "play the audiobook gone girl", "adds-detail"],
    ["i want becoming", "play the book becoming", "adds-detail"],
    ["put on serious chill", "play serious chill station", "same-words"],
  ])("keeps the meaning: %s -> %s (%s)", (source, rewrite, reason) => {
    expect(sameMeaning(source, rewrite)).toEqual({ same: true, reason });
  });

  it.each([
    ["priceline", "travelocity", "other-words"],
    ["office max", "staples", "other-words"],
    ["linen n things", "bed bath and beyond", "other-words"],
    ["area codes", "yahoo", "other-words"],
    ["rite aid", "duane reade", "other-words"],
    ["play hello", "play goodbye", "other-words"],
    ["play the martian", "play the shining", "other-words"],
    ["play hello by adele", "play hello by taylor swift", "other-creator"],
    ["play the movie dune", "play the audiobook dune", "other-kind"],
  ])("changes the meaning: %s -> %s (%s)", (source, rewrite, reason) => {
    expect(sameMeaning(source, rewrite)).toEqual({ same: false, reason });
  });

  it("with the catalogue, judges the source against what the rewrite resolves to", () => {
    // The words are one letter apart, but the rewrite resolves to another title: another entity.
    expect(sameMeaning("play june", "play dune", { title: "Dune", creators: ["Frank Herbert"] }).same).toBe(
      true,
    );
    expect(sameMeaning("play june", "play dune", { title: "Sand Planet", creators: ["Someone"] })).toEqual({
      same: false,
      reason: "other-entity",
    });
    // A creator the source named, resolved to that creator's item.
    expect(
      sameMeaning("play adele hello", "play hello by adele", { title: "Hello", creators: ["Adele"] }).same,
    ).toBe(true);
  });
});

describe("the rewrite table keeps meanings", () => {
  const open: Partial<RewriteTableOptions> = {
    minSupportUsers: 1,
    minPathUsers: 0,
    minDefectRate: 0,
    minRewriteSuccess: 0,
    minGain: -1,
  };
  const chain = (user: string, states: string[]) => ({
    user,
    steps: states.map((state) => ({ state, byRewrite: false })),
    outcome: "SUCCESS" as const,
  });
  // Most users who fail on "priceline" go to its rival; a few correct a typo first.
  const chains = [
    ...["a", "b", "c", "d"].map((u) => chain(u, ["priceline", "travelocity"])),
    ...["e", "f"].map((u) => chain(u, ["priceline", "priceline com"])),
    ...["g", "h"].map((u) => chain(u, ["goggle", "google"])),
    chain("i", ["travelocity"]),
    chain("j", ["priceline com"]),
    chain("k", ["google"]),
  ];

  it("without the check the rival wins; with it the source gets the route that keeps its meaning", () => {
    const unchecked = buildRewriteTable(chains, open);
    expect(unchecked.lookup("priceline")?.rewrite).toBe("travelocity");
    const checked = buildRewriteTable(chains, open, sameMeaning);
    expect(checked.lookup("priceline")?.rewrite).toBe("priceline com");
    expect(checked.lookup("goggle")).toMatchObject({ rewrite: "google", meaning: "spelling" });
    expect(checked.stats.changedMeaning).toEqual([
      expect.objectContaining({ source: "priceline", rewrite: "travelocity", reason: "other-words" }),
    ]);
  });

  it("a source whose only routes change its meaning gets no rule", () => {
    const rivals = chains.filter((c) => !c.steps.some((s) => s.state === "priceline com"));
    const checked = buildRewriteTable(rivals, open, sameMeaning);
    expect(checked.lookup("priceline")).toBeUndefined();
    expect(checked.stats.rejected.meaning).toBe(1);
  });
});
