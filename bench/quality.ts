/**
 * Top-10 quality on MovieLens 100K split-pos4 (../shared/data/movielens-100k/split-pos4), with the metric
 * definitions of shared/docs/performance.md (implicit's ranking_metrics_at_k): per user with held-out
 * items, training items excluded from the ranking; precision@10 = Σ hits / Σ min(10, held-out) over users
 * (implicit's pooled form); NDCG@10 with IDCG over min(10, held-out), averaged over users. Held-out items
 * never seen in training still count as relevant (they stay in implicit's matrix), they just cannot be hit.
 *
 *   npx tsx bench/quality.ts [--data DIR] [--loss bpr,warp] [--seeds 0,1,2] [--validation] [--json]
 *
 * Each loss is trained once per seed and reported as the median over seeds (one seed is noisy).
 * --validation scores on a random 20% carved out of train.csv (seed 1) instead of test.csv: hyper-parameters
 * are chosen there, and test.csv is only read for the final figure.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { trainBpr } from "../src/core/affinity/bpr.js";
import { type FoldedCells, foldPlays, playTableFromRows } from "../src/core/affinity/cells.js";
import { type FactorModel, scoreAllItems, userVector } from "../src/core/affinity/factor-model.js";
import { buildPairwiseSet, type PairwiseSet } from "../src/core/affinity/pairwise-set.js";
import { trainWarp } from "../src/core/affinity/warp.js";
import { defaultLabelRule } from "../src/core/affinity/weighting.js";
import { hitsAtK, ndcgAtK, topK } from "../src/core/metrics/index.js";
import { Random } from "../src/core/random.js";
import { median } from "./record.js";

export type Pair = [user: string, item: string, weight: number];

export interface QualitySplit {
  set: PairwiseSet;
  cells: FoldedCells;
  /** Held-out items per user index; items unknown to training get indices ≥ nItems (never ranked). */
  heldOut: Map<number, Set<number>>;
}

export interface QualityFigures {
  "ndcg@10": number;
  "precision@10": number;
}

/** A loss as the bench trains it: its name → a trainer for a seed. */
export type QualityTrainer = (set: PairwiseSet, seed: number) => FactorModel;

export const defaultDataDir = new URL("../../shared/data/movielens-100k/split-pos4", import.meta.url)
  .pathname;

/** The losses compared, each with the settings of its peer row in performance.md (50 factors). */
export const qualityTrainers: Record<string, QualityTrainer> = {
  bpr: (set, seed) => trainBpr(set, { factors: 50, epochs: 100, seed }),
  warp: (set, seed) => trainWarp(set, { factors: 50, seed }),
};

export function readPairs(path: string): Pair[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(","))
    .map(([u, i, w]) => [u, i, Number(w)]);
}

/** Splits rows at random, `share` of them to the second part (for a validation set carved from train). */
export function randomSplit(rows: Pair[], share: number, seed: number): [Pair[], Pair[]] {
  const rng = new Random(seed);
  const a: Pair[] = [];
  const b: Pair[] = [];
  for (const r of rows) (rng.next() < share ? b : a).push(r);
  return [a, b];
}

export function prepareSplit(train: Pair[], test: Pair[]): QualitySplit {
  const uIx = new Map<string, number>();
  const iIx = new Map<string, number>();
  for (const [u, i] of train) {
    if (!uIx.has(u)) uIx.set(u, uIx.size);
    if (!iIx.has(i)) iIx.set(i, iIx.size);
  }
  const table = playTableFromRows(
    train.map(([u, i, w]) => [uIx.get(u)!, iIx.get(i)!, 0, w] as const),
    uIx.size,
    iIx.size,
  );
  const cells = foldPlays(table, defaultLabelRule);
  const set = buildPairwiseSet(cells, { positivesOnly: false, cellCap: 10 });
  // Users absent from training have no row to score from; implicit would rank for them from an untrained
  // vector. split-pos4 has none, so they are simply skipped.
  const unseen = new Map<string, number>();
  const heldOut = new Map<number, Set<number>>();
  for (const [u, i] of test) {
    const uu = uIx.get(u);
    if (uu === undefined) continue;
    let ii = iIx.get(i);
    if (ii === undefined) {
      ii = unseen.get(i) ?? iIx.size + unseen.size;
      unseen.set(i, ii);
    }
    const s = heldOut.get(uu) ?? new Set<number>();
    s.add(ii);
    heldOut.set(uu, s);
  }
  return { set, cells, heldOut };
}

export function loadSplit(dataDir = defaultDataDir, validation = false): QualitySplit {
  const train = readPairs(join(dataDir, "train.csv"));
  if (validation) {
    const [fit, held] = randomSplit(train, 0.2, 1);
    return prepareSplit(fit, held);
  }
  return prepareSplit(train, readPairs(join(dataDir, "test.csv")));
}

export function evaluateModel(model: FactorModel, split: QualitySplit, k = 10): QualityFigures {
  const { cells, heldOut } = split;
  const scores = new Float32Array(model.nItems);
  const own = new Uint8Array(model.nItems);
  let ndcg = 0;
  let hits = 0;
  let denom = 0;
  let n = 0;
  for (const [u, relevant] of heldOut) {
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) own[cells.items[c]] = 1;
    scoreAllItems(model, userVector(model, u), scores);
    const top = topK(scores, k, (i) => own[i] === 1);
    ndcg += ndcgAtK(top, relevant, k);
    hits += hitsAtK(top, relevant, k);
    denom += Math.min(k, relevant.size);
    n++;
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) own[cells.items[c]] = 0;
  }
  return { "ndcg@10": n ? ndcg / n : 0, "precision@10": denom ? hits / denom : 0 };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export interface QualityOptions {
  dataDir?: string;
  losses?: string[];
  seeds?: number[];
  /** Score on a validation share of train.csv instead of test.csv. */
  validation?: boolean;
  trainers?: Record<string, QualityTrainer>;
}

export interface QualityResult extends QualityFigures {
  /** Per seed, in the order of `seeds`. */
  runs: QualityFigures[];
  seconds: number;
}

/**
 * `{ [loss]: { "ndcg@10", "precision@10", runs, seconds } }`, each metric the median over seeds (the two
 * medians may come from different seeds), seconds the median training time.
 */
export function qualityBench(options: QualityOptions = {}): Record<string, QualityResult> {
  const trainers = options.trainers ?? qualityTrainers;
  const losses = options.losses ?? Object.keys(trainers);
  const seeds = options.seeds ?? [0, 1, 2];
  const split = loadSplit(options.dataDir, options.validation);
  const out: Record<string, QualityResult> = {};
  for (const loss of losses) {
    const train = trainers[loss];
    if (!train) throw new Error(`unknown loss "${loss}" (known: ${Object.keys(trainers).join(", ")})`);
    const runs: QualityFigures[] = [];
    const seconds: number[] = [];
    for (const seed of seeds) {
      const t0 = performance.now();
      const model = train(split.set, seed);
      seconds.push((performance.now() - t0) / 1000);
      const f = evaluateModel(model, split);
      runs.push({ "ndcg@10": round4(f["ndcg@10"]), "precision@10": round4(f["precision@10"]) });
    }
    out[loss] = {
      "ndcg@10": median(runs.map((r) => r["ndcg@10"])),
      "precision@10": median(runs.map((r) => r["precision@10"])),
      runs,
      seconds: Math.round(median(seconds) * 100) / 100,
    };
  }
  return out;
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const losses = flag(args, "--loss")?.split(",");
  const seeds = flag(args, "--seeds")?.split(",").map(Number);
  const validation = args.includes("--validation");
  const result = {
    bench: "quality",
    data: `movielens-100k split-pos4${validation ? " (validation share of train)" : ""}`,
    seeds: seeds ?? [0, 1, 2],
    ...qualityBench({ dataDir: flag(args, "--data"), losses, seeds, validation }),
  };
  console.log(args.includes("--json") ? JSON.stringify(result) : JSON.stringify(result, null, 2));
}
