import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { trueAffinity } from "../simulate/model.js";
import { simulateWorld } from "../simulate/world.js";
import { expectedReward, policySetting, simulateBandit, tableEnvironment } from "./environment.js";
import { fittedEnvironment } from "./fitted.js";
import { sigmoid } from "./logistic.js";
import type { BanditLog } from "./ope.js";
import { makePolicy } from "./presets.js";
import { TAP_RATE, worldShelfEnvironment } from "./world-shelves.js";

function allAssignments(nArms: number, slots: number): number[][] {
  if (slots === 0) return [[]];
  return allAssignments(nArms, slots - 1).flatMap((prefix) =>
    Array.from({ length: nArms }, (_, a) => a)
      .filter((a) => !prefix.includes(a))
      .map((a) => [...prefix, a]),
  );
}

describe("table environment", () => {
  it("the optimum found among orders of the best arms is the best of all assignments (independent clicks)", () => {
    const rng = new Random(7);
    const nUsers = 20;
    const nArms = 6;
    const logits = Float64Array.from({ length: nUsers * nArms }, () => -3 + 2 * rng.normal());
    const env = tableEnvironment({
      name: "t",
      nUsers,
      nArms,
      logits,
      slots: 3,
      slotOffsets: Float64Array.from([-0.5, 0.8, 0]),
      feedback: "independent",
      dim: 1,
      features: new Float64Array(nUsers).fill(1),
      segments: new Int32Array(nUsers),
      nSegments: 1,
    });
    for (let u = 0; u < nUsers; u++) {
      let best = 0;
      for (const arms of allAssignments(nArms, 3)) {
        let v = 0;
        // Written out from the definition: each slot clicked on its own with sigmoid(logit + offset).
        arms.forEach((a, k) => {
          v += 1 / (1 + Math.exp(-(logits[u * nArms + a] + [-0.5, 0.8, 0][k])));
        });
        best = Math.max(best, v);
        expect(expectedReward(env, u, arms)).toBeCloseTo(v, 12);
      }
      expect(env.optimalValue(u)).toBeCloseTo(best, 12);
    }
  });

  it("cascade displays are worth 1 - prod(1 - p), the optimum is the best arms in any order, visits follow weights", () => {
    const logits = Float64Array.from([-1, -2, -3, 0, -4, -2]);
    const env = tableEnvironment({
      name: "t",
      nUsers: 2,
      nArms: 3,
      logits,
      slots: 2,
      feedback: "cascade",
      dim: 1,
      features: Float64Array.from([1, 1]),
      segments: Int32Array.from([0, 1]),
      nSegments: 2,
      visitWeights: Float64Array.from([1, 3]),
    });
    expect(expectedReward(env, 0, [2, 0])).toBeCloseTo(1 - (1 - sigmoid(-3)) * (1 - sigmoid(-1)), 12);
    expect(env.optimalValue(1)).toBeCloseTo(1 - (1 - sigmoid(0)) * (1 - sigmoid(-2)), 12);
    const rng = new Random(3);
    let second = 0;
    for (let i = 0; i < 4000; i++) second += env.drawUser(rng);
    expect(second / 4000).toBeGreaterThan(0.72);
    expect(second / 4000).toBeLessThan(0.78);
    expect(() =>
      tableEnvironment({
        name: "t",
        nUsers: 2,
        nArms: 3,
        logits,
        slots: 2,
        slotOffsets: Float64Array.from([0, 1]),
        feedback: "cascade",
        dim: 1,
        features: Float64Array.from([1, 1]),
        segments: Int32Array.from([0, 0]),
        nSegments: 1,
      }),
    ).toThrow(/independent/);
  });
});

describe("world environment: home shelves in the simulated listener world", () => {
  const world = simulateWorld({ users: 60, items: 400, days: 10, seed: 2 });
  const env = worldShelfEnvironment(world, { segments: 4, seed: 2 });

  it("a shelf's stream probability is the tap rate times its items' mean true affinity", () => {
    expect(env.nArms).toBe(env.shelves.length);
    expect(env.nArms).toBeGreaterThanOrEqual(12);
    for (const s of env.shelves) {
      expect(s.items.length).toBeGreaterThanOrEqual(3);
      expect(s.title).toMatch(/^(more |from |popular )/);
    }
    for (const [u, a] of [
      [0, 0],
      [5, 3],
      [59, env.nArms - 1],
    ]) {
      const items = env.shelves[a].items;
      const slow = (TAP_RATE * items.reduce((sum, i) => sum + trueAffinity(world, u, i), 0)) / items.length;
      expect(env.probability(u, a, 0)).toBeCloseTo(slow, 6);
      expect(env.probability(u, a, 7)).toBe(env.probability(u, a, 0));
    }
  });

  it("learning policies end below random's regret", () => {
    const setting = policySetting(env);
    const runs = simulateBandit(
      env,
      ["random", "greedy", "linear-ucb"].map((n) => makePolicy(n, setting)),
      { rounds: 15, usersPerRound: 200, seed: 1 },
    );
    const final = Object.fromEntries(runs.map((r) => [r.policy, r.cumulativeRegret[14]]));
    expect(final.random).toBeGreaterThan(0);
    expect(final["linear-ucb"]).toBeLessThan(final.random * 0.8);
    expect(final.greedy).toBeLessThan(final.random);
  });

  it("a policy's figures do not depend on which other policies run beside it, nor on its place", () => {
    const setting = policySetting(env);
    const run = (names: string[]) =>
      simulateBandit(
        env,
        names.map((n) => makePolicy(n, setting)),
        { rounds: 4, usersPerRound: 100, seed: 3 },
      );
    const alone = run(["epsilon-greedy"])[0];
    const after = run(["random", "greedy", "epsilon-greedy"])[2];
    expect(after.policy).toBe("epsilon-greedy");
    expect(after.cumulativeRegret).toEqual(alone.cumulativeRegret);
    expect(after.rewardsPerDisplay).toBe(alone.rewardsPerDisplay);
    // A different seed does change its draws (the name alone does not fix the stream).
    const other = simulateBandit(env, [makePolicy("epsilon-greedy", setting)], {
      rounds: 4,
      usersPerRound: 100,
      seed: 4,
    })[0];
    expect(other.cumulativeRegret).not.toEqual(alone.cumulativeRegret);
  });
});

describe("fitted environment", () => {
  // A uniformly logged widget: 8 items, 2 slots, a context bit; item 5 clicks best, slot 0 is seen more.
  const nActions = 8;
  const truth = (c: number, k: number, a: number) =>
    sigmoid(-3.5 + (a === 5 ? 1.5 : 0) + (c === 1 && a === 2 ? 1 : 0) + (k === 0 ? 0.5 : 0));
  function uniformLog(n: number, seed: number): BanditLog {
    const rng = new Random(seed);
    const actions = new Int32Array(n);
    const positions = new Int32Array(n);
    const rewards = new Float64Array(n);
    const context = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const c = rng.int(2);
      actions[i] = rng.int(nActions);
      positions[i] = rng.int(2);
      rewards[i] = rng.next() < truth(c, positions[i], actions[i]) ? 1 : 0;
      context[i * 2 + c] = 1;
    }
    return {
      n,
      nActions,
      nPositions: 2,
      actions,
      positions,
      rewards,
      propensities: new Float64Array(n).fill(1 / nActions),
      contextDim: 2,
      context,
    };
  }

  it("recovers the best item, the position bias and the log's click rate", () => {
    const log = uniformLog(30_000, 5);
    const { env, fit } = fittedEnvironment(log, { segments: 2, lambdas: [1, 30] });
    expect(env.nUsers).toBe(log.n);
    expect(env.slots).toBe(2);
    expect(fit.slotOffsets[0]).toBeGreaterThan(fit.slotOffsets[1]);
    expect(fit.uniformClickRate).toBeCloseTo(fit.loggedClickRate, 3);
    let best = 0;
    for (let a = 1; a < nActions; a++) if (env.probability(0, a, 0) > env.probability(0, best, 0)) best = a;
    expect(best).toBe(5);
    // The best page for a visitor puts item 5 in the better-seen slot 0.
    const rewardOf = (arms: number[]) => expectedReward(env, 0, arms);
    expect(env.optimalValue(0)).toBeGreaterThanOrEqual(rewardOf([5, 2]) - 1e-12);
    expect(rewardOf([5, 2])).toBeGreaterThan(rewardOf([2, 5]));
  });
});
