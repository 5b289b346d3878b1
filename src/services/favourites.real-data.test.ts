/**
 * eval --delayed on the shared Spotify histories (8 people); skipped when ../shared/data is absent. The
 * classifier barely predicts favourites there (README), so this checks the pipeline's counts and that
 * importance weighting never does worse than the naive labels by more than noise, not a gap closed.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";

const spotifyCsv = new URL(
  "../../../shared/data/spotify-personal-streaming-history/plays.csv.gz",
  import.meta.url,
).pathname;

describe.skipIf(!existsSync(spotifyCsv))(
  "favourites from late labels on the shared Spotify histories",
  () => {
    it("builds 26,544 first long plays and compares the four methods on three matured cuts", async () => {
      const dir = mkdtempSync(join(tmpdir(), "tastebud-fav-"));
      const engine = await Engine.open({ store: ":memory:", models: dir });
      try {
        await engine.events.ingest([spotifyCsv], {
          preset: "spotify",
          rejectsPath: join(dir, "rejects.jsonl"),
        });
        const r = await engine.favourites.evaluate({ source: "store" }, { ensemble: 3 });
        expect(r.examples).toBe(26_544);
        expect(r.positiveRate).toBeCloseTo(0.2155, 3);
        expect(r.runs).toHaveLength(3);
        for (const run of r.runs) {
          expect(run.immatureExamples).toBeGreaterThan(1000);
          expect(run.testExamples).toBeGreaterThan(2000);
          expect(run.methods.importance.logLoss).toBeLessThan(run.methods.naive.logLoss + 0.005);
          expect(run.methods.wait.trainedOn).toBe(run.trainExamples - run.immatureExamples);
        }
      } finally {
        await engine.close();
      }
    }, 120_000);
  },
);
