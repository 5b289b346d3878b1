import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { coherence, coherentOrder, intraListDiversity, selectTracks } from "./select.js";
import type { TasteSpace } from "./taste-space.js";

/** A taste space over given unit vectors, item k by creators[k]. */
function spaceOf(vectors: number[][], creators: number[]): TasteSpace {
  const dim = vectors[0].length;
  const unitItems = new Float32Array(vectors.length * dim);
  vectors.forEach((v, k) => {
    const norm = Math.hypot(...v) || 1;
    v.forEach((x, f) => {
      unitItems[k * dim + f] = x / norm;
    });
  });
  const names = [...new Set(creators)].map((c) => `artist ${c}`);
  return {
    dim,
    nItems: vectors.length,
    unitItems,
    creators: names,
    creatorIndex: new Map(names.map((n, c) => [n, c])),
    itemCreators: creators.map((c) => Int32Array.of(c)),
    unitCreators: new Float32Array(names.length * dim),
    creatorPlays: new Float64Array(names.length),
  };
}

function randomSpace(rng: Random, n: number, dim: number, artists: number): TasteSpace {
  return spaceOf(
    Array.from({ length: n }, () => Array.from({ length: dim }, () => rng.normal())),
    Array.from({ length: n }, () => rng.int(artists)),
  );
}

/** Every order with the first track fixed: the slow, obviously correct reference. */
function bestOrderByBruteForce(items: number[], space: TasteSpace): number {
  let best = Number.NEGATIVE_INFINITY;
  const permute = (prefix: number[], rest: number[]) => {
    if (rest.length === 0) {
      best = Math.max(best, coherence(prefix, space));
      return;
    }
    for (let k = 0; k < rest.length; k++)
      permute([...prefix, rest[k]], [...rest.slice(0, k), ...rest.slice(k + 1)]);
  };
  permute([items[0]], items.slice(1));
  return best;
}

describe("selectTracks", () => {
  const rng = new Random(7);

  it("never puts more than the cap of one artist in, even when that artist is the most relevant", () => {
    const space = randomSpace(rng, 60, 6, 12);
    // Artist 0's tracks are the most relevant of all.
    const candidates = Array.from({ length: 60 }, (_, i) => ({
      index: i,
      relevance: space.itemCreators[i][0] === 0 ? 0.99 : 0.5 + 0.001 * i,
      familiar: false,
    }));
    for (const cap of [1, 2, 3]) {
      const { picked, capped } = selectTracks(candidates, space, {
        length: 10,
        familiar: 0,
        artistCap: cap,
        diversity: 0,
      });
      const counts = new Map<number, number>();
      for (const c of picked)
        counts.set(space.itemCreators[c.index][0], (counts.get(space.itemCreators[c.index][0]) ?? 0) + 1);
      expect(Math.max(...counts.values())).toBeLessThanOrEqual(cap);
      expect(counts.get(0)).toBe(cap);
      expect(capped).toBeGreaterThan(0);
      expect(picked).toHaveLength(10);
    }
  });

  it("fills the familiar quota the dial sets, and says when the history cannot", () => {
    const space = randomSpace(rng, 40, 4, 40);
    const candidates = Array.from({ length: 40 }, (_, i) => ({
      index: i,
      relevance: rng.next(),
      familiar: i < 6,
    }));
    for (const [share, familiar] of [
      [0, 0],
      [0.3, 3],
      [0.5, 5],
    ] as const) {
      const s = selectTracks(candidates, space, {
        length: 10,
        familiar: share,
        artistCap: 10,
        diversity: 0.3,
      });
      expect(s.picked.filter((c) => c.familiar)).toHaveLength(familiar);
      expect(s.shortfall).toEqual({ familiar: 0, new: 0 });
    }
    const all = selectTracks(candidates, space, { length: 10, familiar: 1, artistCap: 10, diversity: 0.3 });
    expect(all.picked.filter((c) => c.familiar)).toHaveLength(6);
    expect(all.picked).toHaveLength(10);
    expect(all.shortfall).toEqual({ familiar: 4, new: 0 });
  });

  it("with diversity, picks tracks that are less alike than by relevance alone", () => {
    // Greedy MMR is not optimal for every draw, so this asserts the typical case and the mean.
    let more = 0;
    let gain = 0;
    for (let t = 0; t < 20; t++) {
      const space = randomSpace(rng, 80, 8, 80);
      const candidates = Array.from({ length: 80 }, (_, i) => ({
        index: i,
        relevance: 0.5 + 0.5 * rng.next(),
        familiar: false,
      }));
      const options = { length: 10, familiar: 0, artistCap: 10 };
      const plain = selectTracks(candidates, space, { ...options, diversity: 0 }).picked.map((c) => c.index);
      const mmr = selectTracks(candidates, space, { ...options, diversity: 0.5 }).picked.map((c) => c.index);
      const d = intraListDiversity(mmr, space) - intraListDiversity(plain, space);
      if (d > 0) more++;
      gain += d / 20;
    }
    expect(more).toBeGreaterThanOrEqual(16);
    expect(gain).toBeGreaterThan(0.05);
  });
});

describe("coherentOrder", () => {
  it("comes within 3% of the best order found by brute force, and beats the given order", () => {
    const rng = new Random(3);
    let ratio = 0;
    const trials = 30;
    for (let t = 0; t < trials; t++) {
      const space = randomSpace(rng, 8, 4, 8);
      const items = Array.from({ length: 8 }, (_, i) => i);
      const order = coherentOrder(items, space);
      expect(order[0]).toBe(0);
      expect([...order].sort()).toEqual(items);
      const best = bestOrderByBruteForce(items, space);
      expect(coherence(order, space)).toBeLessThanOrEqual(best + 1e-9);
      expect(coherence(order, space)).toBeGreaterThanOrEqual(coherence(items, space) - 1e-9);
      // On the (1 + cosine) scale, so that the ratio is of positive numbers.
      ratio += (1 + coherence(order, space)) / (1 + best);
    }
    expect(ratio / trials).toBeGreaterThan(0.97);
  });
});
