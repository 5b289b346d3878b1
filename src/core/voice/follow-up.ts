/**
 * Follow-up requests that name nothing and lean on what is playing: "play the next one", "play it again",
 * "something like this". Their meaning is an item relative to the previous play, so they are answered from
 * that item, not from the words: "again" is the item itself, "next" is what follows it (the directed model's
 * question), "like this" what resembles it (the symmetric one's).
 */
export type FollowUpKind = "next" | "again" | "like-this";

const PATTERNS: ReadonlyArray<[FollowUpKind, RegExp]> = [
  [
    "next",
    /^(?:please\s+)?(?:(?:play|put on|start)\s+)?(?:the\s+)?(?:next|following)(?:\s+(?:one|song|track|episode|thing))?(?:\s+please)?$|^(?:please\s+)?(?:play|put on)\s+what(?:'s|\s+is|\s+comes)\s+next$|^what\s+comes\s+next$/,
  ],
  [
    "again",
    /^(?:please\s+)?(?:(?:play|put on|start|replay)\s+(?:it|that|this)(?:\s+one)?\s+)?(?:again|once more|one more time)(?:\s+please)?$|^(?:please\s+)?(?:repeat|replay)(?:\s+(?:it|that|this)(?:\s+one)?)?(?:\s+please)?$/,
  ],
  [
    "like-this",
    /^(?:please\s+)?(?:(?:play|put on)\s+)?(?:something|anything|more|some more)\s+(?:like|similar to)\s+(?:this|that|it)(?:\s+one)?(?:\s+please)?$|^(?:please\s+)?(?:(?:play|put on)\s+)?something\s+similar(?:\s+please)?$/,
  ],
];

/** The follow-up a turn is, or null when it names what it wants (or is something else). */
export function followUpKind(text: string): FollowUpKind | null {
  const t = text
    .toLowerCase()
    .replace(/[.!?,]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  for (const [kind, pattern] of PATTERNS) if (pattern.test(t)) return kind;
  return null;
}

/** How each kind of follow-up finds its item from the previous one (-1 or null: no answer). */
export interface FollowUpAnswerers {
  /** What follows `item`: the directed model's best target for it. */
  next(item: number): number | null;
  /** What is most like `item` (itself excluded). */
  likeThis(item: number): number | null;
}

/** The item a follow-up asks for, given the item the previous turn played; null when there is none. */
export function answerFollowUp(
  kind: FollowUpKind,
  previous: number | null,
  answerers: FollowUpAnswerers,
): number | null {
  if (previous === null || previous < 0) return null;
  if (kind === "again") return previous;
  const found = kind === "next" ? answerers.next(previous) : answerers.likeThis(previous);
  return found === null || found < 0 ? null : found;
}
