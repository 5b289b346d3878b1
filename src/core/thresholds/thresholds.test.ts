import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { decideAll, fitSingleThreshold } from "./binned-thresholds.js";
import { ewDpmtCells, ewDpmtChoose, fitEwDpmt } from "./ew-dpmt.js";
import { fitMist } from "./mist.js";
import { bestSingleThreshold, selectionQuality } from "./precision-recall.js";

/** Scores whose positive rate depends on uncertainty: at equal score, an uncertain one is less often right. */
function uncertainWorld(rng: Random, n: number) {
  const s: number[] = [];
  const u: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const score = rng.next();
    const unc = rng.next();
    // True logit: sharp in the score when certain; flat and lowered when uncertain, so that one score
    // threshold high enough for the uncertain rows gives up most of the certain ones.
    const p = 1 / (1 + Math.exp(-((score - 0.5) * (2 + 24 * (1 - unc)) - 2 * unc)));
    s.push(score);
    u.push(unc);
    y.push(Number(rng.next() < p));
  }
  return { s, u, y };
}

describe("EW-DPMT dynamic program", () => {
  it("finds the same optimum as brute force over every per-bin choice on small grids", () => {
    const rng = new Random(3);
    for (let trial = 0; trial < 150; trial++) {
      const K = 1 + rng.int(3);
      const M = 1 + rng.int(4);
      const n = 4 + rng.int(40);
      const s = Array.from({ length: n }, () => Math.round(rng.next() * 10) / 10); // with ties
      const y = s.map((v) => Number(rng.next() < v));
      const rows: number[][] = Array.from({ length: K }, () => []);
      for (let i = 0; i < n; i++) rows[rng.int(K)].push(i);
      const pStar = [0.5, 0.7, 0.9][trial % 3];
      const cells = ewDpmtCells(s, y, rows, M);
      const js = ewDpmtChoose(cells, pStar);
      const value = (choice: number[]) => {
        let c = 0;
        let p = 0;
        choice.forEach((j, k) => {
          c += cells.count[k][j];
          p += cells.positives[k][j];
        });
        return { c, p, feasible: c === 0 || p >= pStar * c - 1e-9 };
      };
      let bruteBest = 0;
      const choice = new Array<number>(K).fill(0);
      const visit = (k: number): void => {
        if (k === K) {
          const v = value(choice);
          if (v.feasible) bruteBest = Math.max(bruteBest, v.p);
          return;
        }
        for (let j = 0; j <= M; j++) {
          choice[k] = j;
          visit(k + 1);
        }
      };
      visit(0);
      const got = value(js);
      expect(got.feasible).toBe(true);
      expect(got.p).toBe(bruteBest);
    }
  });

  it("the deployed thresholds select exactly the chosen cells on the data they were fitted on", () => {
    const { s, u, y } = uncertainWorld(new Random(5), 3000);
    const policy = fitEwDpmt(s, u, y, 0.9, 5, 10);
    const q = selectionQuality(decideAll(policy, s, u), y);
    expect(q.precision).toBeGreaterThanOrEqual(0.9);
    // At least as much recall as the best single threshold on the same data (the DP includes it only
    // approximately, as its cells are quantiles, so allow one cell's worth).
    const single = selectionQuality(decideAll(fitSingleThreshold(s, y, 0.9), s, u), y);
    expect(q.recall).toBeGreaterThan(single.recall - 0.02);
  });
});

describe("uncertainty-aware thresholds vs a single score threshold", () => {
  it("MIST and EW-DPMT raise held-out recall at precision 0.9 where uncertainty shifts the positive rate", () => {
    const rng = new Random(11);
    const fit = uncertainWorld(rng, 20000);
    const test = uncertainWorld(rng, 20000);
    const quality = (p: ReturnType<typeof fitMist>) => selectionQuality(decideAll(p, test.s, test.u), test.y);
    const single = quality(fitSingleThreshold(fit.s, fit.y, 0.9));
    const mist = quality(fitMist(fit.s, fit.u, fit.y, 0.9, 5));
    const dp = quality(fitEwDpmt(fit.s, fit.u, fit.y, 0.9, 5, 20));
    for (const q of [single, mist, dp]) expect(q.precision).toBeGreaterThan(0.87);
    expect(mist.recall).toBeGreaterThan(single.recall * 2);
    expect(dp.recall).toBeGreaterThan(single.recall * 2);
  });

  it("bestSingleThreshold is the lowest feasible threshold (brute force over every cut)", () => {
    const rng = new Random(9);
    for (let trial = 0; trial < 100; trial++) {
      const n = 1 + rng.int(30);
      const s = Array.from({ length: n }, () => rng.int(8));
      const y = s.map((v) => Number(rng.next() < v / 8));
      const got = bestSingleThreshold(s, y, 0.75);
      let want = Number.POSITIVE_INFINITY;
      for (const t of new Set(s)) {
        const q = selectionQuality(
          s.map((v) => v >= t),
          y,
        );
        if (q.precision >= 0.75 && t < want) want = t;
      }
      expect(got).toBe(want);
    }
  });
});
