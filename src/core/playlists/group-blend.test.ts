import { describe, expect, it } from "vitest";
import { buildBlend, tasteMatch } from "./group-blend.js";
import type { TasteSpace } from "./taste-space.js";

/**
 * A fixture with known answers: groups of tracks, each group liked by some members (relevance 0.9 for
 * them, 0.2 for the rest) and lying in its own direction of a small taste space; every track by its own
 * artist, so the cap never binds.
 */
function fixture(groups: Array<{ count: number; likedBy: number[]; liked?: number }>, members: number) {
  const dim = groups.length;
  const n = groups.reduce((s, g) => s + g.count, 0);
  const unitItems = new Float32Array(n * dim);
  const relevance = Array.from({ length: members }, () => new Float32Array(n));
  const groupOf: number[] = [];
  let at = 0;
  groups.forEach((g, k) => {
    for (let t = 0; t < g.count; t++, at++) {
      unitItems[at * dim + k] = 1;
      groupOf.push(k);
      for (let m = 0; m < members; m++) relevance[m][at] = g.likedBy.includes(m) ? (g.liked ?? 0.9) : 0.2;
    }
  });
  const space: TasteSpace = {
    dim,
    nItems: n,
    unitItems,
    creators: [],
    creatorIndex: new Map(),
    itemCreators: Array.from({ length: n }, (_, i) => Int32Array.of(i)),
    unitCreators: new Float32Array(0),
    creatorPlays: new Float64Array(0),
  };
  return { input: { space, candidates: Int32Array.from({ length: n }, (_, i) => i), relevance }, groupOf };
}

const options = { length: 10, artistCap: 2, relevantAt: 0.5, othersWeight: 0.5 };

describe("Blend for two", () => {
  // A's favourites are a little more loved than B's, so the group's mean leans to A.
  const { input, groupOf } = fixture(
    [
      { count: 12, likedBy: [0], liked: 0.95 },
      { count: 12, likedBy: [1] },
      { count: 4, likedBy: [0, 1], liked: 0.8 },
    ],
    2,
  );
  const groupsIn = (order: number[]) => order.map((c) => groupOf[c]);

  it("takes every track both like, then shares the rest equally, each attributed to its member", () => {
    const r = buildBlend(input, "blend", options);
    const groups = groupsIn(r.order);
    expect(groups.filter((g) => g === 2)).toHaveLength(4);
    expect(groups.filter((g) => g === 0)).toHaveLength(3);
    expect(groups.filter((g) => g === 1)).toHaveLength(3);
    r.order.forEach((c, k) => {
      expect(r.serves[k]).toEqual(groupOf[c] === 2 ? [0, 1] : [groupOf[c]]);
    });
    expect(r.attributes.democratic).toBeCloseTo(0.7, 10);
    expect(r.attributes.equal).toBeGreaterThan(0.49);
  });

  it("the group mean starves B; alternating skips the shared tracks; Blend is fair without losing joy", () => {
    const blend = buildBlend(input, "blend", options).attributes;
    const mean = buildBlend(input, "mean", options);
    expect(groupsIn(mean.order).filter((g) => g === 1)).toHaveLength(0);
    expect(mean.attributes.democratic).toBeCloseTo(0.4, 10);
    const alternating = buildBlend(input, "alternating", options);
    expect(groupsIn(alternating.order).filter((g) => g === 2)).toHaveLength(0);
    expect(blend.worstMember).toBeGreaterThan(mean.attributes.worstMember);
    expect(blend.worstMember).toBeGreaterThan(alternating.attributes.worstMember);
    expect(blend.joy).toBeGreaterThan(alternating.attributes.joy);
    expect(blend.equal).toBeGreaterThan(mean.attributes.equal);
  });

  it("orders the Blend so that tracks of one taste play together", () => {
    const r = buildBlend(input, "blend", options);
    let changes = 0;
    for (let k = 1; k < r.order.length; k++) if (groupOf[r.order[k]] !== groupOf[r.order[k - 1]]) changes++;
    expect(changes).toBe(2);
    expect(r.attributes.coherent).toBeCloseTo(7 / 9, 10);
  });
});

describe("Blend for three", () => {
  // A and B share a taste; C likes something else entirely.
  const { input, groupOf } = fixture(
    [
      { count: 15, likedBy: [0, 1] },
      { count: 15, likedBy: [2] },
    ],
    3,
  );

  it("gives the odd one out a fair share that the group mean would not", () => {
    const blend = buildBlend(input, "blend", { ...options, length: 9 });
    const forC = blend.order.filter((c) => groupOf[c] === 1).length;
    // Slots go to whoever is owed: A and B are served by the same tracks, so C gets about a third or more.
    expect(forC).toBeGreaterThanOrEqual(3);
    expect(forC).toBeLessThanOrEqual(5);
    const mean = buildBlend(input, "mean", { ...options, length: 9 });
    expect(mean.order.filter((c) => groupOf[c] === 1)).toHaveLength(0);
    expect(blend.attributes.worstMember).toBeGreaterThan(mean.attributes.worstMember);
    expect(blend.attributes.democratic).toBeGreaterThanOrEqual(3 / 9);
  });

  it("taste match: 1 for the same taste, 0 for orthogonal ones, the mean over pairs for three", () => {
    expect(
      tasteMatch([
        [1, 0],
        [2, 0],
      ]),
    ).toBeCloseTo(1, 10);
    expect(
      tasteMatch([
        [1, 0],
        [0, 3],
      ]),
    ).toBeCloseTo(0, 10);
    expect(
      tasteMatch([
        [1, 0],
        [1, 0],
        [0, 1],
      ]),
    ).toBeCloseTo(1 / 3, 10);
  });
});
