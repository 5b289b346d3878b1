import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IngestOptions, type IngestRecord, readSource } from "./index.js";

async function collect(paths: string[], options: IngestOptions) {
  const all: IngestRecord[] = [];
  for await (const r of readSource(paths, options)) all.push(r);
  return {
    plays: all.flatMap((r) => (r.kind === "play" ? [r] : [])),
    rejects: all.flatMap((r) => (r.kind === "reject" ? [r] : [])),
    items: all.flatMap((r) => (r.kind === "item" ? [r.item] : [])),
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-lastfm-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("lastfm", () => {
  it("reads the shared user_artists.dat: 92,834 counts, artists from artists.dat", async () => {
    const { plays, rejects, items } = await collect(["/work/shared/data/lastfm-hetrec2011"], {
      preset: "lastfm",
    });
    expect(plays).toHaveLength(92834);
    expect(rejects).toHaveLength(0);
    expect(items).toHaveLength(17632);
    expect(items[0]).toEqual({
      id: "lastfm:1",
      title: "MALICE MIZER",
      creators: ["MALICE MIZER"],
      kind: "artist",
      attributes: {
        lastfmUrl: "http://www.last.fm/music/MALICE+MIZER",
        pictureUrl: "http://userserve-ak.last.fm/serve/252/10808.jpg",
      },
    });
    // First row: 2 51 13883 (CRLF line ends).
    expect(plays[0]).toMatchObject({
      line: 2,
      event: {
        user: "2",
        item: "lastfm:51",
        endTime: "1970-01-01T00:00:00.000Z",
        playedMs: 0,
        weight: 13883,
      },
    });
  });

  it("uses defaultEndTime and rejects bad counts", async () => {
    writeFileSync(
      join(dir, "user_artists.dat"),
      "userID\tartistID\tweight\n1\t10\t5\n1\t11\t-3\n2\t\t4\n2\t12\n",
    );
    const { plays, rejects, items } = await collect([dir], {
      preset: "lastfm",
      defaultEndTime: "2011-05-01",
    });
    expect(items).toEqual([]);
    expect(plays.map((p) => p.event)).toEqual([
      { user: "1", item: "lastfm:10", endTime: "2011-05-01T00:00:00.000Z", playedMs: 0, weight: 5 },
    ]);
    expect(rejects.map((r) => [r.line, r.field, r.reason])).toEqual([
      [3, "weight", 'expected a non-negative integer, got "-3" (a play count)'],
      [4, "item", "missing value (empty)"],
      [5, "weight", "missing value (the row has 2 of 3 columns)"],
    ]);
  });

  it("rejects a bad defaultEndTime up front", async () => {
    await expect(collect([dir], { preset: "lastfm", defaultEndTime: "soon" })).rejects.toThrow(
      /defaultEndTime/,
    );
  });
});
