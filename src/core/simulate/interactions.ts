import type { TimedPlayTable } from "../affinity/affinity-model.js";
import { defaultLabelRule } from "../affinity/weighting.js";
import { Random } from "../random.js";

/**
 * Bulk implicit feedback for scale benchmarks: synth-2m's recipe (../shared/data/synth-2m/SOURCE.md) scaled
 * up and written straight into typed columns, one play per distinct (user, item) pair, so that tens of
 * millions of interactions never exist as JS objects.
 *
 * Users have power-law activity and each a sparse mixture over hidden topics (Dirichlet); items have
 * power-law popularity and each a sparse affinity to the topics (Dirichlet). A draw picks a topic from the
 * user's mixture, then an item with probability popularity x affinity to that topic; a share of draws
 * ignores topics. A user draws until they have their number of distinct items (drawing a pair again makes
 * it more liked). Each pair then gets one play: past the 30 s threshold (a long play, often to the end)
 * with a probability that rises with the user's true affinity for the item, otherwise a skip, mostly in the
 * first seconds. User and item indices are random permutations of their ranks; rows are ordered by end
 * time, as the store's scan orders them.
 */
export interface InteractionSimOptions {
  /** Distinct (user, item) pairs, one play each. */
  interactions: number;
  users: number;
  items: number;
  topics: number;
  /** Item popularity ∝ rank^-itemExponent. */
  itemExponent: number;
  /** User activity ∝ rank^-userExponent. */
  userExponent: number;
  /** Dirichlet concentration of user mixtures and item affinities. */
  concentration: number;
  /** Share of draws that ignore topics (popularity only). */
  offTopicShare: number;
  /** Play end times spread uniformly over this many days from `startMs`. */
  days: number;
  startMs: number;
  seed: number;
}

export const defaultInteractionSimOptions: InteractionSimOptions = {
  interactions: 2_000_000,
  users: 50_000,
  items: 20_000,
  topics: 16,
  itemExponent: 0.7,
  userExponent: 0.4,
  concentration: 0.1,
  offTopicShare: 0.2,
  days: 90,
  startMs: Date.UTC(2026, 0, 1),
  seed: 42,
};

export interface SimulatedInteractions extends TimedPlayTable {
  /** Item draws made, repeats of a pair included. */
  draws: number;
  /** Plays at or past the 30 s threshold. */
  longPlays: number;
  /** Items a user got uniformly at random after too many repeated draws (only very heavy users). */
  uniformFills: number;
}

/** Threshold of the default label rule: plays shorter than this are skips. */
const THRESHOLD_MS = defaultLabelRule.thresholdMs;
/** Draws per wanted item before a user's remaining items are filled uniformly at random. */
const DRAWS_PER_ITEM = 20;
/** No user holds more than this share of the catalogue. */
const MAX_USER_SHARE = 0.5;
/** Share of long plays that run to the item's end. */
const COMPLETED_SHARE = 0.5;

export function simulateInteractions(options: Partial<InteractionSimOptions> = {}): SimulatedInteractions {
  const o = { ...defaultInteractionSimOptions, ...options };
  const { interactions: n, users: nUsers, items: nItems, topics: K } = o;
  const rng = new Random(o.seed);
  const degree = userDegrees(rng, n, nUsers, nItems, o.userExponent);

  // Items by popularity rank: topic affinities, lengths, alias tables per topic and for popularity alone.
  const popularity = new Float64Array(nItems);
  for (let r = 0; r < nItems; r++) popularity[r] = (r + 1) ** -o.itemExponent;
  const affinity = new Float32Array(nItems * K);
  const mix = new Float64Array(K);
  for (let r = 0; r < nItems; r++) {
    dirichlet(rng, o.concentration, mix);
    for (let t = 0; t < K; t++) affinity[r * K + t] = mix[t];
  }
  const lengthMs = new Float64Array(nItems);
  for (let r = 0; r < nItems; r++) lengthMs[r] = Math.round(120_000 + 240_000 * rng.next());
  const global = aliasTable(popularity);
  const byTopic = Array.from({ length: K }, (_, t) =>
    aliasTable(Float64Array.from(popularity, (p, r) => p * affinity[r * K + t])),
  );
  const itemOfRank = permutation(rng, nItems);
  const userOfRank = permutation(rng, nUsers);

  const userIndex = new Int32Array(n);
  const itemIndex = new Int32Array(n);
  const playedMs = new Float64Array(n);
  const itemLengthMs = new Float64Array(n);
  const second = new Int32Array(n);
  // Row of item rank r in the current user's block when >= the block's start (rows only grow).
  const rowOf = new Int32Array(nItems).fill(-1);
  const rankAt = new Int32Array(maxOf(degree));
  const repeats = new Int32Array(rankAt.length);
  const theta = new Float64Array(K);
  const topicCdf = new Float64Array(K);
  const seconds = Math.max(1, Math.round(o.days * 86_400));
  let draws = 0;
  let longPlays = 0;
  let uniformFills = 0;
  let start = 0;
  for (let ur = 0; ur < nUsers; ur++) {
    const d = degree[ur];
    dirichlet(rng, o.concentration, theta);
    let acc = 0;
    for (let t = 0; t < K; t++) topicCdf[t] = acc += theta[t];
    const limit = DRAWS_PER_ITEM * d + 100;
    let got = 0;
    let tries = 0;
    while (got < d) {
      let r: number;
      if (tries++ < limit) {
        if (rng.next() < o.offTopicShare) r = global.draw(rng);
        else {
          const x = rng.next() * acc;
          let t = 0;
          while (t < K - 1 && topicCdf[t] <= x) t++;
          r = byTopic[t].draw(rng);
        }
        draws++;
      } else {
        r = rng.int(nItems);
        if (rowOf[r] < start) uniformFills++;
      }
      const at = rowOf[r];
      if (at >= start) {
        repeats[at - start]++;
        continue;
      }
      rowOf[r] = start + got;
      rankAt[got] = r;
      repeats[got] = 1;
      got++;
    }
    const u = userOfRank[ur];
    for (let k = 0; k < d; k++) {
      const r = rankAt[k];
      const row = start + k;
      let dot = 0;
      for (let t = 0; t < K; t++) dot += theta[t] * affinity[r * K + t];
      // K·dot is about 1 for an average pair, ~10 on the user's topic, ~0 off it.
      const logit = 0.3 + 0.5 * Math.log(K * dot + 0.1) + 0.7 * Math.min(3, repeats[k] - 1);
      const length = lengthMs[r];
      let played: number;
      if (rng.next() * (1 + Math.exp(-logit)) < 1) {
        longPlays++;
        played =
          rng.next() < COMPLETED_SHARE
            ? length
            : THRESHOLD_MS + Math.round((length - THRESHOLD_MS) * Math.sqrt(rng.next()));
      } else {
        const x = rng.next();
        played = Math.floor(THRESHOLD_MS * x * x);
      }
      userIndex[row] = u;
      itemIndex[row] = itemOfRank[r];
      playedMs[row] = played;
      itemLengthMs[row] = length;
      second[row] = rng.int(seconds);
    }
    start += d;
  }

  // Order rows by end time (a counting sort on whole seconds, stable), one column at a time.
  const order = countingOrder(second, seconds);
  const endTimeMs = new Float64Array(n);
  for (let k = 0; k < n; k++) endTimeMs[k] = o.startMs + 1000 * second[order[k]];
  const scratch = new Float64Array(n);
  for (const column of [userIndex, itemIndex, playedMs, itemLengthMs]) {
    for (let k = 0; k < n; k++) scratch[k] = column[order[k]];
    column.set(scratch);
  }
  return {
    nUsers,
    nItems,
    userIndex,
    itemIndex,
    playedMs,
    itemLengthMs,
    weight: new Float64Array(n).fill(Number.NaN),
    endTimeMs,
    draws,
    longPlays,
    uniformFills,
  };
}

/**
 * Distinct items per user by activity rank: 1 + an equal share of the rest in proportion to rank^-exponent,
 * at most MAX_USER_SHARE of the items; what rounding leaves goes to users drawn by activity.
 */
export function userDegrees(
  rng: Random,
  interactions: number,
  users: number,
  items: number,
  exponent: number,
): Int32Array {
  const cap = Math.max(1, Math.floor(items * MAX_USER_SHARE));
  if (interactions < users || interactions > users * cap)
    throw new Error(`${interactions} interactions do not fit ${users} users of at most ${cap} items each`);
  const w = new Float64Array(users);
  let total = 0;
  for (let r = 0; r < users; r++) total += w[r] = (r + 1) ** -exponent;
  const degree = new Int32Array(users);
  let placed = 0;
  for (let r = 0; r < users; r++) {
    degree[r] = Math.min(cap, 1 + Math.floor(((interactions - users) * w[r]) / total));
    placed += degree[r];
  }
  const activity = aliasTable(w);
  let misses = 0;
  while (placed < interactions && misses < 1000) {
    const r = activity.draw(rng);
    if (degree[r] < cap) {
      degree[r]++;
      placed++;
    } else misses++;
  }
  for (let r = 0; placed < interactions; r = (r + 1) % users) {
    if (degree[r] < cap) {
      degree[r]++;
      placed++;
    }
  }
  return degree;
}

/** Vose's alias table: draws index i with probability w[i] / Σw in O(1). */
export function aliasTable(weights: Float64Array): { draw: (rng: Random) => number } {
  const n = weights.length;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i];
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let ns = 0;
  let nl = 0;
  for (let i = 0; i < n; i++) {
    prob[i] = sum > 0 ? (weights[i] * n) / sum : 1;
    if (prob[i] < 1) small[ns++] = i;
    else large[nl++] = i;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns];
    const l = large[nl - 1];
    alias[s] = l;
    prob[l] += prob[s] - 1;
    if (prob[l] < 1) {
      nl--;
      small[ns++] = l;
    }
  }
  while (nl > 0) prob[large[--nl]] = 1;
  while (ns > 0) prob[small[--ns]] = 1;
  return {
    draw: (rng) => {
      const i = rng.int(n);
      return rng.next() < prob[i] ? i : alias[i];
    },
  };
}

/** Fills `out` with a draw from a symmetric Dirichlet(alpha). */
function dirichlet(rng: Random, alpha: number, out: Float64Array): void {
  let sum = 0;
  for (let t = 0; t < out.length; t++) sum += out[t] = rng.gamma(alpha);
  if (sum > 0) for (let t = 0; t < out.length; t++) out[t] /= sum;
  else out.fill(1 / out.length);
}

function permutation(rng: Random, n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Row order that sorts `keys` (integers in [0, range)) ascending, ties in row order. */
function countingOrder(keys: Int32Array, range: number): Int32Array {
  const at = new Int32Array(range + 1);
  for (let k = 0; k < keys.length; k++) at[keys[k] + 1]++;
  for (let s = 0; s < range; s++) at[s + 1] += at[s];
  const order = new Int32Array(keys.length);
  for (let k = 0; k < keys.length; k++) order[at[keys[k]]++] = k;
  return order;
}

function maxOf(xs: Int32Array): number {
  let m = 0;
  for (let k = 0; k < xs.length; k++) if (xs[k] > m) m = xs[k];
  return m;
}
