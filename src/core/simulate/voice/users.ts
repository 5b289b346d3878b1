import type { Random } from "../../random.js";
import { affinityLogit } from "../model.js";
import { cumulative, drawCumulative } from "../sampling.js";
import type { VoiceCatalogue } from "./catalogue.js";
import { type DeviceType, deviceTypes, HAS_SCREEN, OWNERSHIP } from "./context.js";
import { mispronounce } from "./phrasing.js";
import { type VoiceKind, voiceKinds } from "./titles.js";

export interface VoiceDevice {
  /** Unique across users: "<user>-<type>". */
  id: string;
  type: DeviceType;
  hasScreen: boolean;
}

/** A personal way of asking for one favourite that only this user has: the personal layer's target. */
export interface Quirk {
  type: "nickname" | "mispronunciation";
  /** Catalogue index of the item. */
  item: number;
  /** What the user says instead of the title ("our song", "midnighd drain"). */
  phrase: string;
}

/** A simulated voice user: devices, habits and the favourites requests are mostly drawn from. */
export interface VoiceUser {
  id: string;
  /** Row of the true model's user factors. */
  index: number;
  devices: VoiceDevice[];
  /** Multiplier of sessions per day (mean 1). */
  activity: number;
  /** Hours by which the user's day is shifted (early birds negative). */
  chronotype: number;
  /** Personal multiplier per kind (voiceKinds order). */
  kindTaste: Float64Array;
  /** Per kind, favourite items, best first. */
  favourites: Record<VoiceKind, number[]>;
  quirks: Quirk[];
}

/** Favourites per kind: a few dozen songs, a handful of everything else. */
const FAVOURITES: Record<VoiceKind, number> = {
  song: 40,
  video: 8,
  movie: 10,
  podcast: 6,
  audiobook: 8,
  book: 8,
  other: 4,
};
/** Candidates per kind from which favourites are chosen by taste. */
const FAVOURITE_CANDIDATES = 120;
/** Popular items come up as candidates exp(POPULARITY_PULL · bias) times more often. */
export const POPULARITY_PULL = 1.5;
/** Softmax temperature of taste when choosing favourites: lower is pickier. */
const FAVOURITE_TEMPERATURE = 1;

const NICKNAMES: Record<VoiceKind, readonly string[]> = {
  song: [
    "our song",
    "my song",
    "the wedding song",
    "the happy song",
    "that sad song",
    "my jam",
    "the road trip song",
    "the dance one",
    "grandpa's song",
    "my workout song",
  ],
  video: ["the funny one", "the cat show", "my show"],
  movie: ["the dinosaur movie", "the scary one", "the kids' movie", "movie night", "the space one"],
  podcast: ["my news", "the morning show", "the true crime one"],
  audiobook: ["my book", "the bedtime story", "the long one", "the spy book"],
  book: ["my book", "the bedtime story", "the one we were reading"],
  other: ["my station", "the chill one", "the usual station"],
};

/** Per kind, a cumulative popularity distribution over its items for drawing popular candidates. */
export function popularityCdfs(cat: VoiceCatalogue): Record<VoiceKind, Float64Array> {
  return Object.fromEntries(
    voiceKinds.map((k) => [k, cumulative(cat.byKind[k].map((i) => Math.exp(POPULARITY_PULL * cat.bias[i])))]),
  ) as Record<VoiceKind, Float64Array>;
}

/** Gumbel(0, 1) noise: adding it to logits and taking the top k samples k items without replacement. */
function gumbel(rng: Random): number {
  return -Math.log(-Math.log(rng.next() * (1 - 1e-12) + 1e-12));
}

/** Builds the users: devices, activity, habits, favourites by taste and, for a few, quirks. */
export function buildVoiceUsers(
  rng: Random,
  cat: VoiceCatalogue,
  userIds: readonly string[],
  userFactors: Float32Array,
  quirkShare: number,
): VoiceUser[] {
  const cdfs = popularityCdfs(cat);
  return userIds.map((id, index) => {
    const devices: VoiceDevice[] = [];
    for (const type of deviceTypes) {
      if (rng.next() < OWNERSHIP[type])
        devices.push({ id: `${id}-${type}`, type, hasScreen: HAS_SCREEN[type] });
    }
    if (devices.length === 0) devices.push({ id: `${id}-speaker`, type: "speaker", hasScreen: false });
    // Log-normal activity with mean 1: some talk to their assistant far more than others.
    const activity = Math.exp(0.5 * rng.normal() - 0.125);
    const chronotype = Math.max(-2, Math.min(2, rng.normal()));
    const kindTaste = Float64Array.from(voiceKinds, () => Math.exp(0.5 * rng.normal()));
    const favourites = {} as Record<VoiceKind, number[]>;
    for (const kind of voiceKinds) {
      favourites[kind] = chooseFavourites(rng, cat, cdfs[kind], kind, index, userFactors);
    }
    const quirks: Quirk[] = [];
    if (rng.next() < quirkShare) {
      const count = rng.next() < 0.7 ? 1 : 2;
      for (let q = 0; q < count; q++) {
        const kind = rng.next() < 0.6 ? "song" : voiceKinds[rng.int(voiceKinds.length)];
        const item = favourites[kind][q];
        if (item === undefined || quirks.some((x) => x.item === item)) continue;
        if (rng.next() < 0.5) {
          const names = NICKNAMES[kind];
          quirks.push({ type: "nickname", item, phrase: names[rng.int(names.length)] });
        } else {
          const phrase = mispronounce(rng, cat.titles[item]);
          if (phrase !== null) quirks.push({ type: "mispronunciation", item, phrase });
        }
      }
    }
    return { id, index, devices, activity, chronotype, kindTaste, favourites, quirks };
  });
}

/** Favourites of one kind: candidates half by popularity, half uniform, the top ones by taste + Gumbel noise. */
function chooseFavourites(
  rng: Random,
  cat: VoiceCatalogue,
  cdf: Float64Array,
  kind: VoiceKind,
  u: number,
  userFactors: Float32Array,
): number[] {
  const pool = cat.byKind[kind];
  if (pool.length === 0) return [];
  const seen = new Set<number>();
  const n = Math.min(pool.length, FAVOURITE_CANDIDATES);
  for (let c = 0; c < n * 2 && seen.size < n; c++) {
    seen.add(pool[c % 2 === 0 ? drawCumulative(rng, cdf) : rng.int(pool.length)]);
  }
  const scored = [...seen].map((i) => ({
    i,
    s: affinityLogit(userFactors, u, cat.factors, cat.bias, i, cat.dim) / FAVOURITE_TEMPERATURE + gumbel(rng),
  }));
  scored.sort((a, b) => b.s - a.s || a.i - b.i);
  return scored.slice(0, FAVOURITES[kind]).map((x) => x.i);
}
