import { describe, expect, it } from "vitest";
import { type PoolCatalogue, poolDefinitionSchema, rankPool } from "./pool.js";

/** Twelve songs: s0..s11, by artists A (s0-s5), B (s6-s9), C (s10-s11); s9-s11 tagged new-release. */
const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
const catalogue: PoolCatalogue = {
  items: ids.map((id, i) => ({
    id,
    title: id,
    kind: "song",
    creators: [i < 6 ? "A" : i < 10 ? "B" : "C"],
    tags: i >= 9 ? ["new-release", "pop"] : ["pop"],
  })),
  popularity: ids.map((_, i) => 100 - i),
};
const itemIndex = new Map(ids.map((id, i) => [id, i]));
// The listener likes later songs more: s11 best, s0 worst.
const listener = (i: number) => i / 12;

describe("rankPool", () => {
  it("ranks the editor's candidates for a listener, and keeps the editor's order for a cold start", () => {
    const def = poolDefinitionSchema.parse({ items: ["s2", "s0", "s5", "s1"], rules: { length: 4 } });
    expect(rankPool(def, catalogue, itemIndex, listener).order).toEqual([5, 2, 1, 0]);
    expect(rankPool(def, catalogue, itemIndex, null).order).toEqual([2, 0, 5, 1]);
  });

  it("a pool by tag or creator takes every matching item; unknown listed ids are reported", () => {
    const def = poolDefinitionSchema.parse({ creators: ["c"], items: ["nope"], rules: { length: 5 } });
    const r = rankPool(def, catalogue, itemIndex, null);
    expect(r.order).toEqual([10, 11]);
    expect(r.unknownItems).toEqual(["nope"]);
  });

  it("applies the rules: the opener first, at least N new releases, a cap per creator, a before b", () => {
    const def = poolDefinitionSchema.parse({
      tags: ["pop"],
      rules: {
        length: 6,
        opener: "s0",
        atLeast: [{ count: 2, tag: "new-release" }],
        maxPerCreator: 2,
        before: [["s3", "s11"]],
      },
    });
    // A listener who likes early songs: left alone they would get no new releases.
    const r = rankPool(def, catalogue, itemIndex, (i) => 1 - i / 12);
    expect(r.order[0]).toBe(0);
    expect(r.order.filter((i) => i >= 9).length).toBeGreaterThanOrEqual(2);
    const perArtist = new Map<string, number>();
    for (const i of r.order)
      perArtist.set(
        catalogue.items[i]!.creators[0],
        (perArtist.get(catalogue.items[i]!.creators[0]) ?? 0) + 1,
      );
    expect(Math.max(...perArtist.values())).toBeLessThanOrEqual(2);
    expect(r.order).toHaveLength(6);
    expect(r.unmet).toEqual([]);
    // The listener would play s8 first; the editor wants s1 before it.
    const bind = poolDefinitionSchema.parse({
      items: ["s1", "s3", "s8"],
      rules: { length: 3, before: [["s1", "s8"]] },
    });
    const ordered = rankPool(bind, catalogue, itemIndex, listener).order;
    expect(ordered).toEqual([3, 1, 8]);
    expect(
      rankPool({ ...bind, rules: { ...bind.rules, before: [] } }, catalogue, itemIndex, listener).order,
    ).toEqual([8, 3, 1]);
  });

  it("says which rule it could not meet, and refuses an empty pool", () => {
    const def = poolDefinitionSchema.parse({
      creators: ["A"],
      rules: { atLeast: [{ count: 2, tag: "new-release" }], opener: "zz" },
    });
    expect(rankPool(def, catalogue, itemIndex, listener).unmet).toEqual([
      "opener zz cannot be played",
      "only 0 of at least 2 new-release",
    ]);
    expect(poolDefinitionSchema.safeParse({ description: "nothing" }).success).toBe(false);
  });
});
