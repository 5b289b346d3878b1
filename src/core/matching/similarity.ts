/**
 * String similarity for re-scoring the index's shortlist. The trigram index finds candidates fast but
 * judges short strings harshly (one swapped letter in "hello" destroys most of its trigrams); the edit
 * distance counts the slip once, which is what a typo or a misheard letter is. Transpositions cost one
 * edit (optimal string alignment distance) because swapped letters are the commonest typing slip.
 */

let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);
/** Per character code below 128, the bit mask of its positions in the pattern (bit-parallel algorithm). */
const asciiMasks = new Int32Array(128);

/**
 * Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one substring):
 * insertions, deletions, substitutions and swaps of adjacent characters each cost 1. Stops early and
 * returns `max + 1` once the distance is sure to exceed `max`.
 *
 * Strings of up to 32 characters (nearly every title and name) take Hyyrö's bit-parallel algorithm, one
 * pass over the longer string with the shorter one's columns packed in an int; longer ones take the
 * dynamic programme.
 */
export function damerauLevenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  // Pattern: the shorter string.
  if (a.length > b.length) {
    const t = a;
    a = b;
    b = t;
  }
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n - m > max) return max + 1;
  if (m > 32) return dynamicProgramme(a, b, max);
  const d = bitParallel(a, b);
  return d > max ? max + 1 : d;
}

/** Hyyrö (2003), "A bit-vector algorithm for computing Levenshtein and Damerau edit distances". */
function bitParallel(p: string, t: string): number {
  const m = p.length;
  let extra: Map<number, number> | null = null;
  for (let i = 0; i < m; i++) {
    const c = p.charCodeAt(i);
    if (c < 128) asciiMasks[c] |= 1 << i;
    else {
      extra ??= new Map();
      extra.set(c, (extra.get(c) ?? 0) | (1 << i));
    }
  }
  const last = 1 << (m - 1);
  let pv = -1;
  let mv = 0;
  let score = m;
  let d0 = 0;
  let pmPrev = 0;
  for (let j = 0; j < t.length; j++) {
    const c = t.charCodeAt(j);
    const pm = c < 128 ? asciiMasks[c] : (extra?.get(c) ?? 0);
    const tr = (((~d0 & pm) << 1) & pmPrev) | 0;
    d0 = ((((pm & pv) + pv) | 0) ^ pv) | pm | mv | tr;
    let hp = mv | ~(d0 | pv);
    let hm = pv & d0;
    if (hp & last) score++;
    else if (hm & last) score--;
    hp = (hp << 1) | 1;
    hm = hm << 1;
    pv = hm | ~(d0 | hp);
    mv = hp & d0;
    pmPrev = pm;
  }
  for (let i = 0; i < m; i++) {
    const c = p.charCodeAt(i);
    if (c < 128) asciiMasks[c] = 0;
  }
  return score;
}

function dynamicProgramme(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  if (rowA.length <= m) {
    rowA = new Int32Array(m + 1);
    rowB = new Int32Array(m + 1);
    rowC = new Int32Array(m + 1);
  }
  // prev2 = row i-2, prev = row i-1, cur = row i.
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    let rowMin = cur[0];
    for (let j = 1; j <= m; j++) {
      const cb = b.charCodeAt(j - 1);
      const cost = ca === cb ? 0 : 1;
      let d = prev[j - 1] + cost;
      const del = prev[j] + 1;
      if (del < d) d = del;
      const ins = cur[j - 1] + 1;
      if (ins < d) d = ins;
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        const swap = prev2[j - 2] + 1;
        if (swap < d) d = swap;
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[m];
}

/**
 * 1 - distance / longer length: 1 for equal strings, 0 for nothing in common. With `min`, any similarity
 * below it comes back as 0, which lets the distance computation stop early (most pairs a matcher looks
 * at are far apart).
 */
export function editSimilarity(a: string, b: string, min = 0): number {
  const len = Math.max(a.length, b.length);
  if (len === 0) return 1;
  const max = Math.floor((1 - min) * len + 1e-9);
  const d = damerauLevenshtein(a, b, max);
  return d > max ? 0 : 1 - d / len;
}

function withoutThe(s: string): string {
  return s.startsWith("the ") ? s.slice(4) : s;
}

/**
 * How well a spoken creator name fits a catalogue creator, both normalized. "The" is optional ("velvet
 * foxes"), a part of the name counts nearly as much as the whole ("richie" for "Lionel Richie"), a
 * possessive is the name ("adeles"), and a name cut short by the recogniser ("adel") or misspelled
 * ("lionle richie") still scores high. Similarities below `min` may come back as 0 (see editSimilarity).
 */
export function creatorSimilarity(spoken: string, creator: string, min = 0): number {
  const a = withoutThe(spoken);
  const b = withoutThe(creator);
  if (a === "" || b === "") return 0;
  if (a === b) return 1;
  if (a.length === b.length + 1 && a.endsWith("s") && a.startsWith(b)) return 0.98;
  let best = editSimilarity(a, b, min);
  // A whole-word part of the name: "richie", "lionel".
  if (a.length >= 3 && ` ${b} `.includes(` ${a} `)) best = Math.max(best, 0.9);
  // A cut-off name: "adel" for "adele".
  else if (a.length >= 3 && b.startsWith(a)) best = Math.max(best, 0.75 + 0.2 * (a.length / b.length));
  return best;
}
