import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { fitEwDpmt, fitMist, fitSingleThreshold } from "../thresholds/index.js";
import { levelSums, type RuleChain, type RuleGate } from "./precision.js";
import { defaultRewriteOptions, type RewriteRule, RewriteTable } from "./rewrite-table.js";
import { bootstrapSuccess, estimateSuccess } from "./success-estimate.js";

/**
 * A known process: 40 pool users, each with a rate drawn from Beta(3, 1) (mean 0.75) and 1-6 chains; the
 * requesting user has a fixed rate 0.6 and `own` chains. One context ("speaker"), where every chain is.
 */
function world(rng: Random, own: number): Map<string, RuleChain[]> {
  const users = new Map<string, RuleChain[]>();
  const chainsOf = (rate: number, count: number) =>
    Array.from({ length: count }, () => ({ context: "speaker", gain: 0, meant: rng.next() < rate ? 1 : 0 }));
  for (let u = 0; u < 40; u++) {
    const a = rng.gamma(3);
    const rate = a / (a + rng.gamma(1));
    users.set(`u${u}`, chainsOf(rate, 1 + rng.int(6)));
  }
  if (own > 0) users.set("me", chainsOf(0.6, own));
  return users;
}

describe("the rewrite decision's success estimate", () => {
  it("its spread (analytic and bootstrap) matches the estimate's true sampling spread on a known process", () => {
    const rng = new Random(11);
    for (const own of [0, 3, 12]) {
      // The truth: the estimate's standard deviation over 1,500 independent logs of the same process.
      const estimates: number[] = [];
      let analytic = 0;
      let bootstrap = 0;
      const logs = 1500;
      const bootstrapped = 40;
      for (let r = 0; r < logs; r++) {
        const w = world(rng, own);
        const e = estimateSuccess(
          levelSums(w, (c) => c.meant),
          "me",
          "speaker",
        );
        estimates.push(e.mean);
        analytic += e.spread;
        if (r < bootstrapped)
          bootstrap += bootstrapSuccess(w, [{ user: "me", context: "speaker" }], 200, r)[0].spread;
      }
      const mean = estimates.reduce((a, b) => a + b, 0) / logs;
      const trueSd = Math.sqrt(estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs - 1));
      // The analytic spread, averaged over logs, is within 25% of the truth (0.94x, 0.83x, 0.97x here).
      const analyticRatio = analytic / logs / trueSd;
      const bootstrapRatio = bootstrap / bootstrapped / trueSd;
      expect(analyticRatio).toBeGreaterThan(0.75);
      expect(analyticRatio).toBeLessThan(1.25);
      if (own === 3) {
        // Three chains of one's own: resampling three 0/1 values often draws one value only, so the
        // bootstrap sees less spread than there is (0.68x); the analytic floor keeps it closer.
        expect(bootstrapRatio).toBeLessThan(0.85);
        expect(bootstrapRatio).toBeLessThan(analyticRatio);
      } else {
        expect(bootstrapRatio).toBeGreaterThan(0.75);
        expect(bootstrapRatio).toBeLessThan(1.25);
      }
    }
  });

  it("says at which level it knew the user, and that it knows nothing without evidence", () => {
    const sums = levelSums(world(new Random(5), 20), (c) => c.meant);
    expect(estimateSuccess(sums, "me", "speaker").level).toBe("user");
    expect(estimateSuccess(sums, "stranger", "speaker").level).toBe("context");
    expect(estimateSuccess(sums, "stranger", "car").level).toBe("overall");
    expect(estimateSuccess(undefined, "me", "speaker").level).toBe("none");
  });
});

const rule: RewriteRule = {
  source: "play gone girl",
  rewrite: "play the audiobook gone girl",
  support: 10,
  pathUsers: 4,
  sourceSuccess: 0.6,
  sourceFailure: 0.4,
  sourceDirectSuccess: 0.5,
  rewriteSuccess: 0.9,
  gain: 0.4,
  visits: 0.5,
  contribution: 0.45,
};

describe("the rewrite decision on (success estimate, spread) thresholds, by hand", () => {
  // Ten pool users, one chain each on a TV, nine meant the rewrite: a stranger's estimate (on a speaker,
  // so the overall level) is 0.9 with spread 0.1.
  // "sure" has 40 chains of their own, 36 meant: also 0.9, spread about 0.045.
  const chains = new Map<string, RuleChain[]>();
  for (let u = 0; u < 10; u++) chains.set(`p${u}`, [{ context: "tv", gain: 0, meant: u < 9 ? 1 : 0 }]);
  const success = levelSums(chains, (c) => c.meant);
  success.users.sure = { n: 40, sum: 36, sumSq: 36 };
  const gate: RuleGate = { rewriteItem: "audiobook", ...success, success };
  const table = new RewriteTable([rule], {} as never, defaultRewriteOptions, new Map([[rule.source, gate]]));
  const sure = estimateSuccess(success, "sure", "");
  const stranger = estimateSuccess(success, "stranger", "");

  // Labelled requests: like "sure" they were right 19 times in 20, like the stranger 12 in 20; lower
  // estimates (0.6) right half the time whatever their spread.
  const s: number[] = [];
  const u: number[] = [];
  const y: number[] = [];
  const rows = (score: number, spread: number, right: number) => {
    for (let i = 0; i < 20; i++) {
      s.push(score);
      u.push(spread);
      y.push(i < right ? 1 : 0);
    }
  };
  rows(sure.mean, sure.spread, 19);
  rows(stranger.mean, stranger.spread, 12);
  rows(0.6, sure.spread, 10);
  rows(0.6, stranger.spread, 10);

  it("the two users have the same estimate and different spreads", () => {
    expect(sure.mean).toBeCloseTo(0.9, 12);
    expect(stranger.mean).toBeCloseTo(0.9, 12);
    expect(stranger.spread).toBeCloseTo(0.1, 12);
    expect(sure.spread).toBeCloseTo(Math.sqrt(3.64) / 42, 12);
  });

  it("one threshold cannot reach 0.9 (31 of 40 at the top); MIST and EW-DPMT rewrite for the sure user only", () => {
    const single = fitSingleThreshold(s, y, 0.9);
    expect(single.scoreThresholds).toEqual([Number.POSITIVE_INFINITY]);
    const mist = fitMist(s, u, y, 0.9, 2);
    // Bins split at the stranger's spread; the certain bin plays from 0.9 (19/20), the other never.
    expect(mist.scoreThresholds).toEqual([sure.mean, Number.POSITIVE_INFINITY]);
    const ewDpmt = fitEwDpmt(s, u, y, 0.9, 2, 2);
    expect(ewDpmt.scoreThresholds).toEqual([sure.mean, Number.POSITIVE_INFINITY]);
    for (const thresholds of [mist, ewDpmt]) {
      const served = table.withSuccessPolicy({ minPrecision: 0.9, thresholds });
      expect(served.decide("Play Gone Girl", "sure")?.apply).toBe(true);
      expect(served.decide("play gone girl", "stranger")?.apply).toBe(false);
      // The policy survives the stored form, infinities included.
      const back = RewriteTable.fromJSON(JSON.parse(JSON.stringify(served.toJSON())));
      expect(back.decide("play gone girl", "sure")?.apply).toBe(true);
      expect(back.decide("play gone girl", "stranger")?.apply).toBe(false);
    }
    const cautious = table.withSuccessPolicy({ minPrecision: 0.9, thresholds: single });
    expect(cautious.decide("play gone girl", "sure")?.apply).toBe(false);
    // Without a policy the gain gate decides, as before.
    expect(table.decide("play gone girl", "sure")?.success).toBeUndefined();
  });
});
