import type { Random } from "../random.js";
import { addTypo } from "./names.js";
import { pick } from "./sampling.js";

/**
 * Spoken requests as an assistant's speech recogniser hands them over: a few phrasings, mostly lower
 * case, sometimes upper case or as typed, now and then a misheard title. {t} is the title, {c} the
 * creator, {k} the kind ("song", "video", "podcast").
 */
const TITLE_ONLY = ["play {t}", "put on {t}", "play the {k} {t}", "i want to hear {t}", "{t}"];
const WITH_CREATOR = [
  "play {t} by {c}",
  "put on {t} by {c}",
  "play {c} {t}",
  "{t} by {c}",
  "play the {k} {t} by {c}",
];

export interface RequestTarget {
  title: string;
  creator: string;
  kind: string;
}

/** A request text for `target`; `withCreator` decides whether the speaker names the creator. */
export function requestText(
  rng: Random,
  target: RequestTarget,
  withCreator: boolean,
  typoShare: number,
): string {
  const templates = withCreator ? WITH_CREATOR : TITLE_ONLY;
  const title = rng.next() < typoShare ? addTypo(rng, target.title) : target.title;
  const text = templates[rng.int(templates.length)]
    .replace("{k}", () => target.kind)
    .replace("{c}", () => target.creator)
    .replace("{t}", () => title);
  const casing = pick(rng, ["lower", "asTyped", "upper"] as const, [0.6, 0.28, 0.12]);
  if (casing === "lower") return text.toLowerCase();
  if (casing === "upper") return text.toUpperCase();
  return text[0].toUpperCase() + text.slice(1);
}
