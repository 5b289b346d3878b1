import { describe, expect, it } from "vitest";
import { parseRequest } from "../../matching/request.js";
import { Random } from "../../random.js";
import { firstPlan, mispronounce, renderPlan, rephrasePlan, type UtterancePlan } from "./phrasing.js";

const plan = (over: Partial<UtterancePlan> = {}): UtterancePlan => ({
  kind: "audiobook",
  title: "The Hunger Games",
  name: "the hunger games",
  creator: null,
  kindWord: false,
  style: 0,
  clear: false,
  quirk: null,
  ...over,
});

describe("phrasing", () => {
  it("renders plans the request parser reads back", () => {
    for (let s = 0; s < 1; s += 0.2) {
      const text = renderPlan(
        plan({ kindWord: true, creator: "Suzanne Collins", style: s }),
        "Suzanne Collins",
      );
      expect(parseRequest(text)).toMatchObject({
        title: "the hunger games",
        creator: "suzanne collins",
        kindHint: "audiobook",
      });
    }
    expect(renderPlan(plan(), "Suzanne Collins")).toBe("play the hunger games");
  });

  it("rewords after a defect by answering what went wrong", () => {
    const rng = new Random(1);
    const kinds = rephrasePlan(rng, plan(), "wrong-kind", "Suzanne Collins");
    expect(kinds.kindWord).toBe(true);
    let creators = 0;
    for (let k = 0; k < 200; k++)
      if (rephrasePlan(rng, plan(), "wrong-item", "Suzanne Collins").creator !== null) creators++;
    expect(creators).toBeGreaterThan(120);
    const nickname = plan({ name: "the bedtime story", quirk: "nickname" });
    let real = 0;
    for (let k = 0; k < 200; k++)
      if (rephrasePlan(rng, nickname, "nothing", "x").name === "the hunger games") real++;
    expect(real).toBeGreaterThan(140);
    expect(rephrasePlan(rng, plan({ name: "the hunger" }), "nothing", "x").name).toBe("the hunger games");
  });

  it("starts from varied wordings, never naming a movie's director", () => {
    const rng = new Random(2);
    const texts = new Set<string>();
    for (let k = 0; k < 300; k++) {
      const p = firstPlan(rng, "movie", "The Hunger Games", "Gary Ross", null);
      expect(p.creator).toBeNull();
      texts.add(renderPlan(p, "Gary Ross"));
    }
    expect(texts.size).toBeGreaterThan(4);
    expect(texts).toContain("play the hunger games");
    expect(texts).toContain("watch the hunger games");
  });

  it("mispronounces consistently and visibly", () => {
    const out = mispronounce(new Random(3), "Lullaby Island");
    expect(out).not.toBeNull();
    expect(out).not.toBe("lullaby island");
    expect(mispronounce(new Random(3), "Lullaby Island")).toBe(out);
    expect(mispronounce(new Random(3), "Go")).toBeNull();
  });
});
