import type { Random } from "../random.js";

/**
 * A filled surface: `arms[k]` is shown in slot k, and `propensities[k]` is the probability that this policy,
 * in this state and context, would have put that arm in slot k (the marginal a position-aware off-policy
 * estimate divides by). `propensitySamples` is set when the propensities are Monte Carlo estimates.
 */
export interface Slate {
  arms: Int32Array;
  propensities: Float64Array;
  /** True for slots filled by exploration (a random pick) rather than the policy's best guess. */
  explored: boolean[];
  propensitySamples?: number;
}

/**
 * The `slots` arms with the highest scores, ties broken uniformly at random, with each slot's exact
 * propensity: a random tie-break makes every order of a tied group equally likely, so an arm of a group of
 * g tied arms lands on each slot that group covers with probability 1/g.
 */
export function topSlots(scores: Float64Array, slots: number, rng: Random | null): Slate {
  const arms = topIndices(scores, slots, rng);
  const k = arms.length;
  const propensities = new Float64Array(k);
  let s = 0;
  while (s < k) {
    const value = scores[arms[s]];
    let tied = 0;
    for (let i = 0; i < scores.length; i++) if (scores[i] === value) tied++;
    for (; s < k && scores[arms[s]] === value; s++) propensities[s] = 1 / tied;
  }
  return { arms, propensities, explored: new Array(k).fill(false) };
}

/**
 * Indices of the `count` highest scores, highest first; ties in random order when `rng` is given.
 * Partial selection: one pass keeps the best `count` in a small sorted buffer (count << n in the carousel).
 */
export function topIndices(scores: Float64Array, count: number, rng: Random | null): Int32Array {
  const n = scores.length;
  const k = Math.min(count, n);
  const jitter = new Float64Array(n);
  if (rng) for (let i = 0; i < n; i++) jitter[i] = rng.next();
  const better = (a: number, b: number) =>
    scores[a] > scores[b] || (scores[a] === scores[b] && jitter[a] > jitter[b]);
  const best = new Int32Array(k);
  let filled = 0;
  for (let i = 0; i < n; i++) {
    if (filled === k && !better(i, best[k - 1])) continue;
    let pos = filled < k ? filled++ : k - 1;
    while (pos > 0 && better(i, best[pos - 1])) {
      best[pos] = best[pos - 1];
      pos--;
    }
    best[pos] = i;
  }
  return best;
}

/** A uniformly random slate without repeats: every arm has probability 1/n at every slot. */
export function randomSlate(nArms: number, slots: number, rng: Random): Slate {
  const k = Math.min(slots, nArms);
  const arms = new Int32Array(k);
  const taken = new Set<number>();
  for (let s = 0; s < k; s++) {
    let a = rng.int(nArms);
    while (taken.has(a)) a = rng.int(nArms);
    taken.add(a);
    arms[s] = a;
  }
  return { arms, propensities: new Float64Array(k).fill(1 / nArms), explored: new Array(k).fill(true) };
}

/**
 * Cascade browsing (Bendada et al. 2020): a user scans the carousel in order and stops at the first stream,
 * so the slots after it are unseen; with no stream only the `initiallyVisible` first slots were seen.
 * Returns how many leading slots count as observed (shown and judged).
 */
export function seenSlots(rewards: ArrayLike<number>, initiallyVisible: number): number {
  for (let k = 0; k < rewards.length; k++) if (rewards[k] > 0) return k + 1;
  return Math.min(initiallyVisible, rewards.length);
}
