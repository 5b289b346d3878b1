/**
 * Top-10 quality on MovieLens 100K split-pos4 (../shared/data/movielens-100k/split-pos4), with the metric
 * definitions of shared/docs/performance.md (implicit's ranking_metrics_at_k): per user with held-out
 * items, training items excluded; precision@10 = Σ hits / Σ min(10, held-out) over users (implicit's
 * pooled form); NDCG@10 with IDCG over min(10, held-out), averaged over users.
 *   npx tsx bench/quality.ts [--data DIR] [--json]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { trainBpr } from "../src/core/affinity/bpr.js";
import { foldPlays, playTableFromRows } from "../src/core/affinity/cells.js";
import { type FactorModel, scoreAllItems, userVector } from "../src/core/affinity/factor-model.js";
import { buildPairwiseSet } from "../src/core/affinity/pairwise-set.js";
import { trainWarp } from "../src/core/affinity/warp.js";
import { defaultLabelRule } from "../src/core/affinity/weighting.js";
import { hitsAtK, ndcgAtK, topK } from "../src/core/metrics/index.js";

const args = process.argv.slice(2);
const dataDir = args.includes("--data")
  ? args[args.indexOf("--data") + 1]
  : new URL("../../shared/data/movielens-100k/split-pos4", import.meta.url).pathname;

function readPairs(path: string): Array<[string, string, number]> {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(","))
    .map(([u, i, w]) => [u, i, Number(w)]);
}

const train = readPairs(join(dataDir, "train.csv"));
const test = readPairs(join(dataDir, "test.csv"));
const users = [...new Set(train.map((r) => r[0]))];
const items = [...new Set(train.map((r) => r[1]))];
const uIx = new Map(users.map((u, k) => [u, k]));
const iIx = new Map(items.map((i, k) => [i, k]));
const table = playTableFromRows(
  train.map(([u, i, w]) => [uIx.get(u)!, iIx.get(i)!, 0, w] as const),
  users.length,
  items.length,
);
const cells = foldPlays(table, defaultLabelRule);
const set = buildPairwiseSet(cells, { positivesOnly: false, cellCap: 10 });
const heldOut = new Map<number, Set<number>>();
for (const [u, i] of test) {
  const uu = uIx.get(u);
  const ii = iIx.get(i);
  if (uu === undefined || ii === undefined) continue;
  const s = heldOut.get(uu) ?? new Set<number>();
  s.add(ii);
  heldOut.set(uu, s);
}

function evaluate(model: FactorModel) {
  const scores = new Float32Array(items.length);
  const own = new Uint8Array(items.length);
  let ndcg = 0;
  let hits = 0;
  let denom = 0;
  let n = 0;
  for (const [u, relevant] of heldOut) {
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) own[cells.items[c]] = 1;
    scoreAllItems(model, userVector(model, u), scores);
    const top = topK(scores, 10, (i) => own[i] === 1);
    ndcg += ndcgAtK(top, relevant, 10);
    hits += hitsAtK(top, relevant, 10);
    denom += Math.min(10, relevant.size);
    n++;
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) own[cells.items[c]] = 0;
  }
  return {
    "ndcg@10": Math.round((ndcg / n) * 1e4) / 1e4,
    "precision@10": Math.round((hits / denom) * 1e4) / 1e4,
    users: n,
  };
}

const results: Record<string, unknown> = {};
for (const seed of [0]) {
  const t0 = performance.now();
  results.bpr = {
    ...evaluate(trainBpr(set, { factors: 50, epochs: 100, seed })),
    seconds: (performance.now() - t0) / 1000,
  };
  const t1 = performance.now();
  results.warp = {
    ...evaluate(trainWarp(set, { factors: 50, epochs: 20, seed })),
    seconds: (performance.now() - t1) / 1000,
  };
}
console.log(JSON.stringify({ bench: "quality", data: "movielens-100k split-pos4", ...results }, null, 2));
