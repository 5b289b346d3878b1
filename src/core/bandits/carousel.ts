import { Random } from "../random.js";
import { type BanditEnvironment, simulateBandit } from "./environment.js";
import { sigmoid } from "./logistic.js";
import type { BanditPolicy } from "./policies.js";

/**
 * The carousel environment of Bendada, Salha and Bontempelli (RecSys 2020): user u streams playlist i with
 * probability sigmoid(x_u . theta_i), x_u ending in a constant 1 for the bias. A display of L cards is
 * scanned in order and yields at most one stream (the first card the user would stream); the expected
 * streams of a display are 1 - prod(1 - p_i). Regret of a display: the best display's expected streams (the
 * user's top-L playlists) minus the shown one's.
 */
export interface CarouselWorld {
  readonly dim: number;
  readonly nArms: number;
  /** nArms x dim, row-major. */
  readonly arms: Float64Array;
  readonly nUsers: number;
  /** nUsers x dim, row-major, last column 1. */
  readonly users: Float64Array;
  readonly segments: Int32Array;
  readonly nSegments: number;
}

/**
 * Users drawn from a Gaussian fitted to a few real ones (per-dimension mean and standard deviation): the
 * staged file has 9 of the paper's 974,960 users, too few to simulate a population from directly.
 * `embeddings` is n x (dim - 1); the bias 1 is appended.
 */
export function drawUsers(
  embeddings: Float64Array,
  n: number,
  dim: number,
  count: number,
  seed: number,
): Float64Array {
  const e = dim - 1;
  const mean = new Float64Array(e);
  const sd = new Float64Array(e);
  for (let i = 0; i < n; i++) for (let j = 0; j < e; j++) mean[j] += embeddings[i * e + j] / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < e; j++) sd[j] += (embeddings[i * e + j] - mean[j]) ** 2 / Math.max(n - 1, 1);
  for (let j = 0; j < e; j++) sd[j] = Math.sqrt(sd[j]);
  const rng = new Random(seed);
  const users = new Float64Array(count * dim);
  for (let u = 0; u < count; u++) {
    for (let j = 0; j < e; j++) users[u * dim + j] = mean[j] + sd[j] * rng.normal();
    users[u * dim + e] = 1;
  }
  return users;
}

/** k-means (Lloyd, k-means++-style seeding by distance draws) of the users, standing in for the paper's 100 segments. */
export function kMeansSegments(
  users: Float64Array,
  n: number,
  dim: number,
  k: number,
  seed: number,
  iterations = 15,
): Int32Array {
  const rng = new Random(seed);
  const centres = new Float64Array(k * dim);
  const dist = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const sq = (u: number, c: number) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (users[u * dim + j] - centres[c * dim + j]) ** 2;
    return s;
  };
  let pick = rng.int(n);
  for (let c = 0; c < k; c++) {
    centres.set(users.subarray(pick * dim, (pick + 1) * dim), c * dim);
    let total = 0;
    for (let u = 0; u < n; u++) {
      dist[u] = Math.min(dist[u], sq(u, c));
      total += dist[u];
    }
    let r = rng.next() * total;
    pick = n - 1;
    for (let u = 0; u < n; u++) {
      r -= dist[u];
      if (r <= 0) {
        pick = u;
        break;
      }
    }
  }
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    for (let u = 0; u < n; u++) {
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const d = sq(u, c);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      assign[u] = best;
    }
    const sums = new Float64Array(k * dim);
    const counts = new Float64Array(k);
    for (let u = 0; u < n; u++) {
      counts[assign[u]] += 1;
      for (let j = 0; j < dim; j++) sums[assign[u] * dim + j] += users[u * dim + j];
    }
    for (let c = 0; c < k; c++)
      if (counts[c] > 0) for (let j = 0; j < dim; j++) centres[c * dim + j] = sums[c * dim + j] / counts[c];
  }
  return assign;
}

/** Stream probability of user u on arm a. */
export function streamProbability(world: CarouselWorld, u: number, a: number): number {
  let z = 0;
  const d = world.dim;
  for (let j = 0; j < d; j++) z += world.users[u * d + j] * world.arms[a * d + j];
  return sigmoid(z);
}

/** Expected streams of a display: 1 - prod(1 - p) over its cards. */
export function displayValue(world: CarouselWorld, u: number, arms: ArrayLike<number>): number {
  let none = 1;
  for (let k = 0; k < arms.length; k++) none *= 1 - streamProbability(world, u, arms[k]);
  return 1 - none;
}

/** Each user's best display value (their `slots` most likely playlists). */
export function optimalValues(world: CarouselWorld, slots: number): Float64Array {
  const out = new Float64Array(world.nUsers);
  const p = new Float64Array(world.nArms);
  for (let u = 0; u < world.nUsers; u++) {
    for (let a = 0; a < world.nArms; a++) p[a] = streamProbability(world, u, a);
    p.sort();
    let none = 1;
    for (let k = 0; k < slots; k++) none *= 1 - p[world.nArms - 1 - k];
    out[u] = 1 - none;
  }
  return out;
}

export interface CarouselRun {
  policy: string;
  /** Cumulative expected regret after each round. */
  cumulativeRegret: number[];
  /** Streams per display over the whole run. */
  streamsPerDisplay: number;
}

export interface CarouselOptions {
  rounds: number;
  usersPerRound: number;
  slots?: number;
  initiallyVisible?: number;
  seed: number;
  /** false: every shown card counts as seen (the "naive" update the paper compares with). */
  cascade?: boolean;
  onRound?: (policy: string, round: number) => void;
}

/** The carousel world as a bandit environment: users visit uniformly, cascade feedback. */
export function carouselEnvironment(
  world: CarouselWorld,
  slots = 12,
  initiallyVisible = 3,
): BanditEnvironment {
  const optimal = optimalValues(world, slots);
  return {
    name: "deezer",
    nArms: world.nArms,
    nUsers: world.nUsers,
    slots,
    initiallyVisible,
    feedback: "cascade",
    dim: world.dim,
    nSegments: world.nSegments,
    features: (u) => world.users.subarray(u * world.dim, (u + 1) * world.dim),
    segment: (u) => world.segments[u],
    probability: (u, a) => streamProbability(world, u, a),
    drawUser: (rng) => rng.int(world.nUsers),
    optimalValue: (u) => optimal[u],
  };
}

/** The paper's simulation: each policy on the same users and random numbers, batch feedback per round. */
export function simulateCarousel(
  world: CarouselWorld,
  policies: BanditPolicy[],
  options: CarouselOptions,
): CarouselRun[] {
  const env = carouselEnvironment(world, options.slots ?? 12, options.initiallyVisible ?? 3);
  return simulateBandit(env, policies, options).map((r) => ({
    policy: r.policy,
    cumulativeRegret: r.cumulativeRegret,
    streamsPerDisplay: r.rewardsPerDisplay,
  }));
}
