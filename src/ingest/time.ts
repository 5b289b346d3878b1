/**
 * Time parsing for the source readers. Accepted forms, all normalised to `YYYY-MM-DDTHH:MM:SS.sssZ`:
 * - ISO 8601 date-times with or without an offset (`2021-03-11T17:34:12Z`, `2021-03-11T18:34+01:00`,
 *   `2021-03-11T17:34:12.5`); without an offset the time is taken as UTC;
 * - `YYYY-MM-DD HH:MM[:SS[.fff]]` (UTC unless an offset follows), as in Spotify's basic export;
 * - a bare date `YYYY-MM-DD` (midnight UTC);
 * - unix time as a number or a numeric string: seconds below 1e11, milliseconds from 1e11 on
 *   (1e11 s would be the year 5138; 1e11 ms is March 1973);
 * - a JS `Date` (DuckDB returns Parquet timestamps as dates).
 */

/** The earliest and latest instants that print as a plain four-digit-year ISO string. */
const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

const NUMERIC = /^[+-]?\d+(?:\.\d+)?$/;

export const timeFormatsText = 'an ISO 8601 time, "YYYY-MM-DD HH:MM[:SS]" (UTC) or unix seconds/milliseconds';

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function fromEpoch(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  const ms = Math.abs(n) < 1e11 ? n * 1000 : n;
  if (ms < MIN_MS || ms > MAX_MS) return undefined;
  return new Date(Math.floor(ms)).toISOString();
}

/** The number in s[i, i + n) when those chars are all digits, else -1. */
function digitsAt(s: string, i: number, n: number): number {
  if (i + n > s.length) return -1;
  let v = 0;
  for (let j = i; j < i + n; j++) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

const DASH = 45;
const COLON = 58;

/** Parses the date-time forms by hand (a regex with eight captures costs more than the rest of a CSV row). */
function fromText(s: string): string | undefined {
  const len = s.length;
  const y = digitsAt(s, 0, 4);
  if (y < 0 || s.charCodeAt(4) !== DASH || s.charCodeAt(7) !== DASH) return undefined;
  const mo = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  if (mo < 1 || mo > 12 || d < 1) return undefined;
  const dim = mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1];
  if (d > dim) return undefined;
  let h = 0;
  let mi = 0;
  let sec = 0;
  let frac = 0;
  let i = 10;
  if (len > 10) {
    const sep = s[10];
    if (sep !== "T" && sep !== "t" && sep !== " ") return undefined;
    h = digitsAt(s, 11, 2);
    mi = digitsAt(s, 14, 2);
    if (h < 0 || h > 23 || s.charCodeAt(13) !== COLON || mi < 0 || mi > 59) return undefined;
    i = 16;
    if (s.charCodeAt(i) === COLON) {
      sec = digitsAt(s, 17, 2);
      if (sec < 0 || sec > 59) return undefined;
      i = 19;
      if (s[i] === "." || s[i] === ",") {
        let j = i + 1;
        while (j < len) {
          const c = s.charCodeAt(j) - 48;
          if (c < 0 || c > 9) break;
          if (j - i <= 3) frac = frac * 10 + c; // milliseconds: the first three digits
          j++;
        }
        const n = j - i - 1;
        if (n === 0 || n > 9) return undefined;
        if (n === 1) frac *= 100;
        else if (n === 2) frac *= 10;
        i = j;
      }
    }
  }
  while (i < len && s[i] === " ") i++;
  let offsetMin = 0;
  if (i < len) {
    const c = s[i];
    if (c === "Z" || c === "z") {
      if (i + 1 !== len) return undefined;
    } else if (c === "+" || c === "-") {
      const oh = digitsAt(s, i + 1, 2);
      let om = 0;
      const rest = len - (i + 3);
      if (rest === 3 && s.charCodeAt(i + 3) === COLON) om = digitsAt(s, i + 4, 2);
      else if (rest === 2) om = digitsAt(s, i + 3, 2);
      else if (rest !== 0) return undefined;
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
      offsetMin = (c === "-" ? -1 : 1) * (oh * 60 + om);
    } else {
      return undefined;
    }
  }
  if (offsetMin === 0) {
    // Already UTC: print it directly, which is several times cheaper than a Date round trip.
    const date = len === 10 ? s : s.slice(0, 10);
    return `${date}T${PAD2[h]}:${PAD2[mi]}:${PAD2[sec]}.${PAD3[frac]}Z`;
  }
  let ms = Date.UTC(y, mo - 1, d, h, mi, sec, frac);
  if (y < 100) {
    // Date.UTC maps the years 0-99 to 1900-1999.
    const date = new Date(ms);
    date.setUTCFullYear(y);
    ms = date.getTime();
  }
  ms -= offsetMin * 60_000;
  if (ms < MIN_MS || ms > MAX_MS) return undefined;
  return new Date(ms).toISOString();
}

let lastIn: string | undefined;
let lastOut: string | undefined;

/** The time as an ISO string in UTC (`...Z`), or undefined when the value is not a time we accept. */
export function parseTime(value: unknown): string | undefined {
  if (typeof value === "string") {
    // Sources are usually sorted by time, often at minute resolution: a one-entry cache pays off.
    if (value === lastIn) return lastOut;
    const s = value.trim();
    const c = s.charCodeAt(4);
    const out = c === DASH ? fromText(s) : NUMERIC.test(s) ? fromEpoch(Number(s)) : undefined;
    if (out !== undefined) {
      lastIn = value;
      lastOut = out;
    }
    return out;
  }
  if (typeof value === "number") return fromEpoch(value);
  if (typeof value === "bigint") return fromEpoch(Number(value));
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) || ms < MIN_MS || ms > MAX_MS ? undefined : value.toISOString();
  }
  return undefined;
}
