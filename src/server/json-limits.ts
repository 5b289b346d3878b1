/**
 * Shape limits a JSON body must meet before it is parsed. JSON.parse is linear in the body's size but not in
 * its nesting: 8 million nested brackets (16 MB) hold the main thread for about five seconds, and every
 * other request waits. One pass over the text, counting nesting and string lengths, costs a few
 * milliseconds per megabyte and refuses such a body before the parser sees it; it does not parse (the
 * body still goes to Fastify's own JSON parser, with its prototype-poisoning checks, when it passes).
 */

export interface JsonLimits {
  /** Deepest nesting of arrays and objects (the top level counts as 1). */
  maxDepth: number;
  /** Longest string, key or value, in characters of the raw text (escapes count as written). */
  maxStringLength: number;
}

/** Deep enough for every body the API takes (events with a context, pool rules), far below a bomb. */
export const defaultJsonLimits: JsonLimits = { maxDepth: 32, maxStringLength: 64 * 1024 };

export interface JsonLimitViolation {
  code: "json-too-deep" | "json-string-too-long";
  message: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * The first limit the text breaks, or null. Text that is not valid JSON may pass (the parser refuses it
 * next); valid JSON within the limits always passes. Outside strings it looks at every character; a
 * string it crosses with `indexOf` to its next quote, counting the backslashes before that quote to tell
 * an escaped one from the end (an odd run escapes it): a 10k-play batch is mostly strings, and this
 * halved the check's time against looking at each of their characters.
 */
export function checkJsonLimits(
  text: string,
  limits: JsonLimits = defaultJsonLimits,
): JsonLimitViolation | null {
  const n = text.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      let end = text.indexOf('"', start);
      while (end !== -1 && escaped(text, start, end)) end = text.indexOf('"', end + 1);
      // A string the text never closes runs to its end.
      if ((end === -1 ? n : end) - start > limits.maxStringLength) return stringTooLong(start, limits);
      if (end === -1) return null;
      i = end;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limits.maxDepth) {
        return {
          code: "json-too-deep",
          message: `JSON nested deeper than ${limits.maxDepth} levels (at character ${i})`,
        };
      }
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return null;
}

/** Whether the quote at `quote` is escaped: an odd run of backslashes before it, within the string. */
function escaped(text: string, start: number, quote: number): boolean {
  let k = quote - 1;
  while (k >= start && text.charCodeAt(k) === BACKSLASH) k--;
  return (quote - 1 - k) % 2 === 1;
}

function stringTooLong(start: number, limits: JsonLimits): JsonLimitViolation {
  return {
    code: "json-string-too-long",
    message: `JSON string longer than ${limits.maxStringLength} characters (starting at character ${start})`,
  };
}
