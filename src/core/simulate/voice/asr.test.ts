import { describe, expect, it } from "vitest";
import { Random } from "../../random.js";
import { confusionsIn, hear, slip } from "./asr.js";

const off = { randomRate: 0, systematicRate: 0, withCreator: false, clear: false };

describe("hear", () => {
  it("returns the normalized words when nothing goes wrong", () => {
    const h = hear(new Random(1), "Play We Don't Talk Anymore!", off);
    expect(h).toMatchObject({
      text: "play we dont talk anymore",
      said: "play we dont talk anymore",
      systematic: null,
      random: false,
    });
  });

  it("hears a confusable phrase as its confusion for everyone, less often with the creator named", () => {
    const rng = new Random(2);
    const rate = (withCreator: boolean) => {
      let misheard = 0;
      for (let k = 0; k < 4000; k++) {
        const h = hear(rng, "play hey jude", { ...off, systematicRate: 0.6, withCreator });
        if (h.text === "play hey dude") misheard++;
      }
      return misheard / 4000;
    };
    expect(rate(false)).toBeGreaterThan(0.57);
    expect(rate(false)).toBeLessThan(0.63);
    expect(rate(true)).toBeLessThan(0.25);
    expect(confusionsIn("play the bad guys")).toEqual([]);
    expect(confusionsIn("play bad guy").map((c) => c.heard)).toEqual(["bad guys"]);
  });

  it("slips at the configured rate with lower but overlapping confidence", () => {
    const rng = new Random(3);
    const ok: number[] = [];
    const slipped: number[] = [];
    for (let k = 0; k < 4000; k++) {
      const h = hear(rng, "play midnight train by nina castillo", { ...off, randomRate: 0.2 });
      (h.random ? slipped : ok).push(h.confidence);
      if (h.random) expect(h.text).not.toBe(h.said);
    }
    expect(slipped.length / 4000).toBeGreaterThan(0.17);
    expect(slipped.length / 4000).toBeLessThan(0.23);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(slipped)).toBeLessThan(mean(ok) - 0.2);
    expect(Math.max(...slipped)).toBeGreaterThan(Math.min(...ok));
  });

  it("draws the same number of random numbers whatever happens", () => {
    const a = new Random(4);
    const b = new Random(4);
    hear(a, "play hey jude", { ...off, randomRate: 1, systematicRate: 1 });
    hear(b, "x", off);
    expect(a.next()).toBe(b.next());
  });
});

describe("slip", () => {
  it("garbles one content word", () => {
    for (let k = 0; k < 50; k++) {
      const out = slip("play golden river by nina castillo", k / 50, ((k * 7) % 50) / 50);
      expect(out).not.toBe("play golden river by nina castillo");
      expect(out.startsWith("play ")).toBe(true);
    }
    expect(slip("play night", 0.9, 0)).toBe("play knight");
  });
});
