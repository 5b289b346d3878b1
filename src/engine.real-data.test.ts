/**
 * The whole loop (ingest -> store -> train -> evaluate) on the real public data sets in ../shared/data,
 * checked against the independent reference run in shared/docs/reference-figures.md. Skipped when the
 * shared data is not beside the repository.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "./config.js";
import { Engine } from "./engine.js";

const shared = new URL("../../shared/data/", import.meta.url).pathname;
const spotifyCsv = join(shared, "spotify-personal-streaming-history/plays.csv.gz");
const movielens = join(shared, "movielens-100k/u.data");
const lastfm = join(shared, "lastfm-hetrec2011/user_artists.dat");
const config = (overrides = {}) =>
  toTrainConfig(trainSettingsSchema.parse({ weighting: "linear", ...overrides }));
const rejects = () => join(mkdtempSync(join(tmpdir(), "tastebud-real-")), "rejects.jsonl");

describe.skipIf(!existsSync(spotifyCsv))("shared Spotify histories (8 users, 206,029 plays)", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open({
      store: ":memory:",
      models: mkdtempSync(join(tmpdir(), "tastebud-models-")),
    });
    const s = await engine.events.ingest([spotifyCsv], { preset: "spotify", rejectsPath: rejects() });
    // One row has an empty artist: rejected by rule, everything else stored.
    expect(s).toMatchObject({ accepted: 206_028, rejected: 1 });
  });
  afterAll(() => engine.close());

  // reference-figures.md, k = 50, linear weighting: BPR-PN-linear and history-linear.
  it.each([
    ["per-user", { splitPerUser: 0.8 }, { mf: 0.223, history: 0.273, scored: 28_239 }],
    ["global", { split: 0.8 }, { mf: 0.111, history: 0.101, scored: 5_824 }],
  ])(
    "%s split: factorization and history within 0.03 of the reference; the blend at least as good",
    async (_name, split, ref) => {
      const report = await engine.affinity.evaluate(split, config(), { withWrmf: false, topN: false });
      const { model, baselines } = report;
      // The one row with an empty artist is rejected by rule; the reference kept it.
      expect(Math.abs(report.counts.scoredPlays - ref.scored)).toBeLessThanOrEqual(2);
      expect(Math.abs(baselines.mf.spearman! - ref.mf)).toBeLessThan(0.03);
      expect(Math.abs(baselines.history.spearman! - ref.history)).toBeLessThan(0.03);
      // The served blend: at least history overall (within seed noise, 0.005), and the factorization's
      // order on items new to the user (so its Spearman there is the factorization's).
      expect(model.spearman!).toBeGreaterThan(baselines.history.spearman! - 0.005);
      expect(model.new.spearman!).toBeGreaterThanOrEqual(baselines.mf.new.spearman! - 1e-9);
      expect(baselines.popularity.spearman!).toBeLessThan(baselines.history.spearman!);
    },
  );
});

describe.skipIf(!existsSync(movielens))("MovieLens 100K, temporal split on its timestamps", () => {
  it("ratings as weights: the model orders held-out ratings better than popularity measured on the same split", async () => {
    const engine = await Engine.open({
      store: ":memory:",
      models: mkdtempSync(join(tmpdir(), "tastebud-models-")),
    });
    try {
      const s = await engine.events.ingest([movielens], { preset: "movielens", rejectsPath: rejects() });
      expect(s.accepted).toBe(100_000);
      const report = await engine.affinity.evaluate({ split: 0.8 }, config({ epochs: 20 }), {
        withWrmf: false,
        topN: false,
      });
      // Later ratings come mostly from users who joined later, so few held-out ratings are scorable.
      expect(report.counts.scoredPlays).toBeGreaterThan(2_000);
      // Popularity is a strong baseline here (0.386 Spearman, AUC 0.701 in the README's run), so the bar is
      // popularity itself, on this split: the model must order held-out ratings better, and separate liked
      // from disliked as well (it is level with it there: 0.700, within 0.005). A model that learned nothing
      // personal scores popularity's figures at best, and fails the first.
      const { popularity, history } = report.baselines;
      expect(report.model.spearman!).toBeGreaterThan(popularity.spearman!);
      expect(report.model.auc!).toBeGreaterThan(popularity.auc! - 0.005);
      // And better than each user's own history alone, the deterministic baseline that knows no other user.
      expect(report.model.spearman!).toBeGreaterThan(history.spearman!);
    } finally {
      await engine.close();
    }
  });
});

describe.skipIf(!existsSync(movielens))(
  "MovieLens 100K, will this user like this item (eval --thresholds)",
  () => {
    it("scores every held-out rating of a known user and item, liked = rating >= 4, above chance", async () => {
      const engine = await Engine.open({
        store: ":memory:",
        models: mkdtempSync(join(tmpdir(), "tastebud-models-")),
      });
      try {
        await engine.events.ingest([movielens], { preset: "movielens", rejectsPath: rejects() });
        const [r] = await engine.affinity.evaluateLikeDecision(
          { splitPerUser: 0.8 },
          config({ epochs: 20 }),
          [1],
          {
            members: 2,
            precisions: [0.8],
          },
        );
        // Each user's latest 20% of ratings; README run: 21,317 examples, 48.7% liked, AUC 0.716.
        expect(r.heldOutExamples).toBeGreaterThan(20_000);
        expect(r.positiveRate).toBeGreaterThan(0.45);
        expect(r.positiveRate).toBeLessThan(0.52);
        expect(r.auc).toBeGreaterThan(0.68);
        expect(r.thresholds.calibrationExamples + r.thresholds.testExamples).toBe(r.heldOutExamples);
      } finally {
        await engine.close();
      }
    });
  },
);

describe.skipIf(!existsSync(lastfm))(
  "Last.fm HetRec 2011 play counts, random split of user-artist pairs",
  () => {
    it("play counts as weights: the model finds held-out artists better than popularity on the same split", async () => {
      const engine = await Engine.open({
        store: ":memory:",
        models: mkdtempSync(join(tmpdir(), "tastebud-models-")),
      });
      try {
        const s = await engine.events.ingest([lastfm], { preset: "lastfm", rejectsPath: rejects() });
        expect(s.accepted).toBe(92_834);
        const report = await engine.affinity.evaluate({ splitRandom: 0.8 }, config({ epochs: 20 }), {
          withWrmf: false,
          topN: false,
        });
        // Every held-out pair is new to its user here, so the top-10 metrics are the test, and the bar is
        // popularity's top 10 on this split (deterministic: ranked by training counts; the history baseline
        // knows nothing of new artists, so its top 10 would be a random tie-break).
        const { popularity, mf } = report.baselines;
        for (const metric of ["ndcg@10", "recall@10"] as const) {
          expect(report.model[metric]!).toBeGreaterThan(popularity[metric]!);
          expect(mf[metric]!).toBeGreaterThan(popularity[metric]!);
        }
      } finally {
        await engine.close();
      }
      // Ingesting and training 92,834 pairs takes one to two minutes on a shared 2-core machine.
    }, 600_000);
  },
);
