import { normalizeText } from "./normalize.js";

/**
 * A small Metaphone-style sound key. Speech recognisers confuse words that sound alike ("hallo" for
 * "hello", "knight" for "night", "fone" for "phone"); spelling distance undersells those pairs, so the
 * matcher adds a little to the score of a title whose words all sound like the request's words. Written
 * here rather than taken from a package because the matcher needs only the gist of English spelling:
 * vowels after the first letter are dropped, silent letters removed, and letters that sound alike share
 * a code (ph/f, c/k/q, s/z, d/t, v/f, ch/sh).
 */

const VOWELS = new Set(["a", "e", "i", "o", "u"]);
const LATIN_RE = /^[a-z0-9]+$/;

function isVowel(c: string | undefined): boolean {
  return c !== undefined && VOWELS.has(c);
}

/**
 * The sound key of one word: "hello" and "hallo" -> "hl", "night" and "knight" -> "nt". Words outside
 * the Latin alphabet come back normalized but otherwise unchanged; digits are kept.
 */
export function phoneticKey(word: string): string {
  return keyOfFolded(normalizeText(word).replace(/ /g, ""));
}

/** phoneticKey of a word that is already normalized. */
function keyOfFolded(w: string): string {
  if (w === "" || !LATIN_RE.test(w)) return w;
  let s = w;
  // Silent first letters and initial x.
  if (/^(kn|gn|pn|wr|ps)/.test(s)) s = s.slice(1);
  if (s.startsWith("wh")) s = `w${s.slice(2)}`;
  if (s.startsWith("x")) s = `s${s.slice(1)}`;

  let out = "";
  const push = (code: string) => {
    if (!out.endsWith(code)) out += code;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const next = s[i + 1];
    const prev = s[i - 1];
    switch (c) {
      case "a":
      case "e":
      case "i":
      case "o":
      case "u":
        // Only a first vowel counts, as "a": "ocean" and "ashes" keep a sound at the start.
        if (i === 0) push("a");
        break;
      case "b":
        // Silent in a final "mb" ("lamb").
        if (!(prev === "m" && next === undefined)) push("b");
        break;
      case "c":
        if (next === "h") {
          push(prev === "s" ? "k" : "x");
          i++;
        } else if (next === "i" || next === "e" || next === "y") push("s");
        else if (next === "k") {
          // "ck" is one k.
        } else push("k");
        break;
      case "d":
        if (next === "g" && (s[i + 2] === "e" || s[i + 2] === "i" || s[i + 2] === "y")) {
          push("j");
          i++;
        } else push("t");
        break;
      case "g":
        if (next === "h" && !isVowel(s[i + 2])) {
          // Silent "gh" ("night", "high").
          i++;
        } else if (next === "n" && (s[i + 2] === undefined || s.slice(i + 2) === "ed")) {
          // Silent in a final "gn" ("sign").
        } else if (next === "e" || next === "i" || next === "y") push("j");
        else push("k");
        break;
      case "h":
        // Sounded only before a vowel and not after a consonant that it modifies.
        if (isVowel(next) && !(prev !== undefined && "cgpst".includes(prev))) push("h");
        break;
      case "p":
        if (next === "h") {
          push("f");
          i++;
        } else push("p");
        break;
      case "q":
        push("k");
        break;
      case "s":
        if (next === "h") {
          push("x");
          i++;
        } else if (next === "i" && (s[i + 2] === "o" || s[i + 2] === "a")) push("x");
        else push("s");
        break;
      case "t":
        if (next === "h") {
          push("0");
          i++;
        } else if (next === "i" && (s[i + 2] === "o" || s[i + 2] === "a")) push("x");
        else if (next === "c" && s[i + 2] === "h") {
          // "tch" sounds like "ch".
        } else push("t");
        break;
      case "v":
        push("f");
        break;
      case "w":
      case "y":
        if (isVowel(next)) push(c);
        break;
      case "x":
        push("ks");
        break;
      case "z":
        push("s");
        break;
      default:
        push(c);
    }
  }
  return out;
}

/** The sound keys of every word of a normalized phrase (as `normalizeText` returns it), joined by spaces. */
export function phoneticPhrase(norm: string): string {
  let out = "";
  for (const w of norm.split(" ")) {
    const k = keyOfFolded(w);
    out = out === "" ? k : `${out} ${k}`;
  }
  return out;
}
