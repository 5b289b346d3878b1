import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { evaluateOrdering, listeningSessions, orderByFollows } from "./order.js";
import type { DirectedScorer } from "./scorers.js";

/** score(u -> v) = 1 when v = u + 1 (a chain 0 -> 1 -> 2 ...), else 0. */
const chain: DirectedScorer = {
  scoreAll: (u, out) => {
    for (let v = 0; v < out.length; v++) out[v] = v === u + 1 ? 1 : 0;
  },
  score: (u, v) => (v === u + 1 ? 1 : 0),
};
const constant: DirectedScorer = { scoreAll: (_u, out) => out.fill(0), score: () => 0 };

describe("playlist ordering by what follows", () => {
  it("chains items so each follows the last, from the given opener or the best one", () => {
    expect(orderByFollows([3, 0, 2, 1], chain, 0)).toEqual([0, 1, 2, 3]);
    expect(orderByFollows([3, 0, 2, 1], chain)).toEqual([0, 1, 2, 3]);
    expect(orderByFollows([3, 0, 2, 1], constant, 3)).toEqual([3, 0, 2, 1]); // knows nothing: order kept
    expect(orderByFollows([5], chain)).toEqual([5]);
  });

  it("scores orderings by the pairs the listener played and by the true order", () => {
    const sessions = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ];
    const follows = Int32Array.from([1, 2, 3, -1, 5, 6, 7, -1]);
    const ordered = evaluateOrdering(
      sessions,
      (items, first) => orderByFollows(items, chain, first),
      new Random(1),
      follows,
    );
    expect(ordered).toEqual({ playlists: 2, adjacentPairs: 1, trueFollows: 1 });
    const reversed = evaluateOrdering(
      sessions,
      (items) => [items[0], ...items.slice(1).sort((a, b) => b - a)],
      new Random(1),
    );
    // 0, 3, 2, 1: no played pair; 4, 7, 6, 5 likewise.
    expect(reversed.adjacentPairs).toBe(0);
    expect(Number.isNaN(reversed.trueFollows)).toBe(true);
  });

  it("cuts listening into sessions of listened items at long gaps", () => {
    const min = 60_000;
    // user 0: 0, 1, skip of 2, 1 again, 3, then an hour later 4, 5; user 1: 6, 7, 8, 9.
    const rows: Array<[number, number, number, number]> = [
      [0, 0, 3, 3],
      [0, 1, 6, 3],
      [0, 2, 6.1, 0.05],
      [0, 1, 9, 2.9],
      [0, 3, 12, 3],
      [0, 4, 75, 3],
      [0, 5, 78, 3],
      [1, 6, 3, 3],
      [1, 7, 6, 3],
      [1, 8, 9, 3],
      [1, 9, 12, 3],
    ];
    const plays = {
      userIndex: Int32Array.from(rows, (r) => r[0]),
      itemIndex: Int32Array.from(rows, (r) => r[1]),
      endTimeMs: Float64Array.from(rows, (r) => r[2] * min),
      playedMs: Float64Array.from(rows, (r) => r[3] * min),
    };
    expect(listeningSessions(plays, { minLength: 2 })).toEqual([
      [0, 1, 3],
      [4, 5],
      [6, 7, 8, 9],
    ]);
    expect(
      listeningSessions(plays, { minLength: 3, maxLength: 3 }, (row) => plays.userIndex[row] === 1),
    ).toEqual([[6, 7, 8]]);
  });
});
