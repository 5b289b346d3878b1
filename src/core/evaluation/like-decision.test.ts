import { describe, expect, it } from "vitest";
import { defaultTrainConfig, type TimedPlayTable } from "../affinity/affinity-model.js";
import { Random } from "../random.js";
import { evaluateLikeDecision, likeExamples } from "./like-decision.js";
import { splitAtPerUserQuantile } from "./split.js";

/**
 * Ratings as the movielens preset stores them (weight = rating − 3, no durations) from a two-taste world:
 * each user likes one of two item groups. Users rate 30 items each, in time order.
 */
function ratings(seed: number): { plays: TimedPlayTable; users: string[]; items: string[] } {
  const rng = new Random(seed);
  const nUsers = 60;
  const nItems = 40;
  const rows: Array<[number, number, number]> = [];
  for (let u = 0; u < nUsers; u++) {
    const items = rng.shuffle(Array.from({ length: nItems }, (_, i) => i)).slice(0, 30);
    for (const i of items) {
      const match = u % 2 === i % 2;
      rows.push([u, i, rng.next() < (match ? 0.85 : 0.2) ? 5 : 2]);
    }
  }
  const n = rows.length;
  return {
    plays: {
      nUsers,
      nItems,
      userIndex: Int32Array.from(rows, (r) => r[0]),
      itemIndex: Int32Array.from(rows, (r) => r[1]),
      playedMs: new Float64Array(n),
      itemLengthMs: new Float64Array(n).fill(Number.NaN),
      weight: Float64Array.from(rows, (r) => r[2] - 3),
      endTimeMs: Float64Array.from(rows, (_, k) => 1e12 + k * 1000),
    },
    users: Array.from({ length: nUsers }, (_, u) => `u${u}`),
    items: Array.from({ length: nItems }, (_, i) => `i${i}`),
  };
}

const train = { ...defaultTrainConfig, bpr: { ...defaultTrainConfig.bpr, epochs: 15 } };

describe("likeExamples", () => {
  const { plays, users, items } = ratings(4);
  const split = splitAtPerUserQuantile(plays, 0.8);
  const ex = likeExamples(plays, users, items, split, {
    seed: 1,
    train,
    members: 3,
    bootstrapShare: 0.8,
    ensembleSizes: [2, 3],
  });

  it("scores every held-out rating of a known user and item, liked = rating >= 4", () => {
    let heldOut = 0;
    let liked = 0;
    for (let r = 0; r < split.isTrain.length; r++)
      if (split.isTrain[r] === 0) {
        heldOut++;
        liked += plays.weight[r] > 0 ? 1 : 0;
      }
    // Every user and item appears in training here, so every held-out rating is an example.
    expect(ex.score.length).toBe(heldOut);
    expect(ex.label.reduce((a, b) => a + b, 0)).toBe(liked);
    expect(ex.trainRows).toBe(plays.userIndex.length - heldOut);
  });

  it("gives each ensemble size a non-negative spread, and the evidence shrinks with training rows", () => {
    expect([...ex.spread.keys()]).toEqual([2, 3]);
    for (const s of ex.spread.values()) for (const v of s) expect(v).toBeGreaterThanOrEqual(0);
    expect([...(ex.spread.get(3) ?? [])].some((v) => v > 0)).toBe(true);
    // Each user has 24 training rows; an item's count varies, and more rows means less uncertainty.
    const e = Array.from(ex.evidence);
    expect(Math.min(...e)).toBeGreaterThan(1 / Math.sqrt(25));
    expect(Math.max(...e)).toBeLessThan(2);
  });

  it("ranks liked above disliked in the two-taste world", () => {
    const report = evaluateLikeDecision(plays, users, items, split, {
      seed: 1,
      train,
      members: 3,
      ensembleSizes: [3],
      bins: [2],
      cells: [5],
    });
    expect(report.auc).toBeGreaterThan(0.75);
    expect(report.heldOutExamples).toBe(ex.score.length);
    const at = report.thresholds.byPrecision["0.8"];
    expect(Object.keys(at.mist).sort()).toEqual(["bootstrap", "evidence"]);
    expect(at.mist.bootstrap.chosen?.uncertainty).toBe("3 members");
  });

  it("is reproducible from its seed", () => {
    const again = likeExamples(plays, users, items, split, {
      seed: 1,
      train,
      members: 3,
      bootstrapShare: 0.8,
      ensembleSizes: [2, 3],
    });
    expect(Array.from(again.score)).toEqual(Array.from(ex.score));
    expect(Array.from(again.spread.get(3) ?? [])).toEqual(Array.from(ex.spread.get(3) ?? []));
  });
});
