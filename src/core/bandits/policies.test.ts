import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import {
  type BanditPolicy,
  EpsilonGreedyPolicy,
  ExploreThenCommitPolicy,
  LinearPolicy,
  policyFromState,
  ThompsonSegmentPolicy,
  UniformPolicy,
} from "./policies.js";
import { seenSlots, topIndices, topSlots } from "./slate.js";

const nArms = 6;
const slots = 3;

/** Draws many slates; per slot, the logged propensity of each arm and how often it was shown. */
function tally(policy: BanditPolicy, draws: number, samples = 0, features?: Float64Array) {
  const rng = new Random(11);
  const shown = Array.from({ length: slots }, () => new Float64Array(nArms));
  const logged = Array.from({ length: slots }, () => new Float64Array(nArms));
  for (let t = 0; t < draws; t++) {
    const slate = policy.choose({ segment: 0, features }, slots, rng, samples);
    expect(new Set(slate.arms).size).toBe(slots);
    slate.arms.forEach((a, k) => {
      shown[k][a] += 1 / draws;
      logged[k][a] = slate.propensities[k];
    });
  }
  return { shown, logged };
}

/** A policy state with ties: arms 0 and 1 share the best rate, 2 is next, 3..5 were never shown. */
function taught<P extends BanditPolicy>(policy: P): P {
  policy.update({ segment: 0 }, [0, 1, 2, 3, 4, 5], [1, 1, 0, 0, 0, 0]);
  policy.update({ segment: 0 }, [0, 1, 2], [0, 0, 1]);
  return policy;
}

describe("propensities", () => {
  it("exact propensities sum to 1 over the arms each slot could show, and match the observed shares", () => {
    const policies = [
      new UniformPolicy(nArms),
      taught(new EpsilonGreedyPolicy(nArms, 1, 0.2)),
      taught(new ExploreThenCommitPolicy(nArms, 1, 1)),
    ];
    for (const policy of policies) {
      const { shown, logged } = tally(policy, 20_000);
      for (let k = 0; k < slots; k++) {
        const total = logged[k].reduce((s, p) => s + p, 0);
        expect(total, `${policy.name} slot ${k}`).toBeCloseTo(1, 10);
        for (let a = 0; a < nArms; a++)
          expect(Math.abs(shown[k][a] - logged[k][a]), `${policy.name} ${k} ${a}`).toBeLessThan(0.015);
      }
    }
  });

  it("epsilon-greedy's propensity is (1 - eps) * greedy share + eps / n, ties included", () => {
    const { logged } = tally(taught(new EpsilonGreedyPolicy(nArms, 1, 0.2)), 5000);
    // Rates: arm 0 = 1/2, arm 1 = 1/2, arm 2 = 1/2 -> three arms tie for the first three slots.
    for (let k = 0; k < slots; k++)
      for (const a of [0, 1, 2]) expect(logged[k][a]).toBeCloseTo(0.8 / 3 + 0.2 / 6, 10);
    for (const a of [3, 4, 5]) expect(logged[0][a]).toBeCloseTo(0.2 / 6, 10);
  });

  it("Thompson sampling's Monte Carlo propensities track how often each arm lands on each slot", () => {
    const policy = new ThompsonSegmentPolicy(nArms, 1, 1, 1);
    policy.update({ segment: 0 }, [0, 1, 2, 3, 4, 5], [1, 1, 0, 0, 0, 0]);
    const { shown, logged } = tally(policy, 1500, 800);
    for (let k = 0; k < slots; k++) {
      const total = logged[k].reduce((s, p) => s + p, 0);
      expect(total).toBeGreaterThan(0.93);
      expect(total).toBeLessThan(1.07);
      for (let a = 0; a < nArms; a++) expect(Math.abs(shown[k][a] - logged[k][a])).toBeLessThan(0.06);
    }
  });

  it("linear UCB is deterministic given its state except among tied arms (the four never shown)", () => {
    const policy = new LinearPolicy(nArms, 2, "ucb", { alpha: 1 });
    const x = Float64Array.from([0.5, 1]);
    policy.update({ segment: 0, features: x }, [3, 1], [1, 0]);
    const slate = policy.choose({ segment: 0, features: x }, slots, new Random(1));
    expect(slate.arms[0]).toBe(3);
    expect(Array.from(slate.propensities)).toEqual([1, 0.25, 0.25]);
    expect([0, 2, 4, 5]).toContain(slate.arms[1]);
  });
});

describe("cascade feedback", () => {
  it("counts slots up to the first stream, or only the initially visible ones when nothing streamed", () => {
    expect(seenSlots([0, 0, 1, 0, 0, 0], 3)).toBe(3);
    expect(seenSlots([0, 0, 0, 0, 1, 0], 3)).toBe(5);
    expect(seenSlots([1, 0, 0, 0, 0, 0], 3)).toBe(1);
    expect(seenSlots([0, 0, 0, 0, 0, 0], 3)).toBe(3);
    expect(seenSlots([0, 0], 3)).toBe(2);
  });

  it("a cascade update on a hand-made display touches only the seen cards", () => {
    const policy = new ThompsonSegmentPolicy(8, 2, 1, 99);
    const arms = [5, 3, 7, 1, 0];
    const rewards = [0, 1, 0, 0, 0];
    const seen = seenSlots(rewards, 3);
    policy.update({ segment: 1 }, arms.slice(0, seen), rewards.slice(0, seen));
    const displays = Array.from(policy.counts.displays.subarray(8, 16));
    const successes = Array.from(policy.counts.successes.subarray(8, 16));
    expect(displays).toEqual([0, 0, 0, 1, 0, 1, 0, 0]);
    expect(successes).toEqual([0, 0, 0, 1, 0, 0, 0, 0]);
    expect(Array.from(policy.counts.displays.subarray(0, 8))).toEqual(new Array(8).fill(0));
  });

  it("a linear policy learns a positive weight on the feature of users who streamed", () => {
    const policy = new LinearPolicy(2, 2, "thompson");
    for (let t = 0; t < 200; t++) {
      policy.update({ segment: 0, features: Float64Array.from([1, 1]) }, [0], [t % 2]);
      policy.update({ segment: 0, features: Float64Array.from([0, 1]) }, [0], [0]);
    }
    expect(policy.means[0]).toBeGreaterThan(1);
    expect(policy.means[1]).toBeLessThan(-1);
  });
});

describe("slates", () => {
  it("partial top-k selection matches a full sort", () => {
    const rng = new Random(5);
    const scores = Float64Array.from({ length: 300 }, () => rng.next());
    const full = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
    expect(Array.from(topIndices(scores, 12, null))).toEqual(full.slice(0, 12));
    const slate = topSlots(Float64Array.from([0.5, 0.9, 0.5, 0.5, 0.1]), 3, rng);
    expect(slate.arms[0]).toBe(1);
    expect(Array.from(slate.propensities)).toEqual([1, 1 / 3, 1 / 3]);
  });

  it("a policy restored from its state chooses as the original would", () => {
    const policy = taught(new EpsilonGreedyPolicy(nArms, 1, 0.1));
    const restored = policyFromState(JSON.parse(JSON.stringify(policy.state())));
    const a = policy.choose({ segment: 0 }, slots, new Random(3));
    const b = restored.choose({ segment: 0 }, slots, new Random(3));
    expect(Array.from(b.arms)).toEqual(Array.from(a.arms));
    expect(Array.from(b.propensities)).toEqual(Array.from(a.propensities));
  });
});
