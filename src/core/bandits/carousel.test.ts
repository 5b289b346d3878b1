import { describe, expect, it } from "vitest";
import {
  type CarouselWorld,
  displayValue,
  kMeansSegments,
  optimalValues,
  simulateCarousel,
} from "./carousel.js";
import { makePolicy } from "./presets.js";

/** Two kinds of users (feature 0 or 1 on), 30 arms: arms 0-4 appeal to the first kind, 5-9 to the second. */
function smallWorld(): CarouselWorld {
  const dim = 3;
  const nArms = 30;
  const arms = new Float64Array(nArms * dim);
  for (let a = 0; a < nArms; a++) {
    arms[a * dim + 2] = -4;
    if (a < 5) arms[a * dim] = 3;
    else if (a < 10) arms[a * dim + 1] = 3;
  }
  const nUsers = 200;
  const users = new Float64Array(nUsers * dim);
  for (let u = 0; u < nUsers; u++) {
    users[u * dim + (u % 2)] = 1;
    users[u * dim + 2] = 1;
  }
  return {
    dim,
    nArms,
    arms,
    nUsers,
    users,
    segments: kMeansSegments(users, nUsers, dim, 2, 1),
    nSegments: 2,
  };
}

describe("carousel simulator", () => {
  it("k-means recovers the two kinds of users", () => {
    const w = smallWorld();
    for (let u = 2; u < w.nUsers; u++) expect(w.segments[u]).toBe(w.segments[u % 2]);
    expect(w.segments[0]).not.toBe(w.segments[1]);
  });

  it("display value is 1 - prod(1 - p) and the optimum is the user's best cards", () => {
    const w = smallWorld();
    const p = (z: number) => 1 / (1 + Math.exp(-z));
    expect(displayValue(w, 0, [0, 20])).toBeCloseTo(1 - (1 - p(-1)) * (1 - p(-4)), 12);
    const opt = optimalValues(w, 3);
    expect(opt[0]).toBeCloseTo(1 - (1 - p(-1)) ** 3, 12);
    expect(opt[1]).toBeCloseTo(opt[0], 12);
  });

  it("every learning policy ends far below random's regret, and regret only grows", () => {
    const w = smallWorld();
    const setting = { nArms: w.nArms, nSegments: 2, dim: w.dim, featureSquaredNorm: 2 };
    const names = ["random", "epsilon-greedy", "ts-segment-pessimistic", "linear-ucb"];
    const runs = simulateCarousel(
      w,
      names.map((n) => makePolicy(n, setting)),
      {
        rounds: 30,
        usersPerRound: 100,
        slots: 3,
        initiallyVisible: 2,
        seed: 4,
      },
    );
    const final = Object.fromEntries(runs.map((r) => [r.policy, r.cumulativeRegret[29]]));
    for (const r of runs)
      for (let i = 1; i < 30; i++)
        expect(r.cumulativeRegret[i]).toBeGreaterThanOrEqual(r.cumulativeRegret[i - 1]);
    // Segment policies see 1,500 displays per segment over 10 good arms; the linear one learns 3 weights per arm.
    expect(final["epsilon-greedy"]).toBeLessThan(final.random * 0.3);
    expect(final["ts-segment-pessimistic"]).toBeLessThan(final.random * 0.3);
    expect(final["linear-ucb"]).toBeLessThan(final.random * 0.7);
  });
});
