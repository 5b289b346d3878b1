import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { addTypo, makeCreatorName, makeTitle, uniqueName } from "./names.js";
import { requestText } from "./requests.js";

describe("requestText", () => {
  const hello = { title: "Hello", creator: "Adele", kind: "song" };

  it("names the creator only when asked to", () => {
    const rng = new Random(5);
    for (let k = 0; k < 200; k++) {
      expect(requestText(rng, hello, true, 0).toLowerCase()).toContain("adele");
      const bare = requestText(rng, hello, false, 0).toLowerCase();
      expect(bare).toContain("hello");
      expect(bare).not.toContain("adele");
    }
  });

  it("varies phrasing and case, and sometimes mistypes the title", () => {
    const rng = new Random(6);
    const texts = Array.from({ length: 500 }, () => requestText(rng, hello, false, 0.2));
    expect(texts).toContain("play hello");
    expect(texts).toContain("PLAY HELLO");
    expect(texts.some((t) => t.startsWith("Put on Hello"))).toBe(true);
    const typos = texts.filter((t) => !t.toLowerCase().includes("hello")).length;
    expect(typos).toBeGreaterThan(50);
    expect(typos).toBeLessThan(150);
  });
});

describe("names", () => {
  it("makes one slip per typo", () => {
    const rng = new Random(1);
    for (let k = 0; k < 200; k++) {
      const typo = addTypo(rng, "Midnight Train");
      expect(typo).not.toBe("Midnight Train");
      expect(Math.abs(typo.length - "Midnight Train".length)).toBeLessThanOrEqual(1);
    }
    expect(addTypo(rng, "Go")).toBe("Go");
  });

  it("never hands out a name twice", () => {
    const rng = new Random(2);
    const used = new Set<string>();
    const titles = Array.from({ length: 3000 }, () => uniqueName(rng, used, makeTitle));
    expect(new Set(titles).size).toBe(3000);
    const creators = Array.from({ length: 2000 }, () => uniqueName(rng, used, makeCreatorName));
    expect(new Set(creators).size).toBe(2000);
  });
});
