import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { checkJsonLimits } from "./json-limits.js";

/** Slow reference: parse, then walk the value for its nesting and its longest string as written. */
function reference(value: unknown): { depth: number; longest: number } {
  if (typeof value === "string") return { depth: 0, longest: JSON.stringify(value).length - 2 };
  if (value === null || typeof value !== "object") return { depth: 0, longest: 0 };
  const entries = Array.isArray(value) ? value.map((v) => ["", v] as const) : Object.entries(value);
  let depth = 0;
  let longest = 0;
  for (const [key, v] of entries) {
    const inner = reference(v);
    depth = Math.max(depth, inner.depth);
    longest = Math.max(longest, inner.longest, key === "" ? 0 : JSON.stringify(key).length - 2);
  }
  return { depth: depth + 1, longest };
}

function randomValue(rng: Random, depth: number): unknown {
  const pick = rng.next();
  if (depth > 0 && pick < 0.35) return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth - 1));
  if (depth > 0 && pick < 0.7) {
    const out: Record<string, unknown> = {};
    for (let k = rng.int(4); k > 0; k--) out[randomString(rng)] = randomValue(rng, depth - 1);
    return out;
  }
  if (pick < 0.85) return randomString(rng);
  return pick < 0.92 ? rng.next() * 100 : pick < 0.96 ? null : true;
}

/** Strings with quotes, backslashes, brackets, control characters and astral characters in them. */
function randomString(rng: Random): string {
  const alphabet = ['"', "\\", "[", "{", "]", "}", "a", "é", "\n", "\u0001", "😀", " "];
  return Array.from({ length: rng.int(12) }, () => alphabet[rng.int(alphabet.length)]).join("");
}

describe("checkJsonLimits", () => {
  it("agrees with a parse-and-walk reference on random JSON", () => {
    const rng = new Random(7);
    for (let trial = 0; trial < 2000; trial++) {
      const value = randomValue(rng, 1 + rng.int(7));
      const text = JSON.stringify(value, null, rng.next() < 0.5 ? 0 : 1);
      const limits = { maxDepth: 1 + rng.int(6), maxStringLength: rng.int(20) };
      const { depth, longest } = reference(value);
      const tooDeep = depth > limits.maxDepth;
      const tooLong = longest > limits.maxStringLength;
      const found = checkJsonLimits(text, limits);
      expect(found !== null, text).toBe(tooDeep || tooLong);
      if (tooDeep && !tooLong) expect(found?.code).toBe("json-too-deep");
      if (tooLong && !tooDeep) expect(found?.code).toBe("json-string-too-long");
    }
  });

  it("refuses a bracket bomb and a huge string, and passes an ordinary batch", () => {
    const bomb = `{"events":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    expect(checkJsonLimits(bomb)?.code).toBe("json-too-deep");
    expect(checkJsonLimits(JSON.stringify({ text: "x".repeat(70_000) }))?.code).toBe("json-string-too-long");
    const batch = JSON.stringify({
      events: Array.from({ length: 1000 }, (_, k) => ({
        user: `u${k}`,
        item: "a|b",
        context: { extra: { k } },
      })),
    });
    expect(checkJsonLimits(batch)).toBeNull();
  });
});
