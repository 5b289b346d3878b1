import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSource } from "../../ingest/index.js";
import { busiestUser, spotifyExport } from "./spotify-export.js";
import { simulateWorld } from "./world.js";

describe("spotifyExport", () => {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-spotify-export-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes one listener's plays so that the Spotify preset reads them back as the same plays", async () => {
    const world = simulateWorld({ users: 40, items: 300, days: 20, seed: 3 });
    const listener = busiestUser(world);
    const counts = new Map<string, number>();
    for (const e of world.events) counts.set(e.user, (counts.get(e.user) ?? 0) + 1);
    expect(counts.get(listener)).toBe(Math.max(...counts.values()));

    const files = spotifyExport(world, listener);
    expect(files[0].name).toMatch(/^Streaming_History_Audio_\d{4}(-\d{4})?_0\.json$/);
    for (const f of files) writeFileSync(join(dir, f.name), JSON.stringify(f.rows));

    const kindOf = new Map(world.catalogue.map((c) => [c.id, c.kind]));
    const expected = world.events.filter((e) => e.user === listener && kindOf.get(e.item) === "song");
    const plays: Array<{ item: string; user: string; playedMs: number; endReason?: string }> = [];
    for await (const r of readSource([dir], { preset: "spotify", user: "me" })) {
      expect(r.kind).not.toBe("reject");
      if (r.kind === "play" && !r.event.item.startsWith("podcast")) plays.push(r.event);
    }
    const songs = plays.filter((p) => kindOf.get(p.item) === "song");
    expect(songs.length).toBe(expected.length);
    expect(songs.map((p) => [p.item, p.playedMs])).toEqual(expected.map((e) => [e.item, e.playedMs]));
    expect(new Set(songs.map((p) => p.user))).toEqual(new Set(["me"]));
    const skipped = (xs: Array<{ endReason?: string }>) => xs.filter((x) => x.endReason === "skipped").length;
    expect(skipped(songs)).toBe(skipped(expected));
  });
});
