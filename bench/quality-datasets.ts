/**
 * `npm run bench -- quality`: top-10 quality of the served top-N model against EASE, item-kNN, WARP, BPR and
 * popularity on five data sets, one table. Each data set goes through the real path (ingest into a store,
 * the store's split, the eval's definitions: per user, held-out long plays of items new to them, ranked
 * among the training items they have not played), and the served model is chosen exactly as `tastebud
 * train` chooses it, on each user's latest 20% of the *training* plays: the test side is read only to score.
 *
 *   npm run bench -- quality [--only sim,ml-pos4,ml-temporal,lastfm,spotify] [--json]
 *
 * Data sets: the demo's simulated world (300 x 2,000, 60 days, seed 1; per-user 80/20 by time); MovieLens
 * 100K split-pos4 (../shared/data/movielens-100k/split-pos4: ratings >= 4, the published random 80/20);
 * MovieLens 100K u.data with ratings − 3 as weights (4 and 5 positive), per-user 80/20 by time; Last.fm
 * HetRec play counts, random 80/20 of user-artist pairs; the shared Spotify histories, per-user 80/20 by
 * time. A data set whose files are absent is reported as skipped.
 *
 *   npm run bench -- topn-skips [--only sim,ml-temporal,spotify]
 *
 * What a skip should mean for top-N, decided on validation alone: the selection is run twice on each data
 * set's training side, skips left out of the positives and skips counted as positives, and both are scored
 * on the same held-out long plays (each user's latest 20% of the training plays). The test side is not read.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SplitSettings } from "../src/config.js";
import { defaultTrainConfig, type TimedPlayTable } from "../src/core/affinity/affinity-model.js";
import {
  defaultEvaluationConfig,
  type EvaluationReport,
  evaluateSplit,
} from "../src/core/evaluation/evaluate.js";
import { type Split, subsetPlays } from "../src/core/evaluation/split.js";
import { Random } from "../src/core/random.js";
import { describeChoice, type SkipMeaning, selectRecommender } from "../src/core/recommend/index.js";
import { simulateWorld } from "../src/core/simulate/world.js";
import { Engine } from "../src/engine.js";
import { splitStoredPlays } from "../src/services/affinity.js";
import { OccurrenceCounter } from "../src/store/event-key.js";

const shared = new URL("../../shared/data/", import.meta.url).pathname;
const log = (text: string) => process.stderr.write(`${text}\n`);

interface DataSet {
  name: string;
  /** How the rows were split, in words. */
  split: string;
  files: string[];
  load(
    engine: Engine,
    scratch: string,
  ): Promise<{ plays: TimedPlayTable; users: string[]; items: string[]; cut: Split }>;
}

async function fromStore(engine: Engine, split: SplitSettings) {
  return splitStoredPlays(engine.store, split, 1);
}

const dataSets: Record<string, DataSet> = {
  sim: {
    name: "simulated world (demo: 300 x 2,000, seed 1)",
    split: "per-user 80/20 by time",
    files: [],
    async load(engine) {
      const world = simulateWorld({ users: 300, items: 2000, days: 60, seed: 1 });
      const counter = new OccurrenceCounter();
      await engine.store.appendPlays(
        world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
      );
      return fromStore(engine, { splitPerUser: 0.8 });
    },
  },
  "ml-pos4": {
    name: "MovieLens 100K split-pos4",
    split: "published random 80/20 (ratings >= 4)",
    files: [
      join(shared, "movielens-100k/split-pos4/train.csv"),
      join(shared, "movielens-100k/split-pos4/test.csv"),
    ],
    async load() {
      return splitPos4Table(join(shared, "movielens-100k/split-pos4"));
    },
  },
  "ml-temporal": {
    name: "MovieLens 100K (ratings − 3)",
    split: "per-user 80/20 by time",
    files: [join(shared, "movielens-100k/u.data")],
    async load(engine, scratch) {
      await engine.events.ingest([this.files[0]], {
        preset: "movielens",
        rejectsPath: join(scratch, "r.jsonl"),
      });
      return fromStore(engine, { splitPerUser: 0.8 });
    },
  },
  lastfm: {
    name: "Last.fm HetRec 2011 (play counts)",
    split: "random 80/20 of user-artist pairs",
    files: [join(shared, "lastfm-hetrec2011/user_artists.dat")],
    async load(engine, scratch) {
      await engine.events.ingest([this.files[0]], {
        preset: "lastfm",
        rejectsPath: join(scratch, "r.jsonl"),
      });
      return fromStore(engine, { splitRandom: 0.8 });
    },
  },
  spotify: {
    name: "Spotify histories (8 people)",
    split: "per-user 80/20 by time",
    files: [join(shared, "spotify-personal-streaming-history/plays.csv.gz")],
    async load(engine, scratch) {
      await engine.events.ingest([this.files[0]], {
        preset: "spotify",
        rejectsPath: join(scratch, "r.jsonl"),
      });
      return fromStore(engine, { splitPerUser: 0.8 });
    },
  },
};

/**
 * split-pos4's train.csv and test.csv (user,item,weight) as one table and its split. The files carry no
 * times, so training rows get a random order (seed 1): the selection's "latest 20%" is then a random 20%,
 * as the published split itself is random.
 */
function splitPos4Table(dir: string) {
  const read = (file: string) =>
    readFileSync(join(dir, file), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(","));
  const train = read("train.csv");
  const test = read("test.csv");
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const rows = [...train, ...test];
  for (const [u, i] of rows) {
    if (!users.has(u)) users.set(u, users.size);
    if (!items.has(i)) items.set(i, items.size);
  }
  const rng = new Random(1);
  const plays: TimedPlayTable = {
    nUsers: users.size,
    nItems: items.size,
    userIndex: Int32Array.from(rows, ([u]) => users.get(u) ?? 0),
    itemIndex: Int32Array.from(rows, ([, i]) => items.get(i) ?? 0),
    playedMs: new Float64Array(rows.length),
    itemLengthMs: new Float64Array(rows.length),
    weight: Float64Array.from(rows, ([, , w]) => Number(w)),
    endTimeMs: Float64Array.from(rows, () => Math.floor(rng.next() * 1e9)),
  };
  const isTrain = Uint8Array.from(rows, (_, r) => (r < train.length ? 1 : 0));
  const cut: Split = { isTrain, description: { kind: "random-pairs", share: 0.8, seed: 43 } };
  return { plays, users: [...users.keys()], items: [...items.keys()], cut };
}

type Figures = { "ndcg@10": number | null; "recall@10": number | null };

export interface QualityRow {
  data: string;
  split: string;
  served: Figures & { recommender: string };
  ease: (Figures & { lambda: number }) | null;
  itemKnn: (Figures & { neighbours: number | null }) | null;
  warp: Figures | null;
  bpr: Figures;
  popularity: Figures;
  /** served / the best of the baselines on NDCG@10. */
  servedOverBest: number | null;
  best: string;
  seconds: number;
}

const pick = (
  m: { "ndcg@10": number | null; "recall@10": number | null } | null | undefined,
): Figures | null => (m ? { "ndcg@10": m["ndcg@10"], "recall@10": m["recall@10"] } : null);

function row(set: DataSet, report: EvaluationReport, seconds: number): QualityRow {
  const b = report.baselines;
  const baselines: Record<string, Figures | null> = {
    ease: pick(b.ease),
    "item-knn": pick(b.itemKnn),
    warp: pick(b.warp),
    bpr: pick(b.mf),
    popularity: pick(b.popularity),
  };
  const [best, top] = Object.entries(baselines)
    .filter((e): e is [string, Figures] => e[1] !== null && e[1]["ndcg@10"] !== null)
    .sort((x, y) => (y[1]["ndcg@10"] ?? 0) - (x[1]["ndcg@10"] ?? 0))[0];
  const served = report.recommender;
  return {
    data: set.name,
    split: set.split,
    served: { ...(pick(served) as Figures), recommender: served?.name ?? "none" },
    ease: b.ease ? { ...(pick(b.ease) as Figures), lambda: b.ease.lambda } : null,
    itemKnn: b.itemKnn ? { ...(pick(b.itemKnn) as Figures), neighbours: b.itemKnn.neighbours } : null,
    warp: pick(b.warp),
    bpr: pick(b.mf) as Figures,
    popularity: pick(b.popularity) as Figures,
    servedOverBest:
      served?.["ndcg@10"] && top["ndcg@10"]
        ? Math.round((served["ndcg@10"] / top["ndcg@10"]) * 1000) / 1000
        : null,
    best,
    seconds: Math.round(seconds * 10) / 10,
  };
}

/** Runs every data set whose files exist (or those in `only`), one at a time in a fresh in-memory store. */
export async function qualityAcrossDataSets(
  only?: string[],
): Promise<{ rows: QualityRow[]; skipped: string[] }> {
  const rows: QualityRow[] = [];
  const skipped: string[] = [];
  for (const [key, set] of Object.entries(dataSets)) {
    if (only && !only.includes(key)) continue;
    if (set.files.some((f) => !existsSync(f))) {
      skipped.push(`${key} (no ${set.files.find((f) => !existsSync(f))})`);
      continue;
    }
    const scratch = mkdtempSync(join(tmpdir(), "tastebud-quality-"));
    const engine = await Engine.open({ store: ":memory:", models: join(scratch, "models") });
    try {
      log(`${key}: loading ...`);
      const { plays, users, items, cut } = await set.load(engine, scratch);
      const started = performance.now();
      const report = evaluateSplit(
        plays,
        users,
        items,
        cut,
        { ...defaultEvaluationConfig, train: defaultTrainConfig, withWrmf: false, withWarp: true, topN: {} },
        (phase, done, total) => log(`${key}: ${phase} ${done}/${total}`),
      );
      rows.push(row(set, report, (performance.now() - started) / 1000));
      log(JSON.stringify(rows[rows.length - 1]));
    } finally {
      await engine.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return { rows, skipped };
}

/** The rows as the README's table (NDCG@10 / recall@10 per model). */
export function qualityTable(rows: QualityRow[]): string {
  const f = (m: Figures | null) =>
    m && m["ndcg@10"] !== null ? `${m["ndcg@10"].toFixed(3)} / ${(m["recall@10"] ?? 0).toFixed(3)}` : "-";
  const lines = [
    "| data set (split) | served (chosen on validation) | EASE | item-kNN | WARP | BPR | popularity | served / best |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows)
    lines.push(
      `| ${r.data} (${r.split}) | ${f(r.served)} ${r.served.recommender} | ${f(r.ease)}${r.ease ? ` λ ${r.ease.lambda}` : ""} | ${f(r.itemKnn)}${r.itemKnn ? ` k ${r.itemKnn.neighbours ?? "all"}` : ""} | ${f(r.warp)} | ${f(r.bpr)} | ${f(r.popularity)} | ${r.servedOverBest ?? "-"} (${r.best}) |`,
    );
  return lines.join("\n");
}

export interface SkipsRow {
  data: string;
  /** The selection's choice and its validation figures, per skip meaning. */
  meanings: Record<SkipMeaning, { choice: string; "ndcg@10": number; "recall@10": number; users: number }>;
}

/** Selection on the training side with skips ignored and with skips as positives (see the header). */
export async function skipsOnValidation(only = ["sim", "ml-temporal", "spotify"]): Promise<SkipsRow[]> {
  const out: SkipsRow[] = [];
  for (const [key, set] of Object.entries(dataSets)) {
    if (!only.includes(key) || set.files.some((f) => !existsSync(f))) continue;
    const scratch = mkdtempSync(join(tmpdir(), "tastebud-skips-"));
    const engine = await Engine.open({ store: ":memory:", models: join(scratch, "models") });
    try {
      log(`${key}: loading ...`);
      const { plays, cut } = await set.load(engine, scratch);
      const train = subsetPlays(plays, cut.isTrain, 1);
      const meanings = {} as SkipsRow["meanings"];
      for (const skips of ["ignored", "positive"] as const) {
        log(`${key}: selecting with skips ${skips}`);
        const s = selectRecommender(train, {
          skips,
          rule: defaultTrainConfig.rule,
          pairwise: defaultTrainConfig.pairwise,
        });
        const top = s.validation.best[0];
        meanings[skips] = {
          choice: describeChoice(s.choice),
          "ndcg@10": top["ndcg@10"],
          "recall@10": top["recall@10"],
          users: s.validation.users,
        };
      }
      out.push({ data: set.name, meanings });
      log(JSON.stringify(out[out.length - 1]));
    } finally {
      await engine.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return out;
}
