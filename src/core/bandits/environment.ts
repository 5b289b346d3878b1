import { Random } from "../random.js";
import { hashString } from "../simulate/voice/hash.js";
import { sigmoid } from "./logistic.js";
import { type BanditContext, type BanditPolicy, LinearPolicy } from "./policies.js";
import { seenSlots } from "./slate.js";

/**
 * A world a bandit policy can be tried in before it meets people: who visits, what they are like (a segment
 * and a feature vector), and the true probability that a shown arm in a slot earns a reward. Knowing the truth
 * gives each display's expected reward and the best display's, so regret is exact (no sampling noise).
 *
 * Feedback comes in two shapes:
 * - "cascade" (a carousel, Bendada et al. 2020): slots are scanned in order and the first one the user would
 *   stream ends the scan, so a display yields at most one reward; expected reward 1 - prod(1 - p_k).
 * - "independent" (a small widget, the Open Bandit Dataset's three slots): every slot is seen and clicked on
 *   its own; expected reward sum p_k.
 */
export interface BanditEnvironment {
  readonly name: string;
  readonly nArms: number;
  readonly nUsers: number;
  readonly slots: number;
  /** Slots seen without scrolling (cascade feedback only: with no stream, only these count as seen). */
  readonly initiallyVisible: number;
  readonly feedback: "cascade" | "independent";
  /** Length of each user's feature vector (the linear policies' context). */
  readonly dim: number;
  readonly nSegments: number;
  features(user: number): Float64Array;
  segment(user: number): number;
  /** The true probability that `user` is rewarded by `arm` shown at `slot`. */
  probability(user: number, arm: number, slot: number): number;
  /** A visiting user. */
  drawUser(rng: Random): number;
  /** Expected reward of the best display for this user. */
  optimalValue(user: number): number;
  /** Names of the arms (shelf titles, item ids), for reports. */
  readonly armLabels?: readonly string[];
}

/** Expected reward of showing `arms` (slot k gets arms[k]) to `user`. */
export function expectedReward(env: BanditEnvironment, user: number, arms: ArrayLike<number>): number {
  if (env.feedback === "independent") {
    let sum = 0;
    for (let k = 0; k < arms.length; k++) sum += env.probability(user, arms[k], k);
    return sum;
  }
  let none = 1;
  for (let k = 0; k < arms.length; k++) none *= 1 - env.probability(user, arms[k], k);
  return 1 - none;
}

/**
 * An environment whose truth is a table of logits: p(user, arm, slot) = sigmoid(logits[user, arm] +
 * slotOffsets[slot]). Slot offsets model position bias (a left slot seen more than a right one) and are only
 * allowed with independent feedback, where the best display pairs the best arms with the best slots.
 */
export interface TableEnvironmentSpec {
  name: string;
  nUsers: number;
  nArms: number;
  /** nUsers x nArms, row-major. */
  logits: Float64Array;
  slots: number;
  slotOffsets?: Float64Array;
  initiallyVisible?: number;
  feedback: "cascade" | "independent";
  dim: number;
  /** nUsers x dim, row-major. */
  features: Float64Array;
  segments: Int32Array;
  nSegments: number;
  /** How often each user visits (relative; default equal). */
  visitWeights?: Float64Array;
  armLabels?: readonly string[];
}

export function tableEnvironment(spec: TableEnvironmentSpec): BanditEnvironment {
  const { nUsers, nArms, slots, logits, dim } = spec;
  if (logits.length !== nUsers * nArms) throw new RangeError("logits must hold nUsers x nArms numbers");
  if (spec.features.length !== nUsers * dim) throw new RangeError("features must hold nUsers x dim numbers");
  if (nArms < slots) throw new RangeError(`${nArms} arms cannot fill ${slots} slots`);
  const offsets = spec.slotOffsets ?? new Float64Array(slots);
  if (offsets.length !== slots) throw new RangeError("slotOffsets must hold one number per slot");
  if (spec.feedback === "cascade" && offsets.some((o) => o !== 0))
    throw new RangeError("slot offsets need independent feedback (the cascade optimum ignores slots)");
  const cdf = new Float64Array(nUsers);
  let total = 0;
  for (let u = 0; u < nUsers; u++) {
    const w = spec.visitWeights ? spec.visitWeights[u] : 1;
    if (!(w >= 0)) throw new RangeError(`visit weight of user ${u} is ${w}`);
    total += w;
    cdf[u] = total;
  }
  if (!(total > 0)) throw new RangeError("no user ever visits");
  if (offsets.some((o) => o !== 0) && slots > 8)
    throw new RangeError(
      "slot offsets are supported up to 8 slots (the best order is searched exhaustively)",
    );
  const env: BanditEnvironment = {
    name: spec.name,
    nArms,
    nUsers,
    slots,
    initiallyVisible: spec.initiallyVisible ?? slots,
    feedback: spec.feedback,
    dim,
    nSegments: spec.nSegments,
    armLabels: spec.armLabels,
    features: (u) => spec.features.subarray(u * dim, (u + 1) * dim),
    segment: (u) => spec.segments[u],
    probability: (u, a, k) => sigmoid(logits[u * nArms + a] + offsets[k]),
    drawUser: (rng) => {
      const r = rng.next() * total;
      let lo = 0;
      let hi = nUsers - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] > r) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
    optimalValue: (u) => optimal[u],
  };
  // The best display uses the user's `slots` highest logits: p is increasing in the logit at every slot, so
  // an arm outside that set can be swapped for an unused one inside it without loss. Under cascade feedback
  // (no offsets) their order does not matter. Under independent feedback with offsets the best order is found
  // among all orders of those arms (sorting both would be optimal only where every p < 1/2).
  const orders = offsets.some((o) => o !== 0)
    ? permutations(slots)
    : [Array.from({ length: slots }, (_, k) => k)];
  const optimal = new Float64Array(nUsers);
  const row = new Float64Array(nArms);
  const arms = new Int32Array(slots);
  for (let u = 0; u < nUsers; u++) {
    row.set(logits.subarray(u * nArms, (u + 1) * nArms));
    const best = Array.from(row)
      .map((z, a) => [z, a] as const)
      .sort((x, y) => y[0] - x[0])
      .slice(0, slots)
      .map(([, a]) => a);
    let value = 0;
    for (const order of orders) {
      for (let k = 0; k < slots; k++) arms[k] = best[order[k]];
      value = Math.max(value, expectedReward(env, u, arms));
    }
    optimal[u] = value;
  }
  return env;
}

/** Every order of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, at) => [...p.slice(0, at), n - 1, ...p.slice(at)]),
  );
}

export interface SimulationRun {
  policy: string;
  /** Cumulative expected regret against the oracle after each round. */
  cumulativeRegret: number[];
  /** Rewards (streams, clicks) per display over the whole run. */
  rewardsPerDisplay: number;
}

export interface SimulationOptions {
  rounds: number;
  usersPerRound: number;
  seed: number;
  /** false: every shown slot counts as seen (the "naive" update Bendada et al. compare with). */
  cascade?: boolean;
  onRound?: (policy: string, round: number) => void;
  /** Every display with what the policy logged and what happened (to write a simulated impression log). */
  onDisplay?: (display: SimulatedDisplay) => void;
}

export interface SimulatedDisplay {
  policy: string;
  round: number;
  /** Index of the visit within its round. */
  visit: number;
  user: number;
  arms: Int32Array;
  propensities: Float64Array;
  rewards: Float64Array;
  /** Leading slots observed (the cascade rule). */
  seen: number;
}

/**
 * Runs each policy on the same visitors and the same random numbers (common random numbers: the draw that
 * decides a reward is shared per visit and slot; a policy's own draws come from a stream keyed by the seed and
 * its name, so two policies in one run need different names), with batch feedback: a round's displays use the state at
 * the round's start, and all its observations are learned at its end. Regret is expected regret: the best
 * display's expected reward minus the shown display's, so it carries no reward-sampling noise.
 */
export function simulateBandit(
  env: BanditEnvironment,
  policies: BanditPolicy[],
  options: SimulationOptions,
): SimulationRun[] {
  const slots = env.slots;
  const roundUsers: Int32Array[] = [];
  const roundDraws: Float64Array[] = [];
  const master = new Random(options.seed);
  for (let r = 0; r < options.rounds; r++) {
    roundUsers.push(Int32Array.from({ length: options.usersPerRound }, () => env.drawUser(master)));
    roundDraws.push(Float64Array.from({ length: options.usersPerRound * slots }, () => master.next()));
  }
  const context = (u: number): BanditContext => ({ segment: env.segment(u), features: env.features(u) });
  return policies.map((policy) => {
    // Seeded by (seed, name), not by place in the list: adding or reordering policies must leave every other
    // policy's draws, and so its figures, unchanged.
    const rng = new Random(hashString(policy.name, options.seed));
    const cumulativeRegret: number[] = [];
    let regret = 0;
    let rewards = 0;
    for (let r = 0; r < options.rounds; r++) {
      const batch: Array<{ context: BanditContext; arms: Int32Array; rewards: Float64Array }> = [];
      for (let i = 0; i < options.usersPerRound; i++) {
        const u = roundUsers[r][i];
        const ctx = context(u);
        const { arms, propensities } = policy.choose(ctx, slots, rng);
        regret += env.optimalValue(u) - expectedReward(env, u, arms);
        const got = new Float64Array(arms.length);
        for (let k = 0; k < arms.length; k++) {
          if (roundDraws[r][i * slots + k] < env.probability(u, arms[k], k)) {
            got[k] = 1;
            rewards += 1;
            if (env.feedback === "cascade") break;
          }
        }
        const seen =
          env.feedback === "independent" || options.cascade === false
            ? arms.length
            : seenSlots(got, env.initiallyVisible);
        batch.push({ context: ctx, arms: arms.subarray(0, seen), rewards: got.subarray(0, seen) });
        options.onDisplay?.({
          policy: policy.name,
          round: r,
          visit: i,
          user: u,
          arms,
          propensities,
          rewards: got,
          seen,
        });
      }
      if (policy instanceof LinearPolicy) policy.updateBatch(batch);
      else for (const b of batch) policy.update(b.context, b.arms, b.rewards);
      cumulativeRegret.push(regret);
      options.onRound?.(policy.name, r + 1);
    }
    return {
      policy: policy.name,
      cumulativeRegret,
      rewardsPerDisplay: rewards / (options.rounds * options.usersPerRound),
    };
  });
}

/**
 * What a policy needs to know of the environment it is made for: the arms, the segments, the feature length,
 * and the users' mean squared feature norm (the linear policies' prior precision scales with it).
 */
export function policySetting(env: BanditEnvironment): {
  nArms: number;
  nSegments: number;
  dim: number;
  featureSquaredNorm: number;
} {
  let s = 0;
  for (let u = 0; u < env.nUsers; u++) for (const v of env.features(u)) s += v * v;
  return { nArms: env.nArms, nSegments: env.nSegments, dim: env.dim, featureSquaredNorm: s / env.nUsers };
}
