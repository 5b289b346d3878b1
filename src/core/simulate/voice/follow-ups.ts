import { Random } from "../../random.js";
import type { FollowUpKind } from "../../voice/follow-up.js";
import { followingItems } from "../catalogue.js";
import { mixSeed } from "./hash.js";
import type { VoiceWorld } from "./world-types.js";

/** A turn that leans on the previous one: what was said, what it followed, and every answer that is right. */
export interface FollowUpTurn {
  /** The previous turn's requestId plus "-f". */
  requestId: string;
  /** The turn it follows (a play the user got what they asked for from). */
  previousRequestId: string;
  user: string;
  /** When it was said: a few seconds into the previous play. */
  time: string;
  text: string;
  kind: FollowUpKind;
  /** The item the previous turn played. */
  previousItem: string;
  /**
   * The items that answer it right: "again" the previous item, "next" the item that follows it in its
   * creator's order, "like this" the creator's other items and the 20 items nearest in true taste factors.
   */
  acceptable: string[];
}

export interface FollowUpOptions {
  /** Share of delivered plays of listening-world items that get a follow-up turn (default 0.2). */
  share?: number;
  /** Shares of the kinds among follow-ups (default next 0.5, again 0.25, like this 0.25). */
  kinds?: Readonly<Record<FollowUpKind, number>>;
}

const PHRASES: Record<FollowUpKind, readonly string[]> = {
  next: [
    "play the next one",
    "next track",
    "play what comes next",
    "the next one please",
    "play the next song",
  ],
  again: ["play it again", "play that again", "one more time", "repeat that", "again please"],
  "like-this": ["play something like this", "more like this", "something similar", "play more like that"],
};
/** Stream tag of the follow-up draws (apart from schedule.ts's STREAM tags 1-5). */
const FOLLOW_UP_STREAM = 11;
const NEAREST = 20;

/**
 * Follow-up turns ("play the next one", "play it again", "something like this") after the world's delivered
 * plays, as a slice of their own: they are drawn from their own random stream and returned apart, so the
 * world's turns, plays and every figure measured on them stay exactly as they were. Only plays of the
 * listening world's items (songs, videos, podcasts with a creator order) get one; "next" only where something
 * follows. The truth for "next" is the listening world's "what follows" order (simulateWorld's
 * `truth.follows`: the creator's next item), which a listening world made with `followShare` > 0 shows in its
 * plays, so a model of what follows can learn it from listening alone.
 */
export function simulateFollowUps(world: VoiceWorld, options: FollowUpOptions = {}): FollowUpTurn[] {
  const share = options.share ?? 0.2;
  const kinds = options.kinds ?? { next: 0.5, again: 0.25, "like-this": 0.25 };
  const baseItems = world.options.items;
  const follows = listeningFollows(world);
  const index = new Map(world.model.items.map((id, i) => [id, i]));
  const plays = new Map(world.plays.map((p) => [p.requestId, p]));
  const rng = new Random(mixSeed(world.options.seed, FOLLOW_UP_STREAM));
  const nearest = new Map<number, number[]>();
  const turns: FollowUpTurn[] = [];
  for (const truth of world.truth) {
    if (truth.reaction !== "done" || truth.intendedItem === null) continue;
    const item = index.get(truth.intendedItem);
    const play = plays.get(truth.requestId);
    if (item === undefined || item >= baseItems || !play) continue;
    // Three draws per candidate whatever happens, so one turn's outcome never shifts another's.
    const u = rng.next();
    const k = rng.next();
    const phrase = rng.next();
    if (u >= share) continue;
    let kind: FollowUpKind = k < kinds.next ? "next" : k < kinds.next + kinds.again ? "again" : "like-this";
    if (kind === "next" && follows[item] < 0) kind = k < kinds.next / 2 ? "again" : "like-this";
    let acceptable: number[];
    if (kind === "again") acceptable = [item];
    else if (kind === "next") acceptable = [follows[item]];
    else {
      let near = nearest.get(item);
      if (!near) {
        near = nearestItems(world, item, baseItems);
        nearest.set(item, near);
      }
      acceptable = near;
    }
    const texts = PHRASES[kind];
    turns.push({
      requestId: `${truth.requestId}-f`,
      previousRequestId: truth.requestId,
      user: play.user,
      time: new Date(Date.parse(play.endTime) - play.playedMs + 5_000).toISOString(),
      text: texts[Math.min(texts.length - 1, Math.floor(phrase * texts.length))],
      kind,
      previousItem: truth.intendedItem,
      acceptable: acceptable.map((i) => world.model.items[i]),
    });
  }
  return turns;
}

/**
 * What follows each listening-world item (its creator's next item in catalogue order; -1 for none), and -1 for
 * the voice world's own additions. The listening world's items come first in the voice catalogue.
 */
export function listeningFollows(world: VoiceWorld): Int32Array {
  const baseItems = world.options.items;
  const creators = new Map<string, number>();
  const creatorOf = Int32Array.from({ length: baseItems }, (_, i) => {
    const name = world.catalogue[i].creators?.[0] ?? `#${i}`;
    let c = creators.get(name);
    if (c === undefined) {
      c = creators.size;
      creators.set(name, c);
    }
    return c;
  });
  const out = new Int32Array(world.catalogue.length).fill(-1);
  out.set(followingItems(creatorOf));
  return out;
}

/** The creator's other items and the NEAREST listening-world items by cosine of true item factors. */
function nearestItems(world: VoiceWorld, item: number, baseItems: number): number[] {
  const { itemFactors: f, dim } = world.model;
  const creator = world.catalogue[item].creators?.[0];
  const norm = (i: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += f[i * dim + d] ** 2;
    return Math.sqrt(s) || 1;
  };
  const ni = norm(item);
  const scored: Array<[number, number]> = [];
  for (let j = 0; j < baseItems; j++) {
    if (j === item) continue;
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += f[item * dim + d] * f[j * dim + d];
    scored.push([dot / (ni * norm(j)), j]);
  }
  scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const out = new Set(scored.slice(0, NEAREST).map(([, j]) => j));
  for (let j = 0; j < baseItems; j++)
    if (j !== item && world.catalogue[j].creators?.[0] === creator) out.add(j);
  return [...out].sort((a, b) => a - b);
}
