/**
 * Serving-time top-N benchmark: exact scan vs. plain-JS baselines vs. the usearch HNSW index.
 *   npx tsx bench/serve-topn.ts [--quick]
 * Model: seeded random 100k items × 50 factors with clustered structure (randomFactorModel, 100 clusters),
 * queries are users' factor vectors. Prints one JSON object; times are medians in µs per query. Compare
 * ratios within one run, not across machines.
 */
import { scoreAllItems, userVector } from "../src/core/affinity/factor-model.js";
import { topK } from "../src/core/metrics/ranking.js";
import { ApproximateIndex } from "../src/core/topn/ann.js";
import { exactTopN } from "../src/core/topn/exact.js";
import { randomFactorModel } from "../src/core/topn/synthetic.js";

const quick = process.argv.includes("--quick");
const N_ITEMS = 100_000;
const FACTORS = 50;
const N_QUERIES = quick ? 200 : 2000;
const N_SLOW_QUERIES = quick ? 20 : 200; // the naive baseline takes ~0.1 s a query
const TOP = 10;
const log = (text: string) => process.stderr.write(`${text}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const round = (x: number, digits = 0) => Number(x.toFixed(digits));

/** Median µs per query of f over the first `count` users, after a short warm-up. */
function timeQueries(count: number, f: (u: number) => unknown): number {
  for (let u = 0; u < Math.min(20, count); u++) f(N_QUERIES + u);
  const times: number[] = [];
  for (let u = 0; u < count; u++) {
    const t0 = performance.now();
    f(u);
    times.push(performance.now() - t0);
  }
  return round(median(times) * 1000);
}

/** Recall of approximate[q] against exact[q] over queries 0 .. count-1. */
function recallAt(exact: Int32Array[], approximate: Int32Array[], count: number): number {
  let hits = 0;
  let wanted = 0;
  for (let q = 0; q < count; q++) {
    const got = new Set(approximate[q]);
    for (const item of exact[q]) if (got.has(item)) hits++;
    wanted += exact[q].length;
  }
  return round(hits / wanted, 4);
}

function main() {
  const model = randomFactorModel(N_QUERIES + 100, N_ITEMS, FACTORS, 2025, { clusters: 100 });
  const query = (u: number) => userVector(model, u);
  log(`model: ${N_ITEMS} items × ${FACTORS} factors; ${N_QUERIES} queries`);

  const exactResults: Int32Array[] = [];
  const exactUs = timeQueries(N_QUERIES, (u) => {
    exactResults[u] = exactTopN(model, query(u), TOP).items;
  });
  log(`exact: ${exactUs} µs`);

  // The library's older building blocks: score every item into a Float32Array, then heap-select.
  const scoreAllUs = timeQueries(N_SLOW_QUERIES, (u) => topK(scoreAllItems(model, query(u)), TOP));
  log(`scoreAllItems + topK: ${scoreAllUs} µs`);

  // What a plain JS implementation does: an object per item, a generic score call per item, full sort.
  const score = (q: Float32Array, i: number): number => {
    let s = model.itemBias[i];
    for (let f = 0; f < FACTORS; f++) s += q[f] * model.itemFactors[i * FACTORS + f];
    return s;
  };
  const naiveUs = timeQueries(N_SLOW_QUERIES, (u) => {
    const q = query(u);
    const all: { item: number; score: number }[] = [];
    for (let i = 0; i < N_ITEMS; i++) all.push({ item: i, score: score(q, i) });
    all.sort((a, b) => b.score - a.score);
    return all.slice(0, TOP);
  });
  log(`naive objects + sort: ${naiveUs} µs`);

  const index = ApproximateIndex.build(model);
  log(`ann build: ${index.buildSeconds.toFixed(2)} s`);
  const annResults: Int32Array[] = [];
  const annUs = timeQueries(N_QUERIES, (u) => {
    annResults[u] = index.search(query(u), TOP).items;
  });
  const annRecall = recallAt(exactResults, annResults, N_QUERIES);
  log(`ann: ${annUs} µs, recall@${TOP} ${annRecall}`);

  // Serving "not already played": exclude 50 of the user's 200 best items (a set), so over-fetching matters.
  const playedSets = new Map<number, Set<number>>();
  for (const u of [...Array(N_SLOW_QUERIES).keys(), ...Array.from({ length: 20 }, (_, j) => N_QUERIES + j)]) {
    const top = exactTopN(model, query(u), 200).items;
    playedSets.set(u, new Set(Array.from({ length: 50 }, (_, j) => top[j * 4])));
  }
  const playedOf = (u: number) => playedSets.get(u)!;
  const exactExcl: Int32Array[] = [];
  const annExcl: Int32Array[] = [];
  const exactExcludingUs = timeQueries(N_SLOW_QUERIES, (u) => {
    exactExcl[u] = exactTopN(model, query(u), TOP, { exclude: playedOf(u) }).items;
  });
  const annExcludingUs = timeQueries(N_SLOW_QUERIES, (u) => {
    annExcl[u] = index.search(query(u), TOP, playedOf(u)).items;
  });
  log(`excluding 50 played: exact ${exactExcludingUs} µs, ann ${annExcludingUs} µs`);

  const equalised = ApproximateIndex.build(model, { equalizeNorms: true });
  const eqResults = Array.from({ length: N_SLOW_QUERIES }, (_, u) => equalised.search(query(u), TOP).items);

  const result = {
    bench: "serve-topn",
    at: new Date().toISOString(),
    node: process.version,
    model: { items: N_ITEMS, factors: FACTORS, clusters: 100, seed: 2025 },
    queries: N_QUERIES,
    slowQueries: N_SLOW_QUERIES,
    n: TOP,
    exactTopNUs: exactUs,
    scoreAllItemsTopKUs: scoreAllUs,
    naiveObjectsSortUs: naiveUs,
    naiveOverExact: round(naiveUs / exactUs, 1),
    ann: {
      ...index.options,
      buildSeconds: round(index.buildSeconds, 2),
      queryUs: annUs,
      recallAt10: annRecall,
      exactOverAnn: round(exactUs / annUs, 1),
    },
    excluding50Played: {
      exactUs: exactExcludingUs,
      annUs: annExcludingUs,
      annRecallAt10: recallAt(exactExcl, annExcl, N_SLOW_QUERIES),
    },
    annEqualisedNorms: {
      buildSeconds: round(equalised.buildSeconds, 2),
      recallAt10: recallAt(exactResults, eqResults, N_SLOW_QUERIES),
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
