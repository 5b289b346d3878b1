import type { Random } from "../../random.js";

/**
 * What a device hears when it wakes without being addressed: speech from the TV or the room, cut off. Some
 * fragments contain words that also occur in titles, so the assistant sometimes plays something nobody
 * asked for; most resolve to nothing.
 */
const FRAGMENTS = [
  "and then she said",
  "i told you already",
  "what are we having for dinner",
  "okay so",
  "see you tomorrow",
  "the weather tonight",
  "come on come on",
  "turn left in two hundred feet",
  "is anybody home",
  "breaking news",
  "no way",
  "let's go",
  "he said what",
  "right here",
  "back in the day",
  "thank you so much",
  "where are my keys",
  "the best part is",
  "honey can you",
  "alexander",
  "a lexus",
  "play it again",
  "stop it",
  "what time is it",
  "after the break",
];

/** A false-wake transcript: a room fragment, or a couple of words that happen to sound like a title. */
export function falseWakeText(rng: Random, titleWords: readonly string[]): string {
  if (rng.next() < 0.65 || titleWords.length === 0) return FRAGMENTS[rng.int(FRAGMENTS.length)];
  const n = rng.next() < 0.5 ? 1 : 2;
  const words: string[] = [];
  for (let k = 0; k < n; k++) words.push(titleWords[rng.int(titleWords.length)]);
  return words.join(" ");
}
