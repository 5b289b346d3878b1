import { type CatalogueItemInput, songId } from "../../schema/events.js";
import type { Random } from "../random.js";
import { factorScale } from "./model.js";
import { GENRES, makeCreatorName, makeTitle, TOPICS, uniqueName } from "./names.js";
import { cumulative, drawCumulative, permutation, pick, zipfWeights } from "./sampling.js";
import type { ResolvedSimulationOptions } from "./types.js";

export type SimKind = "song" | "video" | "podcast";

/** The catalogue plus the per-item arrays the session simulator needs. */
export interface SimCatalogue {
  items: CatalogueItemInput[];
  ids: string[];
  titles: string[];
  creatorNames: string[];
  kinds: SimKind[];
  lengthMs: Int32Array;
  itemFactors: Float32Array;
  itemBias: Float32Array;
  /** Cumulative Zipf popularity, for drawing popular candidates. */
  popularityCdf: Float64Array;
  /** Per item, every item with the same title, itself included (length 1 when the title is unique). */
  sameTitle: number[][];
  /** Per item, the next item of the same creator in catalogue order (-1 for a creator's last item). */
  follows: Int32Array;
}

/** Item bias = BIAS_MEAN + BIAS_POPULARITY · standardised log popularity + BIAS_NOISE · N(0, 1). */
const BIAS_MEAN = -1;
const BIAS_POPULARITY = 0.5;
const BIAS_NOISE = 0.5;
/** Share of an item's traits inherited from its creator: one artist's songs sound alike. */
const CREATOR_STYLE = 0.8;
/** Zipf exponent of items per creator: a few prolific creators, many with one or two items. */
const CREATOR_PROLIFIC = 0.5;
/** Suffixes that tell apart two items of one creator with the same title. */
const VERSIONS = ["Live", "Acoustic", "Remix", "Reprise", "Radio Edit"];

const LENGTH_MS: Record<SimKind, [number, number]> = {
  song: [120_000, 360_000],
  video: [60_000, 1_200_000],
  podcast: [900_000, 5_400_000],
};

/** Standard normals scaled by `scale`. */
function gaussians(rng: Random, n: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * rng.normal();
  return out;
}

/**
 * Builds creators, then items: traits near their creator's style, Zipf popularity, a bias tied to
 * popularity (popular songs are more widely liked), tags from the genre directions nearest the traits,
 * and titles, some shared across creators. Creators 0 and 1 are Adele and Lionel Richie with "Hello".
 */
export function buildCatalogue(rng: Random, o: ResolvedSimulationOptions): SimCatalogue {
  const { items: n, creators: nc, dim } = o;

  const usedNames = new Set(["Adele", "Lionel Richie"]);
  const creatorName: string[] = [];
  const creatorKind: SimKind[] = [];
  for (let c = 0; c < nc; c++) {
    creatorName.push(
      c === 0 ? "Adele" : c === 1 ? "Lionel Richie" : uniqueName(rng, usedNames, makeCreatorName),
    );
    creatorKind.push(c < 2 ? "song" : pick(rng, ["song", "video", "podcast"] as const, [0.9, 0.06, 0.04]));
  }
  const style = gaussians(rng, nc * dim);

  // Every creator gets one item (item c for creator c), the rest go to creators by a Zipf draw.
  const creatorCdf = cumulative(zipfWeights(rng, nc, CREATOR_PROLIFIC));
  const creatorOf = Int32Array.from({ length: n }, (_, i) => (i < nc ? i : drawCumulative(rng, creatorCdf)));
  const kinds = Array.from(creatorOf, (c) => creatorKind[c]);
  const lengthMs = Int32Array.from(kinds, (k) => {
    const [lo, hi] = LENGTH_MS[k];
    return lo + Math.round((hi - lo) * rng.next() ** 1.5);
  });

  const scale = factorScale(dim);
  const noise = Math.sqrt(1 - CREATOR_STYLE * CREATOR_STYLE);
  const itemFactors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) {
      itemFactors[i * dim + k] =
        scale * (CREATOR_STYLE * style[creatorOf[i] * dim + k] + noise * rng.normal());
    }
  }

  const popularity = zipfWeights(rng, n, o.popularityExponent);
  const logPop = Array.from(popularity, Math.log);
  const mean = logPop.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(logPop.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1;
  const itemBias = Float32Array.from(
    logPop,
    (lp) => BIAS_MEAN + (BIAS_POPULARITY * (lp - mean)) / sd + BIAS_NOISE * rng.normal(),
  );

  const genreDirs = unitDirections(rng, GENRES.length, dim);
  const topicDirs = unitDirections(rng, TOPICS.length, dim);
  const titles = assignTitles(rng, o, creatorOf, kinds);
  const ids: string[] = [];
  const items: CatalogueItemInput[] = [];
  for (let i = 0; i < n; i++) {
    const song = kinds[i] === "song";
    const tagCount = pick(rng, [1, 2, 3], [0.5, 0.35, 0.15]);
    const tags = nearestTags(
      itemFactors,
      i,
      dim,
      song ? GENRES : TOPICS,
      song ? genreDirs : topicDirs,
      tagCount,
    );
    const id = song
      ? songId(creatorName[creatorOf[i]], titles[i])
      : `${kinds[i]}:${String(i + 1).padStart(5, "0")}`;
    ids.push(id);
    items.push({
      id,
      title: titles[i],
      creators: [creatorName[creatorOf[i]]],
      kind: kinds[i],
      lengthMs: lengthMs[i],
      tags,
    });
  }

  const byTitle = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = titles[i].toLowerCase();
    const group = byTitle.get(key);
    if (group) group.push(i);
    else byTitle.set(key, [i]);
  }
  const sameTitle = titles.map((t) => byTitle.get(t.toLowerCase())!);

  return {
    items,
    ids,
    titles,
    creatorNames: Array.from(creatorOf, (c) => creatorName[c]),
    kinds,
    lengthMs,
    itemFactors,
    itemBias,
    popularityCdf: cumulative(popularity),
    sameTitle,
    follows: followingItems(creatorOf),
  };
}

/** The next item of the same creator in index order, -1 for each creator's last: a creator's "album order". */
export function followingItems(creatorOf: Int32Array): Int32Array {
  const follows = new Int32Array(creatorOf.length).fill(-1);
  const lastOf = new Map<number, number>();
  for (let i = 0; i < creatorOf.length; i++) {
    const previous = lastOf.get(creatorOf[i]);
    if (previous !== undefined) follows[previous] = i;
    lastOf.set(creatorOf[i], i);
  }
  return follows;
}

/**
 * Fresh unique titles, then shared ones: walking songs in random order, with probability
 * sharedTitleShare the next two or three songs (by distinct creators) take one title, so about that
 * share of distinct titles is carried by several creators. Same-creator collisions get a version suffix.
 */
function assignTitles(
  rng: Random,
  o: ResolvedSimulationOptions,
  creatorOf: Int32Array,
  kinds: SimKind[],
): string[] {
  const n = creatorOf.length;
  const used = new Set(["Hello"]);
  const titles = Array.from({ length: n }, (_, i) => (i < 2 ? "Hello" : uniqueName(rng, used, makeTitle)));

  const songs = permutation(rng, n).filter((i) => i >= 2 && kinds[i] === "song");
  for (let k = 0; k < songs.length; ) {
    const group = songs.slice(k, k + (rng.next() < 0.7 ? 2 : 3));
    const distinct = new Set(Array.from(group, (i) => creatorOf[i])).size === group.length;
    if (group.length > 1 && distinct && rng.next() < o.sharedTitleShare) {
      for (const i of group) titles[i] = titles[group[0]];
      k += group.length;
    } else k++;
  }

  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const base = titles[i];
    for (let v = 0; seen.has(`${creatorOf[i]}|${titles[i]}`); v++) {
      titles[i] = `${base} (${VERSIONS[v] ?? `Version ${v + 1}`})`;
    }
    seen.add(`${creatorOf[i]}|${titles[i]}`);
  }
  return titles;
}

/** Random unit vectors, one per row: a tag's direction in the latent space, all equally likely to win. */
function unitDirections(rng: Random, rows: number, dim: number): Float64Array {
  const out = gaussians(rng, rows * dim);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * dim, (r + 1) * dim);
    const norm = Math.hypot(...row) || 1;
    for (let k = 0; k < dim; k++) row[k] /= norm;
  }
  return out;
}

/** The `count` tags whose direction is most aligned with item i's traits. */
function nearestTags(
  factors: Float32Array,
  i: number,
  dim: number,
  names: readonly string[],
  dirs: Float64Array,
  count: number,
): string[] {
  const scored = names.map((name, g) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += factors[i * dim + k] * dirs[g * dim + k];
    return { name, s };
  });
  scored.sort((a, b) => b.s - a.s);
  return scored.slice(0, count).map((t) => t.name);
}
