/**
 * Benchmarks print one JSON object and append it, with the commit id, to bench/out/results.jsonl (git-ignored).
 *   npm run bench                 # all of the below
 *   npm run bench                 # (all) includes ingest events/s of ~1M simulated plays into a fresh store
 *   npm run bench -- ingest       # a 2M-row Spotify CSV: tastebud ingest vs DuckDB's own read_csv, in one run
 *                                 # (--rows N for a quicker run; bench/ingest.ts), then the training scan
 *   npm run bench -- ingest-rss   # peak RSS, wall and CPU of tastebud ingest of a 20M-row Spotify CSV and again
 *                                 # (--rows N, --memory-limit, --baseline <checkout>; bench/ingest-rss.ts)
 *   npm run bench -- scan         # the training scan of that store alone vs the scan before schema 8 (--rows N)
 *   npm run bench -- scan-read    # ways of reading the scan's columns out of DuckDB on that store (--rows N)
 *   npm run bench -- http-ingest  # POST /v1/events, 10k-event batches from 4 connections: events/s accepted,
 *                                 # beside the store's own append of the same events (bench/http-ingest.ts)
 *   npm run bench -- train        # BPR samples/s (reference, wasm, threads), memory on synth-2m, quality
 *                                 # (issue 4's anchors; flags in bench/train.ts)
 *   npm run bench -- serve        # HTTP recommendations and resolve on a 100k-item model (autocannon)
 *   npm run bench -- resolve-decision  # what resolve's play-or-ask adds per request, in process
 *   npm run bench -- home         # home page of 12 shelves from 1,000 candidates, in process (p50/p99 ms)
 *   npm run bench -- quality      # NDCG@10 / recall@10 of the served top-N model vs EASE, item-kNN, WARP, BPR,
 *                                 # popularity on five data sets (bench/quality-datasets.ts; --only a,b)
 *   npm run bench -- topn-skips   # top-N validation NDCG@10 with skips ignored vs counted as positives (--only)
 *   npm run bench -- train-under-load  # reads and writes at 4 connections against `tastebud serve` while
 *                                 # it trains on ~1M plays (--plays N for a quicker run; flags in its file)
 *   npm run bench -- playlists    # playlist, Blend and similar answers on a 100k-item model, in process (p50/p99 ms)
 *   npm run bench -- privacy      # privacy mode: table load, perturbation latency, trade-off per ε (bench/privacy.ts)
 *                                 # (--latency-only: skip the trade-off)
 *   npm run bench -- kernels      # CSV rows/s, catalogue index build and query on 100k items, Kendall tau-b on 1M
 *   npm run bench -- memory       # RSS and heap of a served model over unknown users, history look-ups and
 *                                 # fold-in writes over loopback, vs app.inject (--unknown N --lookups N
 *                                 # --writes N --max-folded-in N; bench/memory.ts)
 *   npm run bench -- directed     # "what follows" model on a 1M-edge graph: s/epoch, train --graph estimate,
 *                                 # next p50/p99 in process (--edges N --epochs N --queries N; bench/directed.ts)
 *   npm run bench -- directed-curve  # full-batch BLADE's validation HitRate@10/MRR/AUC and loss every few epochs
 *                                 # on a simulated follow graph (--edges --epochs --every --lr --negative-block)
 *   npm run bench -- directed-minibatch  # BLADE in mini-batches on a 1M-edge graph within a budget (2 min):
 *                                 # validation HitRate@10/MRR per pass, wall and CPU (bench/directed-minibatch.ts)
 *   npm run bench -- directed-cora  # Cora through the directed evaluation, one seed per run (--seed N --models
 *                                 # a,b --source-bias --bias-init log-degree; --graph spotify: the Spotify
 *                                 # plays-next graph, --hold-out sessions to hold out whole sessions;
 *                                 # bench/directed-cora.ts)
 *   npm run bench -- next-play    # next played item: directed model vs transition counts, symmetric factors,
 *                                 # co-occurrence, popularity on Spotify and the simulated world, per seed
 *                                 # (--seeds N --only spotify,sim --max-epochs N --models a,b; bench/next-play.ts)
 *   npm run bench -- follow-ups   # voice follow-ups ("play the next one", "again", "like this") answered from
 *                                 # the previous play; "next" by each model, per seed (--seeds N --max-epochs N)
 *   npm run bench -- playlist-order  # test sessions' items re-ordered by the directed model vs transition counts,
 *                                 # symmetric factors, popularity, the shuffled order (--seeds N --max-epochs N)
 *   npm run bench -- cluster      # events/s into PostgreSQL (COPY, multi-row INSERT, the bulk path) vs DuckDB
 *                                 # through the CLI's ingest path, in one run (--plays N; bench/cluster.ts; only
 *                                 # this with --ingest-only); then two replicas on
 *                                 # PostgreSQL + NATS against a DuckDB server: req/s, swap p99, bus apply
 *                                 # latency, restart catch-up (bench/cluster-replicas.ts; --replicas-only)
 *   npm run bench -- register-model  # registering a model version of --mb N MB on PostgreSQL: wall, CPU and the
 *                                 # calling thread's longest stall (bench/register-model.ts)
 *   npm run bench -- hostile      # p50/p99 of well-formed requests alone and while the fault suite's hostile
 *                                 # HTTP corpus is sent to the same server; slowest hostile answer (--seconds N)
 *   npm run bench -- foldin       # fold-in latency (p50/p99 ms) and Spearman of folded-in vs retrained
 *                                 # affinities per newcomer, against the popularity prior (three seeds)
 * Figures are medians over runs; compare ratios measured in one run, not across machines.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultBprKernel, trainBpr } from "../src/core/affinity/bpr.js";
import { foldPlays } from "../src/core/affinity/cells.js";
import { buildPairwiseSet, pairwiseBytesPerInteraction } from "../src/core/affinity/pairwise-set.js";
import { defaultLabelRule } from "../src/core/affinity/weighting.js";
import type { DirectedModelName, NextPlayModelName } from "../src/core/directed/index.js";
import { simulateWorld } from "../src/core/simulate/world.js";
import { ingestIntoStore } from "../src/pipeline/ingest.js";
import { playTableFromColumns } from "../src/pipeline/train.js";
import { DuckDbEventStore } from "../src/store/duckdb/duckdb-store.js";
import { clusterBench } from "./cluster.js";
import { clusterReplicasBench } from "./cluster-replicas.js";
import { directedBench } from "./directed.js";
import { directedCoraBench } from "./directed-cora.js";
import { directedCurveBench } from "./directed-curve.js";
import { directedMiniBatchBench } from "./directed-minibatch.js";
import { foldInBench } from "./foldin.js";
import { followUpsBench } from "./follow-ups.js";
import { homeBench } from "./home.js";
import { hostileBench } from "./hostile.js";
import { httpIngestBench } from "./http-ingest.js";
import { ingestBench, scanBench, scanReadBench } from "./ingest.js";
import { ingestFormatsBench } from "./ingest-formats.js";
import { ingestRssBench } from "./ingest-rss.js";
import { kernelsBench } from "./kernels.js";
import { memoryBench } from "./memory.js";
import { nextPlayBench } from "./next-play.js";
import { playlistOrderBench } from "./playlist-order.js";
import { playlistsBench } from "./playlists.js";
import { privacyBench } from "./privacy.js";
import { qualityAcrossDataSets, qualityTable, skipsOnValidation } from "./quality-datasets.js";
import { appendResult, commit, median } from "./record.js";
import { registerModelBench } from "./register-model.js";
import { resolveDecisionBench } from "./resolve-decision.js";
import { serveBench } from "./serve.js";
import { trainBench } from "./train.js";
import { trainUnderLoadBench } from "./train-under-load.js";

/** Flags that take a value (the value is not a benchmark name). */
const valued = [
  "--data",
  "--runs",
  "--threads",
  "--plays",
  "--idle-seconds",
  "--epochs",
  "--table",
  "--only",
  "--edges",
  "--queries",
  "--kernels",
  "--every",
  "--lr",
  "--negative-block",
  "--seed",
  "--bias-init",
  "--models",
  "--seeds",
  "--max-epochs",
  "--unknown",
  "--lookups",
  "--writes",
  "--max-folded-in",
  "--rows",
  "--batches",
  "--batch-size",
  "--seconds",
  "--mb",
  "--budget",
  "--check-every",
  "--clock",
  "--hops",
  "--l2",
  "--patience",
  "--refreshes",
  "--graph",
  "--dim",
  "--free-start",
  "--max-validation-edges",
  "--memory-limit",
  "--baseline",
  "--rounds",
  "--jsonl-rows",
];
const which = process.argv
  .slice(2)
  .filter((a, k, all) => !a.startsWith("--") && !valued.includes(all[k - 1]));
const wants = (name: string) => which.length === 0 || which.includes(name);
const log = (text: string) => process.stderr.write(`${text}\n`);

const args = process.argv.slice(2);
/** The value after a flag, or undefined when the flag is absent. */
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const numberFlag = (name: string) => (flag(name) === undefined ? undefined : Number(flag(name)));

/** One benchmark's result with the commit, time and Node version: appended to bench/out/results.jsonl and printed. */
function report(bench: string, figures: object, text?: (result: Record<string, unknown>) => string) {
  const result = { bench, commit: commit(), at: new Date().toISOString(), node: process.version, ...figures };
  appendResult(result);
  console.log(text ? text(result) : JSON.stringify(result, null, 2));
}

async function main() {
  const only = flag("--only")?.split(",");
  if (which.includes("quality")) {
    const { rows, skipped } = await qualityAcrossDataSets(only);
    report("quality", { rows, skipped }, (result) =>
      args.includes("--json")
        ? JSON.stringify(result)
        : `${qualityTable(rows)}\n${skipped.length ? `skipped: ${skipped.join(", ")}` : ""}`,
    );
    if (which.length === 1) return;
  }
  if (which.includes("topn-skips")) {
    report("topn-skips", { rows: await skipsOnValidation(only) });
    if (which.length === 1) return;
  }
  if (which.includes("train")) {
    const data =
      flag("--data") ?? new URL("../../shared/data/synth-2m/interactions.csv.gz", import.meta.url).pathname;
    const figures = await trainBench(data, {
      runs: numberFlag("--runs"),
      threads: numberFlag("--threads"),
      quality: !args.includes("--no-quality"),
      als: !args.includes("--no-als"),
    });
    report("train", figures, args.includes("--json") ? (result) => JSON.stringify(result) : undefined);
    return;
  }
  if (which.includes("train-under-load")) {
    const figures = await trainUnderLoadBench({
      plays: numberFlag("--plays"),
      idleSeconds: numberFlag("--idle-seconds"),
      epochs: numberFlag("--epochs"),
      threads: numberFlag("--threads"),
      topN: args.includes("--topn"),
    });
    report("train-under-load", figures);
    return;
  }
  // The rest can run one after another in one command (npm run bench -- home serve).
  const inTurn: Array<[string, () => object | Promise<object>]> = [
    ["ingest", () => ingestBench({ rows: numberFlag("--rows"), log })],
    ["scan", () => scanBench({ rows: numberFlag("--rows"), log })],
    ["scan-read", () => scanReadBench({ rows: numberFlag("--rows"), log })],
    ["ingest-formats", () => ingestFormatsBench({ rows: numberFlag("--rows"), log })],
    [
      "ingest-rss",
      () =>
        ingestRssBench({
          rows: numberFlag("--rows"),
          memoryLimit: flag("--memory-limit"),
          baseline: flag("--baseline"),
          rounds: numberFlag("--rounds"),
          jsonlRows: numberFlag("--jsonl-rows"),
          log,
        }),
    ],
    [
      "http-ingest",
      () => httpIngestBench({ batches: numberFlag("--batches"), batchSize: numberFlag("--batch-size") }),
    ],
    ["resolve-decision", () => resolveDecisionBench()],
    ["playlists", () => playlistsBench()],
    [
      "privacy",
      () =>
        privacyBench({
          table: flag("--table"),
          latencyOnly: args.includes("--latency-only"),
          compareHnsw: args.includes("--compare-hnsw"),
        }),
    ],
    ["foldin", () => foldInBench(log)],
    ["kernels", () => kernelsBench()],
    [
      "directed",
      () =>
        directedBench({
          edges: numberFlag("--edges"),
          epochs: numberFlag("--epochs"),
          queries: numberFlag("--queries"),
          kernels: flag("--kernels")?.split(",") as Array<"reference" | "fused" | "fused-shared"> | undefined,
        }),
    ],
    [
      "directed-curve",
      () =>
        directedCurveBench({
          edges: numberFlag("--edges"),
          epochs: numberFlag("--epochs"),
          every: numberFlag("--every"),
          learningRates: flag("--lr")?.split(",").map(Number),
          negativeBlock: numberFlag("--negative-block"),
          batchSize: numberFlag("--batch-size"),
          refreshesPerPass: numberFlag("--refreshes"),
          hops: numberFlag("--hops") as 0 | 1 | undefined,
        }),
    ],
    [
      "directed-minibatch",
      () =>
        directedMiniBatchBench({
          edges: numberFlag("--edges"),
          budget: numberFlag("--budget"),
          clock: flag("--clock") as "wall" | "cpu" | undefined,
          batchSize: numberFlag("--batch-size"),
          hops: numberFlag("--hops") as 0 | 1 | undefined,
          refreshesPerPass: numberFlag("--refreshes"),
          learningRate: numberFlag("--lr"),
          l2: numberFlag("--l2"),
          queries: numberFlag("--queries"),
          biasInit: flag("--bias-init") as "zero" | "log-degree" | undefined,
          dim: numberFlag("--dim"),
          freeStart: flag("--free-start") as "random" | "zero" | undefined,
          noBias: args.includes("--no-bias"),
        }),
    ],
    [
      "directed-cora",
      () =>
        directedCoraBench({
          graph: flag("--graph") as "cora" | "spotify" | undefined,
          holdOut: flag("--hold-out") as "edges" | "sessions" | undefined,
          seed: numberFlag("--seed"),
          models: flag("--models")?.split(",") as DirectedModelName[] | undefined,
          sourceBias: args.includes("--source-bias"),
          biasInit: flag("--bias-init") as "zero" | "log-degree" | undefined,
          batchSize: numberFlag("--batch-size"),
          hops: numberFlag("--hops") as 0 | 1 | undefined,
          refreshesPerPass: numberFlag("--refreshes"),
          learningRate: numberFlag("--lr"),
          maxEpochs: numberFlag("--max-epochs"),
          checkEvery: numberFlag("--check-every"),
          patience: numberFlag("--patience"),
          dim: numberFlag("--dim"),
          freeStart: flag("--free-start") as "random" | "zero" | undefined,
          noBias: args.includes("--no-bias"),
          l2Values: flag("--l2")?.split(",").map(Number),
          maxValidationEdges: numberFlag("--max-validation-edges"),
        }),
    ],
    [
      "next-play",
      () =>
        nextPlayBench({
          seeds: numberFlag("--seeds"),
          only: flag("--only")?.split(","),
          maxEpochs: numberFlag("--max-epochs"),
          models: flag("--models")?.split(",") as NextPlayModelName[] | undefined,
          batchSize: numberFlag("--batch-size"),
          refreshesPerPass: numberFlag("--refreshes"),
          learningRate: numberFlag("--lr"),
        }),
    ],
    [
      "follow-ups",
      () => followUpsBench({ seeds: numberFlag("--seeds"), maxEpochs: numberFlag("--max-epochs") }),
    ],
    [
      "playlist-order",
      () => playlistOrderBench({ seeds: numberFlag("--seeds"), maxEpochs: numberFlag("--max-epochs") }),
    ],
    [
      "memory",
      () =>
        memoryBench({
          unknown: numberFlag("--unknown"),
          lookups: numberFlag("--lookups"),
          writes: numberFlag("--writes"),
          maxFoldedInUsers: numberFlag("--max-folded-in"),
        }),
    ],
    ["home", () => homeBench()],
    [
      "cluster",
      async () => ({
        ...(process.argv.includes("--replicas-only")
          ? {}
          : await clusterBench({ plays: numberFlag("--plays") }, log)),
        ...(process.argv.includes("--ingest-only") ? {} : { replicas: await clusterReplicasBench(log) }),
      }),
    ],
    ["serve", () => serveBench()],
    ["hostile", () => hostileBench({ seconds: numberFlag("--seconds") })],
    ["register-model", () => registerModelBench({ mb: numberFlag("--mb") })],
  ];
  for (const [name, run] of inTurn) {
    if (!which.includes(name)) continue;
    report(name, await run());
    if (which.length === 1) return;
  }
  const dir = mkdtempSync(join(tmpdir(), "tastebud-bench-"));
  const result: Record<string, unknown> = {
    bench: "foundation",
    commit: commit(),
    at: new Date().toISOString(),
    node: process.version,
  };
  try {
    log("simulating ~1M plays ...");
    const t0 = performance.now();
    const world = simulateWorld({ users: 3000, items: 10_000, days: 60, seed: 7 });
    result.simulate = { events: world.events.length, seconds: (performance.now() - t0) / 1000 };
    const eventsPath = join(dir, "events.jsonl");
    writeFileSync(eventsPath, `${world.events.map((e) => JSON.stringify(e)).join("\n")}\n`);
    const storePath = join(dir, "bench.duckdb");
    const store = await DuckDbEventStore.open(storePath);
    try {
      if (wants("ingest")) {
        log(`ingesting ${world.events.length} plays ...`);
        const t1 = performance.now();
        const summary = await ingestIntoStore(store, [eventsPath], {
          rejectsPath: join(dir, "rejects.jsonl"),
        });
        const seconds = (performance.now() - t1) / 1000;
        const t2 = performance.now();
        const again = await ingestIntoStore(store, [eventsPath], { rejectsPath: join(dir, "rejects.jsonl") });
        const againSeconds = (performance.now() - t2) / 1000;
        result.ingest = {
          events: summary.accepted,
          seconds,
          eventsPerSec: Math.round(summary.accepted / seconds),
          reingestDuplicates: again.duplicates,
          reingestEventsPerSec: Math.round(again.duplicates / againSeconds),
        };
      }
      if (wants("ingest")) {
        const t3 = performance.now();
        const columns = await store.scanPlays();
        const scanSeconds = (performance.now() - t3) / 1000;
        const plays = playTableFromColumns(columns);
        const t4 = performance.now();
        const set = buildPairwiseSet(foldPlays(plays, defaultLabelRule));
        const buildSeconds = (performance.now() - t4) / 1000;
        const runs: number[] = [];
        for (let run = 0; run < 3; run++) {
          const t = performance.now();
          trainBpr(set, { factors: 50, epochs: 1, seed: run });
          runs.push(set.items.length / ((performance.now() - t) / 1000));
          log(`train run ${run + 1}: ${Math.round(runs[run])} samples/s`);
        }
        result.train = {
          cells: set.items.length,
          factors: 50,
          kernel: defaultBprKernel(set, 50),
          scanSeconds,
          datasetBuildSeconds: buildSeconds,
          samplesPerSec: Math.round(median(runs)),
          bytesPerInteraction: Math.round(pairwiseBytesPerInteraction(set) * 100) / 100,
          peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
        };
      }
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  appendResult(result);
  console.log(JSON.stringify(result, null, 2));
}

await main();
