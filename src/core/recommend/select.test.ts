import { describe, expect, it } from "vitest";
import { defaultTrainConfig, type TimedPlayTable } from "../affinity/affinity-model.js";
import { evaluateSplit } from "../evaluation/evaluate.js";
import { splitAtPerUserQuantile, splitRandomPairs } from "../evaluation/split.js";
import { simulateWorld } from "../simulate/world.js";
import { guardedChoice, latestPlaysOfEachUser, selectRecommender, trainTopN } from "./select.js";
import { scoreTopN } from "./topn-model.js";

/** A small simulated world's plays as a table (users and items in order of first appearance). */
function worldPlays(seed: number): TimedPlayTable & { users: string[]; items: string[] } {
  const { events } = simulateWorld({ users: 80, items: 300, days: 20, seed });
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  for (const e of events) {
    if (!users.has(e.user)) users.set(e.user, users.size);
    if (!items.has(e.item)) items.set(e.item, items.size);
  }
  return {
    users: [...users.keys()],
    items: [...items.keys()],
    nUsers: users.size,
    nItems: items.size,
    userIndex: Int32Array.from(events, (e) => users.get(e.user) ?? 0),
    itemIndex: Int32Array.from(events, (e) => items.get(e.item) ?? 0),
    playedMs: Float64Array.from(events, (e) => e.playedMs),
    itemLengthMs: Float64Array.from(events, (e) => e.itemLengthMs ?? 0),
    weight: new Float64Array(events.length).fill(Number.NaN),
    endTimeMs: Float64Array.from(events, (e) => Date.parse(e.endTime)),
  };
}

// WARP is the slowest candidate; the selection logic is the same with or without it.
const quick = { candidates: ["ease", "item-knn", "popularity"] as const };

describe("selectRecommender", () => {
  const plays = worldPlays(5);

  it("holds out each user's latest plays, ties in time at random", () => {
    const marked = latestPlaysOfEachUser(plays, 0.2, 1);
    for (let u = 0; u < plays.nUsers; u++) {
      const rows = [...plays.userIndex.keys()].filter((r) => plays.userIndex[r] === u);
      const held = rows.filter((r) => marked[r] === 1);
      expect(held.length).toBe(rows.length - Math.floor(rows.length * 0.8));
      const kept = rows.filter((r) => marked[r] === 0);
      if (held.length && kept.length)
        expect(Math.min(...held.map((r) => plays.endTimeMs[r]))).toBeGreaterThanOrEqual(
          Math.max(...kept.map((r) => plays.endTimeMs[r])),
        );
    }
    // Equal times (sources without them): a random share, not the file's last rows.
    const timeless = { ...plays, endTimeMs: new Float64Array(plays.endTimeMs.length) };
    const a = latestPlaysOfEachUser(timeless, 0.2, 1);
    const b = latestPlaysOfEachUser(timeless, 0.2, 2);
    expect(a.some((v, r) => v !== b[r])).toBe(true);
  });

  it("chooses the candidate with the best validation NDCG@10 and reports every setting", () => {
    const selection = selectRecommender(plays, { ...quick, candidates: [...quick.candidates] });
    const { best, candidates } = selection.validation;
    // EASE's 2 λ and item-kNN's 3 sizes, each at 6 popularity weights, and popularity.
    expect(candidates.length).toBe(2 * 6 + 3 * 6 + 1);
    const top = Math.max(...candidates.map((c) => c["ndcg@10"]));
    expect(best[0]["ndcg@10"]).toBe(top);
    expect(selection.choice.recommender).toBe(best[0].recommender);
    // On a world with taste, a personal model beats most-played on the held-out latest plays.
    const popularity = candidates.find((c) => c.recommender === "popularity")!;
    expect(selection.choice.recommender).not.toBe("popularity");
    expect(top).toBeGreaterThan(popularity["ndcg@10"]);
  });

  it("tries mixes of the best EASE and the best item-kNN, and trains a chosen mix on everything", () => {
    const selection = selectRecommender(plays, {
      candidates: ["ease", "item-knn", "ease+item-knn"],
      easeLambdas: [50],
      knnNeighbours: [20, 50],
      mixShares: [0.5],
      popularityWeights: [0],
    });
    const { candidates } = selection.validation;
    expect(candidates.map((c) => c.recommender)).toEqual(["ease", "item-knn", "item-knn", "ease+item-knn"]);
    const knnBest = candidates[1]["ndcg@10"] >= candidates[2]["ndcg@10"] ? 20 : 50;
    expect(candidates[3]).toMatchObject({ param: 50, mix: { neighbours: knnBest, share: 0.5 } });
    const { model } = trainTopN(plays, {
      candidates: ["ease", "item-knn", "ease+item-knn"],
      easeLambdas: [50],
      knnNeighbours: [20],
      mixShares: [0.5],
    });
    if (model.choice.recommender === "ease+item-knn") expect(model.itemItem).toBeDefined();
  });

  it("tries DLAE and EDLAE at every λ and dropout, and trains a chosen one on everything", () => {
    const config = {
      candidates: ["ease", "dlae", "edlae"] as Array<"ease" | "dlae" | "edlae">,
      easeLambdas: [50],
      denoising: { lambdas: [20, 50], dropouts: [0.25, 0.5] },
      popularityWeights: [0],
    };
    const { candidates } = selectRecommender(plays, config).validation;
    const settings = candidates.map((c) => `${c.recommender} ${c.param ?? ""} ${c.dropout ?? ""}`.trim());
    expect(settings).toEqual([
      "ease 50",
      ...["dlae", "edlae"].flatMap((name) => [
        `${name} 20 0.25`,
        `${name} 20 0.5`,
        `${name} 50 0.25`,
        `${name} 50 0.5`,
      ]),
    ]);
    // Dropout regularises popular items more: the settings do not all score alike.
    expect(new Set(candidates.map((c) => c["ndcg@10"])).size).toBeGreaterThan(1);
    const { model, selection } = trainTopN(plays, { ...config, candidates: ["dlae"] });
    expect(selection.choice).toMatchObject({ recommender: "dlae", dropout: expect.any(Number) });
    expect(model.itemItem).toBeDefined();
    expect(scoreTopN(model, 0, [0, 1, 2]).personal).toBe(true);
  });

  it("cuts validation from random pairs when asked (a random split), from the latest plays by default", () => {
    const config = { candidates: ["ease" as const], easeLambdas: [50], popularityWeights: [0] };
    const latest = selectRecommender(plays, config).validation;
    const random = selectRecommender(plays, { ...config, validationCut: "random-pairs" }).validation;
    expect(random.users).toBeGreaterThan(0);
    expect(random.candidates[0]["ndcg@10"]).not.toBe(latest.candidates[0]["ndcg@10"]);
    // The manifest says which cut chose the model (the CLI and the dashboard word it from this).
    expect([latest.cut, random.cut]).toEqual(["latest", "random-pairs"]);
  });

  it("serves a user from their liked items, and an unknown user popularity", () => {
    const { model } = trainTopN(plays, { candidates: ["item-knn"], knnNeighbours: [20] });
    const unknown = scoreTopN(model, -1, []);
    expect(unknown.personal).toBe(false);
    expect(Array.from(unknown.scores)).toEqual(Array.from(model.popularity));
    expect(scoreTopN(model, 0, [0, 1, 2]).personal).toBe(true);
  });
});

describe("model selection inside eval never sees the test split", () => {
  // A split by time is chosen on each user's latest training plays, a random split on random training
  // pairs (TopNConfig.validationCut): neither cut reads the held-out side.
  it.each([
    ["per user by time", (p: TimedPlayTable) => splitAtPerUserQuantile(p, 0.8)],
    ["random pairs", (p: TimedPlayTable) => splitRandomPairs(p, 0.8, 43)],
  ])("gives the same choice and validation figures whatever the held-out plays are: %s", (_name, cut) => {
    const plays = worldPlays(6);
    const split = cut(plays);
    // The same training side; the held-out side's items scrambled.
    const scrambled = { ...plays, itemIndex: plays.itemIndex.slice() };
    for (let r = 0; r < scrambled.itemIndex.length; r++)
      if (split.isTrain[r] === 0) scrambled.itemIndex[r] = (scrambled.itemIndex[r] * 7 + 3) % plays.nItems;
    const config = {
      train: { ...defaultTrainConfig, bpr: { ...defaultTrainConfig.bpr, factors: 8, epochs: 5 } },
      wrmf: {},
      withWrmf: false,
      // DLAE too: its λ and dropout are chosen on the same validation cut.
      topN: {
        candidates: [...quick.candidates, "dlae" as const],
        denoising: { lambdas: [50], dropouts: [0.25, 0.5] },
      },
      k: 10,
    };
    const a = evaluateSplit(plays, plays.users, plays.items, split, config);
    const b = evaluateSplit(scrambled, plays.users, plays.items, split, config);
    expect(b.recommender?.choice).toEqual(a.recommender?.choice);
    const figures = (r: typeof a) => r.recommender?.validation.candidates.map(({ seconds, ...c }) => c);
    expect(figures(b)).toEqual(figures(a));
    // ...while the test figures did change: the held-out side was read, just not by selection.
    expect(b.recommender?.["ndcg@10"]).not.toEqual(a.recommender?.["ndcg@10"]);
  });
});

describe("guardedChoice", () => {
  const figure = (recommender: "ease" | "item-knn" | "ease+item-knn", ndcg: number) => ({
    recommender,
    param: 1,
    popularityWeight: 0,
    "ndcg@10": ndcg,
    "recall@10": 0,
    seconds: 0,
  });
  // 400 validation users: the baseline's per-user NDCG, and a challenger's = baseline + gain + noise.
  function pair(gain: number, noise: number, seed: number) {
    let x = seed;
    const next = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648 - 0.5;
    };
    const base = Float64Array.from({ length: 400 }, () => 0.3 + 0.4 * next());
    const other = base.map((b) => b + gain + noise * next());
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    return { base, other, baseNdcg: mean(base), otherNdcg: mean(other) };
  }

  it("keeps the baseline when the best beats it by less than twice the paired standard error", () => {
    const p = pair(0.002, 0.2, 3);
    const ease = figure("ease", p.baseNdcg);
    const mix = figure("ease+item-knn", p.otherNdcg);
    expect(mix["ndcg@10"]).toBeGreaterThan(ease["ndcg@10"]);
    const { chosen, guard } = guardedChoice(
      [mix, ease],
      [ease, mix],
      new Map([
        [mix, p.other],
        [ease, p.base],
      ]),
    );
    expect(chosen).toBe(ease);
    // Written out: the differences' mean and standard error, the slow way.
    const d = Array.from(p.other, (v, u) => v - p.base[u]);
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const se = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (d.length - 1) / d.length);
    expect(guard?.meanGain).toBeCloseTo(mean, 4);
    expect(guard?.standardError).toBeCloseTo(se, 4);
    expect(mean).toBeLessThan(2 * se);
    expect(guard?.switched).toBe(false);
  });

  it("serves the best when its gain is clear, and item-kNN is the baseline where EASE was not tried", () => {
    const p = pair(0.03, 0.2, 4);
    const knn = figure("item-knn", p.baseNdcg);
    const mix = figure("ease+item-knn", p.otherNdcg);
    const { chosen, guard } = guardedChoice(
      [mix, knn],
      [knn, mix],
      new Map([
        [mix, p.other],
        [knn, p.base],
      ]),
    );
    expect(chosen).toBe(mix);
    expect(guard?.switched).toBe(true);
    expect(guard?.baseline).toMatch(/^item-knn/);
    expect(guardedChoice([knn], [knn], new Map([[knn, p.base]]))).toEqual({ chosen: knn, guard: null });
    // A popularity blend of the baseline recommender is a richer setting too: it must clear the same bar.
    const blended = { ...figure("ease", p.otherNdcg), popularityWeight: 0.1 };
    const alone = figure("ease", p.baseNdcg);
    const small = pair(0.002, 0.2, 3);
    expect(
      guardedChoice(
        [blended],
        [alone, blended],
        new Map([
          [alone, small.base],
          [blended, small.other],
        ]),
      ).chosen,
    ).toBe(alone);
  });
});
