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
 * next); valid JSON within the limits always passes.
 */
export function checkJsonLimits(
  text: string,
  limits: JsonLimits = defaultJsonLimits,
): JsonLimitViolation | null {
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) {
        inString = false;
        if (i - stringStart > limits.maxStringLength) return stringTooLong(stringStart, limits);
      } else if (i - stringStart >= limits.maxStringLength) return stringTooLong(stringStart, limits);
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      stringStart = i + 1;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limits.maxDepth) {
        return {
          code: "json-too-deep",
          message: `JSON nested deeper than ${limits.maxDepth} levels (at character ${i})`,
        };
      }
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  // An escape at the very end can skip the last check inside the loop.
  if (inString && text.length - stringStart > limits.maxStringLength)
    return stringTooLong(stringStart, limits);
  return null;
}

function stringTooLong(start: number, limits: JsonLimits): JsonLimitViolation {
  return {
    code: "json-string-too-long",
    message: `JSON string longer than ${limits.maxStringLength} characters (starting at character ${start})`,
  };
}
