import { affinityLogit } from "../simulate/model.js";
import type { SimulatedWorld } from "../simulate/types.js";
import { kMeansSegments } from "./carousel.js";
import { type BanditEnvironment, tableEnvironment } from "./environment.js";

/**
 * Home shelves in the listener world tastebud simulates (src/core/simulate), with the world's own truth as the
 * reward: a shelf is a titled list of items ("more jazz", "from Adele", "popular podcasts"), each the most played
 * items of its kind in the world's log, and a listener shown a shelf streams from it (>= 30 s) with probability
 * TAP_RATE x the mean true affinity a(u, i) of its items, a(u, i) being the simulator's probability that u plays
 * i past 30 s. The tap rate is hand-set so that a 12-shelf page earns about 0.1-0.4 streams, the range of the
 * Deezer carousel.
 */
export const TAP_RATE = 0.05;

export interface WorldShelvesOptions {
  /** Items per shelf (default 10). */
  shelfLength?: number;
  /** Creators with the most plays that get a "from X" shelf (default 40). */
  creatorShelves?: number;
  /** Slots on the page (default 12) and how many are seen without scrolling (default 3). */
  slots?: number;
  initiallyVisible?: number;
  /** k-means segments over the listeners' taste vectors (default 20). */
  segments?: number;
  seed?: number;
}

export interface Shelf {
  title: string;
  items: number[];
}

/** The shelves: one per tag, one per item kind, and one per creator among the most played. */
export function worldShelves(world: SimulatedWorld, shelfLength = 10, creatorShelves = 40): Shelf[] {
  const index = new Map(world.truth.items.map((id, i) => [id, i]));
  const plays = new Float64Array(world.truth.items.length);
  for (const e of world.events) {
    const i = index.get(e.item);
    if (i !== undefined) plays[i] += 1;
  }
  const groups = new Map<string, number[]>();
  const add = (title: string, i: number) => {
    const g = groups.get(title);
    if (g) g.push(i);
    else groups.set(title, [i]);
  };
  const creatorPlays = new Map<string, number>();
  for (const item of world.catalogue) {
    const i = index.get(item.id);
    if (i === undefined) continue;
    for (const tag of item.tags ?? []) add(`more ${tag}`, i);
    add(`popular ${item.kind ?? "song"}s`, i);
    const creator = item.creators?.[0];
    if (creator) creatorPlays.set(creator, (creatorPlays.get(creator) ?? 0) + plays[i]);
  }
  const topCreators = new Set(
    [...creatorPlays.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, creatorShelves)
      .map(([c]) => c),
  );
  for (const item of world.catalogue) {
    const creator = item.creators?.[0];
    const i = index.get(item.id);
    if (creator && i !== undefined && topCreators.has(creator)) add(`from ${creator}`, i);
  }
  return [...groups.entries()]
    .filter(([, items]) => items.length >= 3)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([title, items]) => ({
      title,
      items: items.sort((a, b) => plays[b] - plays[a] || a - b).slice(0, shelfLength),
    }));
}

/**
 * The environment: users visit in proportion to their plays in the world's log (its heavy listeners come
 * back more), segments are k-means over their true taste vectors, and the linear policies see those taste
 * vectors with a constant 1 appended (as the Deezer simulation gives them the real users' embeddings).
 */
export function worldShelfEnvironment(
  world: SimulatedWorld,
  options: WorldShelvesOptions = {},
): BanditEnvironment & { shelves: Shelf[] } {
  const t = world.truth;
  const shelves = worldShelves(world, options.shelfLength ?? 10, options.creatorShelves ?? 40);
  const nUsers = t.users.length;
  const nArms = shelves.length;
  const logits = new Float64Array(nUsers * nArms);
  for (let u = 0; u < nUsers; u++)
    for (let s = 0; s < nArms; s++) {
      let mean = 0;
      for (const i of shelves[s].items) {
        const z = affinityLogit(t.userFactors, u, t.itemFactors, t.itemBias, i, t.dim);
        mean += 1 / (1 + Math.exp(-z)) / shelves[s].items.length;
      }
      const p = TAP_RATE * mean;
      logits[u * nArms + s] = Math.log(p / (1 - p));
    }
  const dim = t.dim + 1;
  const features = new Float64Array(nUsers * dim);
  for (let u = 0; u < nUsers; u++) {
    for (let k = 0; k < t.dim; k++) features[u * dim + k] = t.userFactors[u * t.dim + k];
    features[u * dim + t.dim] = 1;
  }
  const userIndex = new Map(t.users.map((id, u) => [id, u]));
  const visits = new Float64Array(nUsers);
  for (const e of world.events) {
    const u = userIndex.get(e.user);
    if (u !== undefined) visits[u] += 1;
  }
  const nSegments = Math.min(options.segments ?? 20, nUsers);
  const env = tableEnvironment({
    name: "world",
    nUsers,
    nArms,
    logits,
    slots: options.slots ?? 12,
    initiallyVisible: options.initiallyVisible ?? 3,
    feedback: "cascade",
    dim,
    features,
    segments: kMeansSegments(features, nUsers, dim, nSegments, options.seed ?? 1),
    nSegments,
    visitWeights: visits.some((v) => v > 0) ? visits : undefined,
    armLabels: shelves.map((s) => s.title),
  });
  return Object.assign(env, { shelves });
}
