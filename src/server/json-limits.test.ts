import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { checkJsonLimits, type JsonLimits } from "./json-limits.js";

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

/**
 * The check as first written, one character at a time (a backslash in a string skips the next character):
 * the slow, obvious reference for the one that crosses strings with indexOf.
 */
function charByCharCheck(text: string, limits: JsonLimits) {
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  const tooLong = () => ({
    code: "json-string-too-long",
    message: `JSON string longer than ${limits.maxStringLength} characters (starting at character ${stringStart})`,
  });
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') {
        inString = false;
        if (i - stringStart > limits.maxStringLength) return tooLong();
      } else if (i - stringStart >= limits.maxStringLength) return tooLong();
      continue;
    }
    if (c === '"') {
      inString = true;
      stringStart = i + 1;
    } else if (c === "[" || c === "{") {
      if (++depth > limits.maxDepth)
        return {
          code: "json-too-deep",
          message: `JSON nested deeper than ${limits.maxDepth} levels (at character ${i})`,
        };
    } else if (c === "]" || c === "}") depth--;
  }
  if (inString && text.length - stringStart > limits.maxStringLength) return tooLong();
  return null;
}

describe("checkJsonLimits", () => {
  it("gives the character-by-character check's answer and message on random text, JSON or not", () => {
    const rng = new Random(19);
    const alphabet = ['"', '"', "\\", "\\", "[", "{", "]", "}", "a", ":", ",", "1", "😀"];
    for (let trial = 0; trial < 20_000; trial++) {
      const text = Array.from({ length: rng.int(40) }, () => alphabet[rng.int(alphabet.length)]).join("");
      const limits = { maxDepth: 1 + rng.int(5), maxStringLength: rng.int(8) };
      expect(checkJsonLimits(text, limits), text).toEqual(charByCharCheck(text, limits));
    }
  });

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
