/**
 * Version suffixes. Catalogues carry one work under many titles ("Hello", "Hello (Live)",
 * "Hello - Remastered 2011", "Hello (feat. X)"), while listeners mostly say the bare title. The index
 * therefore keys every title twice, as written and as its base title, and the matcher treats an equal base
 * title as a near-exact match, ranked just below an equal full title.
 */

/** Words that mark a " - ..." tail as a version rather than part of the title or a creator's name. */
const VERSION_WORD_RE =
  /\b(live|remaster|remastered|remix|remixed|mix|edit|version|acoustic|demo|mono|stereo|instrumental|radio|extended|deluxe|bonus|single|reprise|unplugged|session|sessions|take|original|feat|ft|featuring|from|explicit|clean|karaoke|anniversary|soundtrack|\d{4})\b/i;
const TRAILING_BRACKETS_RE = /\s*[([{][^()[\]{}]*[)\]}]\s*$/u;
const DASH_TAIL_RE = /\s[-–—]+\s+([^-–—]+)$/u;
const FEAT_TAIL_RE = /\s+(feat\.?|ft\.?|featuring)\s.*$/iu;

/**
 * Normalized words that, spoken after a title, name a version ("hello live", "hello acoustic version"):
 * requests rarely carry brackets, so these are also stripped from the end of a normalized request.
 */
const SPOKEN_VERSION_WORDS = new Set([
  "live",
  "acoustic",
  "remix",
  "remastered",
  "remaster",
  "reprise",
  "instrumental",
  "demo",
  "version",
  "edit",
  "radio",
  "unplugged",
  "extended",
  "mix",
]);

/** True when `tail` (the part after " - ") names a version, e.g. "Remastered 2011" or "Live at Wembley". */
export function isVersionPhrase(tail: string): boolean {
  return VERSION_WORD_RE.test(tail);
}

/**
 * The title without trailing version marks: bracketed groups ("(Live)", "[Remastered]"), a " - " tail
 * naming a version ("- Remastered 2011") and a bare "feat. X" tail. Never returns an empty string: a title
 * that is nothing but a bracket ("(Untitled)") stays as it is.
 */
export function stripVersion(title: string): string {
  let s = title.trim();
  for (;;) {
    const before = s;
    s = s.replace(TRAILING_BRACKETS_RE, "");
    const dash = DASH_TAIL_RE.exec(s);
    if (dash && isVersionPhrase(dash[1])) s = s.slice(0, dash.index);
    s = s.replace(FEAT_TAIL_RE, "");
    s = s.trim();
    if (s === before || s === "") break;
  }
  return s === "" ? title.trim() : s;
}

/** Drops spoken version words from the end of a normalized string ("hello live" -> "hello"), keeping one word. */
export function stripSpokenVersion(norm: string): string {
  const words = norm.split(" ");
  let n = words.length;
  while (n > 1 && SPOKEN_VERSION_WORDS.has(words[n - 1])) n--;
  return n === words.length ? norm : words.slice(0, n).join(" ");
}
