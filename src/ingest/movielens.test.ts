import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IngestOptions, type IngestRecord, readSource } from "./index.js";

async function collect(paths: string[], options: IngestOptions) {
  const all: IngestRecord[] = [];
  for await (const r of readSource(paths, options)) all.push(r);
  return {
    all,
    plays: all.flatMap((r) => (r.kind === "play" ? [r] : [])),
    rejects: all.flatMap((r) => (r.kind === "reject" ? [r] : [])),
    items: all.flatMap((r) => (r.kind === "item" ? [r.item] : [])),
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-ml-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("movielens", () => {
  it("reads the shared ML-100K u.data: 100,000 ratings, titles from u.item", async () => {
    const { all, plays, rejects, items } = await collect(["/work/shared/data/movielens-100k"], {
      preset: "movielens",
    });
    expect(plays).toHaveLength(100000);
    expect(rejects).toHaveLength(0);
    expect(items).toHaveLength(1682);
    // Items come before the plays that use them.
    expect(all.findIndex((r) => r.kind === "play")).toBe(1682);
    expect(items.find((i) => i.id === "242")).toEqual({
      id: "242",
      title: "Kolya (1996)",
      kind: "movie",
      tags: ["Comedy"],
      attributes: { releaseDate: "24-Jan-1997", imdbUrl: "http://us.imdb.com/M/title-exact?Kolya%20(1996)" },
    });
    // First line of u.data: 196 242 3 881250949
    expect(plays[0]).toMatchObject({
      line: 1,
      event: { user: "196", item: "242", endTime: "1997-12-04T15:55:49.000Z", playedMs: 0, weight: 0 },
    });
    const weights = new Set(plays.map((p) => p.event.weight));
    expect([...weights].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([-2, -1, 0, 1, 2]);
  });

  it("reads ratings.csv with half stars, movies.csv titles and rejects bad rows", async () => {
    writeFileSync(
      join(dir, "ratings.csv"),
      "userId,movieId,rating,timestamp\n1,1,4.5,964982703\n1,3,x,964981247\n2,1,7,964982224\n2,,3,964982224\n3,2,0.5,1445714835\n",
    );
    writeFileSync(
      join(dir, "movies.csv"),
      'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children\n2,"Jumanji, The (1995)",(no genres listed)\n',
    );
    const { plays, rejects, items } = await collect([dir], { preset: "movielens" });
    expect(items).toEqual([
      { id: "1", title: "Toy Story (1995)", kind: "movie", tags: ["Adventure", "Animation", "Children"] },
      { id: "2", title: "Jumanji, The (1995)", kind: "movie", tags: [] },
    ]);
    expect(plays.map((p) => [p.line, p.event.user, p.event.item, p.event.weight])).toEqual([
      [2, "1", "1", 1.5],
      [6, "3", "2", -2.5],
    ]);
    expect(rejects.map((r) => [r.line, r.field])).toEqual([
      [3, "weight"],
      [4, "weight"],
      [5, "item"],
    ]);
    expect(rejects[0].reason).toBe('expected a rating from 0 to 5, got "x"');
  });

  it("throws when a ratings header lacks a column", async () => {
    const file = join(dir, "bad", "ratings.csv");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(dir, "bad"));
    writeFileSync(file, "userId,movieId,timestamp\n1,1,964982703\n");
    await expect(collect([file], { preset: "movielens" })).rejects.toThrow(
      `${file}: missing required column "rating"`,
    );
  });
});
