import type { CreatorPlayTable } from "../delayed/favourites.js";
import { Random } from "../random.js";
import { poisson, sigmoid } from "./sampling.js";

/**
 * Listening histories with a true "becomes a favourite" process (issue 18), for the delayed-label
 * evaluation. Users discover items (mostly from creators they like); a discovery played long becomes a
 * favourite with a probability that rises with an appeal the logs only partly show (creator familiarity,
 * item quality, first-play length, plus hidden noise). A favourite is replayed long after a user-specific
 * delay (lognormal, faster for active users): the conversion. Before it the user engages more than with a
 * passing item: plays of the creator's other items and short replays. So the label arrives late and the
 * engagement before it carries signal, as in real histories.
 */
export interface FavouriteSimOptions {
  users: number;
  days: number;
  creators: number;
  itemsPerCreator: number;
  /** Mean discoveries per user per day (scaled by a lognormal activity). */
  discoveriesPerDay: number;
  /** Median days from first long play to conversion for an average user. */
  medianDelayDays: number;
  seed: number;
  startMs: number;
}

export const defaultFavouriteSimOptions: FavouriteSimOptions = {
  users: 300,
  days: 150,
  creators: 400,
  itemsPerCreator: 25,
  discoveriesPerDay: 2,
  medianDelayDays: 9,
  seed: 1,
  startMs: Date.UTC(2024, 0, 1),
};

const DAY = 86_400_000;
const TASTE_CREATORS = 10;

export function simulateFavouriteHistories(options: Partial<FavouriteSimOptions> = {}): CreatorPlayTable {
  const o = { ...defaultFavouriteSimOptions, ...options };
  const rng = new Random(o.seed);
  const nItems = o.creators * o.itemsPerCreator;
  const quality = Float64Array.from({ length: nItems }, () => rng.normal());
  const rows: Array<[number, number, number, number]> = []; // user, item, time, playedMs
  const endMs = o.startMs + o.days * DAY;
  const push = (u: number, i: number, t: number, ms: number) => {
    if (t < endMs) rows.push([u, i, t, ms]);
  };
  const longMs = () => 30_000 + Math.round(rng.next() * 200_000);
  const shortMs = () => Math.round(rng.next() * 29_000);
  const creatorItem = (c: number) => c * o.itemsPerCreator + Math.floor(o.itemsPerCreator * rng.next() ** 2);
  for (let u = 0; u < o.users; u++) {
    const activity = Math.exp(0.6 * rng.normal());
    const taste = Array.from({ length: TASTE_CREATORS }, () => rng.int(o.creators));
    const familiarity = new Map<number, number>();
    const seen = new Set<number>();
    // Items of each creator this user already played long: engagement replays these, so it never
    // creates new first plays whose fate the process did not draw.
    const known = new Map<number, number[]>();
    const knownItem = (c: number, not: number) => {
      const list = known.get(c) ?? [];
      const pickable = list.length - (list.includes(not) ? 1 : 0);
      if (pickable <= 0) return -1;
      for (;;) {
        const j = list[rng.int(list.length)];
        if (j !== not) return j;
      }
    };
    const discoveries = poisson(rng, o.discoveriesPerDay * activity * o.days);
    for (let k = 0; k < discoveries; k++) {
      const t = o.startMs + rng.next() * o.days * DAY;
      const c = rng.next() < 0.6 ? taste[rng.int(TASTE_CREATORS)] : Math.floor(o.creators * rng.next() ** 2);
      const i = creatorItem(c);
      if (seen.has(i)) continue;
      const f = familiarity.get(c) ?? 0;
      const appeal = -0.5 + 0.8 * Math.log1p(f) + 0.7 * quality[i] + 0.6 * rng.normal();
      if (rng.next() >= sigmoid(appeal + 0.3)) {
        push(u, i, t, shortMs());
        continue;
      }
      seen.add(i);
      familiarity.set(c, f + 1);
      const others = knownItem(c, i);
      known.set(c, [...(known.get(c) ?? []), i]);
      const played = 30_000 + Math.round(200_000 * sigmoid(appeal) * rng.next());
      push(u, i, t, played);
      const favourite = rng.next() < sigmoid(-2 + 1.6 * appeal + (1.5 * (played - 130_000)) / 100_000);
      if (favourite) {
        const delay = ((o.medianDelayDays * DAY) / Math.sqrt(activity)) * Math.exp(0.8 * rng.normal());
        push(u, i, t + delay * rng.next(), longMs());
        push(u, i, t + delay, longMs());
        for (let r = poisson(rng, 3); r > 0; r--) push(u, i, t + delay + rng.next() * 60 * DAY, longMs());
        for (let r = others < 0 ? 0 : poisson(rng, 1 + delay / (4 * DAY)); r > 0; r--)
          push(u, knownItem(c, i), t + delay * rng.next(), longMs());
        for (let r = poisson(rng, 1); r > 0; r--) push(u, i, t + delay * rng.next(), shortMs());
      } else {
        for (let r = poisson(rng, 0.5); r > 0; r--) push(u, i, t + rng.next() * 45 * DAY, longMs());
        for (let r = others < 0 ? 0 : poisson(rng, 0.8); r > 0; r--)
          push(u, knownItem(c, i), t + rng.next() * 30 * DAY, longMs());
        for (let r = poisson(rng, 0.3); r > 0; r--) push(u, i, t + rng.next() * 30 * DAY, shortMs());
      }
    }
  }
  rows.sort((a, b) => a[2] - b[2]);
  return {
    nUsers: o.users,
    nItems,
    userIndex: Int32Array.from(rows, (r) => r[0]),
    itemIndex: Int32Array.from(rows, (r) => r[1]),
    creatorIndex: Int32Array.from(rows, (r) => Math.floor(r[1] / o.itemsPerCreator)),
    endTimeMs: Float64Array.from(rows, (r) => r[2]),
    playedMs: Float64Array.from(rows, (r) => r[3]),
  };
}
