import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { aucMannWhitney, averageRanks, kendallTauB, pearson, spearman } from "./correlation.js";

// Slow, obviously-correct references.

function refRanks(x: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) {
    let below = 0;
    let equal = 0;
    for (let j = 0; j < x.length; j++) {
      if (x[j] < x[i]) below++;
      else if (x[j] === x[i]) equal++;
    }
    out.push(below + (equal + 1) / 2); // ranks below+1 .. below+equal, averaged
  }
  return out;
}

function refPearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, a) => s + a, 0) / n;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

function refKendall(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  let pairs = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      pairs++;
      const s = Math.sign(x[i] - x[j]) * Math.sign(y[i] - y[j]);
      if (x[i] === x[j]) tiesX++;
      if (y[i] === y[j]) tiesY++;
      if (s > 0) concordant++;
      if (s < 0) discordant++;
    }
  }
  const d = Math.sqrt((pairs - tiesX) * (pairs - tiesY));
  return d === 0 ? 0 : (concordant - discordant) / d;
}

function refAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  let wins = 0;
  let comparisons = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j]) continue;
      comparisons++;
      if (scores[i] > scores[j]) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / comparisons;
}

/** Small random pairs: tie-heavy integers half the time, normals otherwise; sometimes a constant side. */
function randomPair(rng: Random): [Float64Array, Float64Array] {
  const n = 1 + rng.int(40);
  const levels = rng.next() < 0.5 ? 1 + rng.int(6) : 0;
  const draw = () => (levels ? rng.int(levels) : rng.normal());
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = draw();
    y[i] = rng.next() < 0.5 ? x[i] + draw() : draw();
  }
  return [x, y];
}

describe("averageRanks", () => {
  it("averages tied ranks", () => {
    expect(Array.from(averageRanks([10, 20, 10, 30]))).toEqual([1.5, 3, 1.5, 4]);
    expect(Array.from(averageRanks([5, 5, 5]))).toEqual([2, 2, 2]);
    expect(Array.from(averageRanks([3, -1, 2]))).toEqual([3, 1, 2]);
    expect(averageRanks([]).length).toBe(0);
  });

  it("matches the reference on random inputs", () => {
    const rng = new Random(1);
    for (let t = 0; t < 300; t++) {
      // Longer than one insertion-sorted block so that the merge passes are exercised.
      const [x] = randomPair(rng);
      const long = Float64Array.from({ length: 50 + rng.int(200) }, () => rng.int(30));
      expect(Array.from(averageRanks(x))).toEqual(refRanks(x));
      expect(Array.from(averageRanks(long))).toEqual(refRanks(long));
    }
  });
});

describe("pearson and spearman", () => {
  it("hand-computed values", () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 15);
    expect(pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 14);
    // ranks of y are [1, 2, 3.5, 5, 3.5]: r = 8 / √(10 · 9.5)
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 14);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1, 15);
  });

  it("is 0, not NaN, for constant or too-short inputs", () => {
    expect(pearson([0.1, 0.1, 0.1], [1, 2, 3])).toBe(0); // the mean of 0.1s rounds; must still be 0
    expect(pearson([1, 2, 3], [7, 7, 7])).toBe(0);
    expect(pearson([1], [2])).toBe(0);
    expect(pearson([], [])).toBe(0);
    expect(spearman([4, 4, 4], [1, 2, 3])).toBe(0);
  });

  it("rejects mismatched lengths", () => {
    expect(() => pearson([1, 2], [1])).toThrow(RangeError);
  });

  it("match the references on random inputs", () => {
    const rng = new Random(2);
    for (let t = 0; t < 500; t++) {
      const [x, y] = randomPair(rng);
      expect(pearson(x, y)).toBeCloseTo(refPearson(x, y), 12);
      expect(spearman(x, y)).toBeCloseTo(refPearson(refRanks(x), refRanks(y)), 12);
    }
  });
});

describe("kendallTauB", () => {
  it("hand-computed values", () => {
    expect(kendallTauB([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.6, 15); // 8 C, 2 D
    expect(kendallTauB([1, 2, 2, 3], [1, 2, 3, 3])).toBeCloseTo(0.8, 15); // 4 C, one tie each side: 4 / √(5 · 5)
    expect(kendallTauB([1, 1, 2, 2], [1, 2, 1, 2])).toBe(0);
    // scipy.stats.kendalltau docs example: 2 C, 6 D, 2 x-ties, 1 y-tie -> -4 / √72
    expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 14);
    expect(kendallTauB([3, 3, 3], [1, 2, 3])).toBe(0);
    expect(kendallTauB([1], [1])).toBe(0);
  });

  it("matches the O(n²) reference on random inputs with many ties", () => {
    const rng = new Random(3);
    for (let t = 0; t < 500; t++) {
      const [x, y] = randomPair(rng);
      expect(kendallTauB(x, y)).toBeCloseTo(refKendall(x, y), 12);
    }
    for (let t = 0; t < 40; t++) {
      // Long enough for several merge passes, with heavy ties on both sides.
      const n = 100 + rng.int(400);
      const x = Float64Array.from({ length: n }, () => rng.int(1 + rng.int(20)));
      const y = Float64Array.from(x, (v) => (rng.next() < 0.3 ? rng.int(10) : v + rng.int(3)));
      expect(kendallTauB(x, y)).toBeCloseTo(refKendall(x, y), 12);
    }
  });

  it("handles a million points and agrees with the bivariate-normal values", () => {
    const rng = new Random(4);
    const n = 1_000_000;
    const rho = 0.6;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = rng.normal();
      y[i] = rho * x[i] + Math.sqrt(1 - rho * rho) * rng.normal();
    }
    // An O(n²) regression would not finish within the test timeout; its speed is in `npm run bench -- kernels`.
    const tau = kendallTauB(x, y);
    expect(tau).toBeCloseTo((2 / Math.PI) * Math.asin(rho), 2);
    expect(spearman(x, y)).toBeCloseTo((6 / Math.PI) * Math.asin(rho / 2), 2);
    expect(pearson(x, y)).toBeCloseTo(rho, 2);
    // Coarsened to 13 levels: heavy ties at scale; still must be a valid correlation.
    const xi = Float64Array.from(x, (v) => Math.round(v * 2));
    const yi = Float64Array.from(y, (v) => Math.round(v * 2));
    const tauTied = kendallTauB(xi, yi);
    expect(tauTied).toBeGreaterThan(0.3);
    expect(tauTied).toBeLessThan(tau + 0.05);
  });
});

describe("aucMannWhitney", () => {
  it("hand-computed values", () => {
    expect(aucMannWhitney([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 15);
    expect(aucMannWhitney([1, 1], [true, false])).toBe(0.5);
    expect(aucMannWhitney([3, 2, 1], [1, 0, 0])).toBe(1);
    expect(aucMannWhitney([3, 2, 1], [0, 0, 1])).toBe(0);
  });

  it("is NaN when a class is empty", () => {
    expect(aucMannWhitney([1, 2], [1, 1])).toBeNaN();
    expect(aucMannWhitney([1, 2], [false, false])).toBeNaN();
    expect(aucMannWhitney([], [])).toBeNaN();
  });

  it("matches the pairwise reference on random inputs", () => {
    const rng = new Random(5);
    for (let t = 0; t < 500; t++) {
      const [scores] = randomPair(rng);
      const positive = Array.from(scores, () => rng.next() < 0.4);
      if (!positive.includes(true) || !positive.includes(false)) continue;
      expect(aucMannWhitney(scores, positive)).toBeCloseTo(refAuc(scores, positive), 12);
    }
  });
});
