import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { catalogueItemSchema } from "../schema/events.js";

const shelves = Array.from({ length: 40 }, (_, k) =>
  catalogueItemSchema.parse({
    id: `shelf-${k}`,
    title: `Shelf ${k}`,
    kind: "other",
    tags: [k % 2 ? "jazz" : "rock"],
  }),
);

describe("home service", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("serves logged shelves with propensities, learns from streams by the cascade rule, and survives a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-home-"));
    dirs.push(dir);
    const path = join(dir, "store.duckdb");
    let engine = await Engine.open({ store: path, seed: 3 });
    await engine.store.upsertItems(shelves);
    const page = await engine.home.page("u1", { slots: 12, context: "phone" });
    expect(page.shelves).toHaveLength(12);
    expect(new Set(page.shelves.map((s) => s.item)).size).toBe(12);
    for (const s of page.shelves) {
      // Nothing learned yet: every arm ties, so each slot is 0.9 * 1/40 + 0.1 * 1/40.
      expect(s.propensity).toBeCloseTo(1 / 40, 12);
      expect(s.explanation).toMatch(/^more (jazz|rock)/);
    }
    const logged = await engine.store.scanImpressions({ pageId: page.pageId });
    expect(logged.map((r) => r.impression.item)).toEqual(page.shelves.map((s) => s.item));
    // A 45 s stream at slot 4: slots 0-3 seen and passed over, slot 4 rewarded, 5-11 unseen.
    const r = await engine.home.feedback(
      [
        {
          impressionId: page.shelves[4].impressionId,
          time: new Date().toISOString(),
          kind: "stream",
          playedMs: 45_000,
        },
      ],
      "test",
    );
    expect(r).toMatchObject({ inserted: 1, learnedPages: 1 });
    const status = (await engine.home.status())[0];
    expect(status.displays).toBe(5);
    expect(status.streams).toBe(1);
    // The report: the five seen shelves (the streamed one at rate 1), and the log's one reward at slot 4.
    const report = await engine.home.report();
    expect(report.policy).toMatchObject({ displays: 5, streams: 1 });
    expect(report.arms.map((a) => a.item).sort()).toEqual(
      page.shelves
        .slice(0, 5)
        .map((s) => s.item)
        .sort(),
    );
    expect(report.arms.find((a) => a.item === page.shelves[4].item)).toMatchObject({
      title: page.shelves[4].title,
      displays: 1,
      streams: 1,
      rate: 1,
    });
    expect(report.log).toMatchObject({ impressions: 12, pages: 1, rewarded: 1 });
    expect(report.log.bySlot.map((s) => s.rewarded)).toEqual(page.shelves.map((_, k) => (k === 4 ? 1 : 0)));
    expect(report.log.bySlot[0].meanPropensity).toBeCloseTo(1 / 40, 12);
    await engine.close();

    engine = await Engine.open({ store: path, seed: 4 });
    const again = (await engine.home.status())[0];
    expect(again).toMatchObject({ displays: 5, streams: 1, version: 2 });
    // The rewarded shelf now leads the greedy ranking of that context (segment).
    const next = await engine.home.page("u1", { slots: 12, context: "phone" });
    const greedy = next.shelves.filter((s) => !s.explored);
    if (greedy.length > 0) expect(greedy[0].item).toBe(page.shelves[4].item);
    await engine.close();
  });

  it("a frozen policy serves but does not learn", async () => {
    const engine = await Engine.open({ store: ":memory:", seed: 1 });
    try {
      await engine.store.upsertItems(shelves);
      await engine.home.freeze(true);
      const page = await engine.home.page("u2");
      const r = await engine.home.feedback(
        [
          {
            impressionId: page.shelves[0].impressionId,
            time: new Date().toISOString(),
            kind: "stream",
            playedMs: 60_000,
          },
        ],
        "test",
      );
      expect(r.learnedPages).toBe(0);
      expect((await engine.home.status())[0]).toMatchObject({ frozen: true, displays: 0 });
      expect((await engine.home.report()).arms).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
