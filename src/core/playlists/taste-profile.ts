import type { UserState } from "../affinity/affinity-model.js";
import type { FoldedCells } from "../affinity/cells.js";
import type { TasteItem } from "./taste-space.js";

export interface WeightedName {
  name: string;
  /** Summed positive history (label · weight) of the user's plays of it. */
  weight: number;
  /** Distinct items of it the user liked. */
  items: number;
}

export interface TasteProfile {
  plays: number;
  /** Distinct items played. */
  items: number;
  /** Distinct items with a positive history (more long plays than skips, by weight). */
  liked: number;
  topCreators: WeightedName[];
  topTags: WeightedName[];
  /**
   * How adventurous: the share of the user's plays of liked items that went to a different item, i.e.
   * liked items / plays of liked items. 1 = every liked item heard once (always something new); near 0 =
   * the same few favourites on repeat.
   */
  adventurous: number;
  /** Share of the distinct items the user tried that they came to like: how often a new item lands. */
  landed: number;
  /** Share of the model's users who are less adventurous (null when the population is not known). */
  adventurousPercentile: number | null;
}

/** The user's taste in words: who and what they like most, and how much of their listening is new. */
export function tasteProfile(
  state: UserState,
  catalogue: ReadonlyArray<TasteItem | null>,
  population: FoldedCells | null,
  top = 10,
): TasteProfile {
  const creators = new Map<string, WeightedName>();
  const tags = new Map<string, WeightedName>();
  let plays = 0;
  let liked = 0;
  let likedPlays = 0;
  for (let c = 0; c < state.items.length; c++) {
    plays += state.count[c];
    if (!(state.sum[c] > 0)) continue;
    liked++;
    likedPlays += state.count[c];
    const item = catalogue[state.items[c]];
    if (!item) continue;
    for (const name of item.creators) add(creators, name, state.sum[c]);
    for (const tag of item.tags) add(tags, tag.toLowerCase(), state.sum[c]);
  }
  const adventurous = likedPlays > 0 ? liked / likedPlays : 0;
  return {
    plays,
    items: state.items.length,
    liked,
    topCreators: ranked(creators, top),
    topTags: ranked(tags, top),
    adventurous,
    landed: state.items.length > 0 ? liked / state.items.length : 0,
    adventurousPercentile: population ? percentileOf(adventurousByUser(population), adventurous) : null,
  };
}

function add(map: Map<string, WeightedName>, name: string, weight: number): void {
  const seen = map.get(name);
  if (seen) {
    seen.weight += weight;
    seen.items++;
  } else map.set(name, { name, weight, items: 1 });
}

function ranked(map: Map<string, WeightedName>, n: number): WeightedName[] {
  return [...map.values()]
    .sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name))
    .slice(0, n)
    .map((w) => ({ ...w, weight: Math.round(w.weight * 1e4) / 1e4 }));
}

const populationCache = new WeakMap<FoldedCells, Float64Array>();

/** Every user's adventurousness (users without a liked item left out), sorted ascending; cached. */
export function adventurousByUser(cells: FoldedCells): Float64Array {
  const cached = populationCache.get(cells);
  if (cached) return cached;
  const values: number[] = [];
  for (let u = 0; u < cells.nUsers; u++) {
    let liked = 0;
    let likedPlays = 0;
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) {
      if (!(cells.sum[c] > 0)) continue;
      liked++;
      likedPlays += cells.count[c];
    }
    if (likedPlays > 0) values.push(liked / likedPlays);
  }
  const sorted = Float64Array.from(values).sort();
  populationCache.set(cells, sorted);
  return sorted;
}

/** Share of sorted values strictly below x. */
function percentileOf(sorted: Float64Array, x: number): number | null {
  if (sorted.length === 0) return null;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return Math.round((lo / sorted.length) * 1e4) / 1e4;
}
