import type { PlayEvent } from "../../../schema/events.js";
import type { VoiceTurn } from "../../voice/turn.js";
import type { AffinityFn } from "./personal-index.js";

/**
 * A stand-in for the affinity model when only the voice logs are at hand: the smoothed share of a
 * user's plays of an item that went past `longMs` (the same 30 s line the defect detector draws). The
 * real model (scoreUserItem) generalises to items never played; this one only knows what it saw, which is
 * all the personal index asks about (items the user's own requests led to).
 */
export function playDurationAffinity(
  turns: readonly VoiceTurn[],
  plays: readonly PlayEvent[] = [],
  longMs = 30_000,
): AffinityFn {
  const tally = new Map<string, { long: number; n: number }>();
  const add = (user: string, item: string, playedMs: number) => {
    const key = `${user}\u0000${item}`;
    const t = tally.get(key) ?? { long: 0, n: 0 };
    t.n++;
    if (playedMs >= longMs) t.long++;
    tally.set(key, t);
  };
  const seen = new Set<string>();
  for (const p of plays) {
    add(p.user, p.item, p.playedMs);
    if (p.requestId !== undefined) seen.add(p.requestId);
  }
  for (const t of turns) {
    if (t.resolvedItem === undefined || t.playedMs === undefined || seen.has(t.requestId)) continue;
    add(t.user, t.resolvedItem, t.playedMs);
  }
  return (user, item) => {
    const t = tally.get(`${user}\u0000${item}`);
    // Beta(1, 1) prior: one long play gives 2/3, one short 1/3.
    return t === undefined ? undefined : (t.long + 1) / (t.n + 2);
  };
}
