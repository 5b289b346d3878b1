/**
 * Training speed and memory on ../shared/data/synth-2m (shared/docs/performance.md): one BPR epoch = as
 * many samples as interactions, 50 factors.
 *   npm run bench -- train [--data path/to/interactions.csv.gz] [--runs 3] [--threads N] [--no-quality]
 *                          [--no-als] [--json]
 * Each run trains 2 epochs with each of: the plain TypeScript loop on one thread (`reference1`), the wasm
 * SIMD kernel on one thread (`1`) and Hogwild workers on every core (`all`, or --threads), interleaved so
 * that the machine's load hits all alike. An epoch's time is the second epoch's (the first includes
 * initialisation, copying into wasm memory and starting workers: firstEpochSeconds); figures are medians
 * over runs. Speeds are also given as ratios to the reference in the same run: implicit's 1.67 M
 * samples/s was 1.57x such a loop on the anchor machine.
 * WRMF (ALS, CG): seconds per iteration on 1 and on the `all` threads (als).
 * Quality: NDCG@10 / precision@10 per loss on MovieLens split-pos4 (bench/quality.ts), median of 3 seeds,
 * and BPR's on the `all` threads (threadedQuality).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { gunzipSync } from "node:zlib";
import { type BprOptions, trainBpr } from "../src/core/affinity/bpr.js";
import { foldPlays } from "../src/core/affinity/cells.js";
import type { FactorModel } from "../src/core/affinity/factor-model.js";
import { bprLayout } from "../src/core/affinity/kernel/bpr-wasm.js";
import {
  buildPairwiseSet,
  type PairwiseSet,
  pairwiseBytesPerInteraction,
} from "../src/core/affinity/pairwise-set.js";
import { defaultLabelRule } from "../src/core/affinity/weighting.js";
import { trainBprThreaded } from "../src/pipeline/threads/bpr-threads.js";
import { trainWrmfThreaded } from "../src/pipeline/threads/wrmf-threads.js";
import { evaluateModel, loadSplit, type QualityFigures, qualityBench } from "./quality.js";
import { median } from "./record.js";

/** A user,item,weight CSV (header first, optionally gzipped) parsed from its bytes: no line strings. */
export function loadInteractions(path: string) {
  const raw = readFileSync(path);
  const buf = path.endsWith(".gz") ? gunzipSync(raw) : raw;
  let lines = 0;
  for (let k = 0; k < buf.length; k++) if (buf[k] === 10) lines++;
  const userIndex = new Int32Array(lines + 1);
  const itemIndex = new Int32Array(lines + 1);
  const weight = new Float64Array(lines + 1);
  let rows = 0;
  let nUsers = 0;
  let nItems = 0;
  let at = buf.indexOf(10) + 1;
  while (at > 0 && at < buf.length) {
    let end = buf.indexOf(10, at);
    if (end < 0) end = buf.length;
    const a = buf.indexOf(44, at);
    const b = buf.indexOf(44, a + 1);
    if (a > at && a < end && b > a && b < end) {
      const u = parseNumber(buf, at, a);
      const i = parseNumber(buf, a + 1, b);
      userIndex[rows] = u;
      itemIndex[rows] = i;
      weight[rows] = parseNumber(buf, b + 1, buf[end - 1] === 13 ? end - 1 : end);
      if (u >= nUsers) nUsers = u + 1;
      if (i >= nItems) nItems = i + 1;
      rows++;
    }
    at = end + 1;
  }
  return {
    nUsers,
    nItems,
    userIndex: userIndex.subarray(0, rows),
    itemIndex: itemIndex.subarray(0, rows),
    playedMs: new Float64Array(rows),
    itemLengthMs: new Float64Array(rows),
    weight: weight.subarray(0, rows),
  };
}

/** Digits directly; anything else (decimals, exponents) through Number. */
function parseNumber(buf: Buffer, start: number, end: number): number {
  let v = 0;
  for (let k = start; k < end; k++) {
    const digit = buf[k] - 48;
    if (digit < 0 || digit > 9) return Number(buf.toString("latin1", start, end));
    v = v * 10 + digit;
  }
  return v;
}

export interface TrainBenchOptions {
  runs: number;
  /** Threads of the `all` figure. */
  threads: number;
  quality: boolean;
  /** Also time WRMF (ALS, conjugate gradient) iterations on 1 and `threads` threads. */
  als: boolean;
}

export const defaultTrainBenchOptions: TrainBenchOptions = {
  runs: 3,
  threads: availableParallelism(),
  quality: true,
  als: true,
};

type Trainer = (options: Partial<BprOptions>) => FactorModel | Promise<FactorModel>;

export async function trainBench(dataPath: string, options: Partial<TrainBenchOptions> = {}) {
  const d = defaultTrainBenchOptions;
  const o = {
    runs: options.runs ?? d.runs,
    threads: options.threads ?? d.threads,
    quality: options.quality ?? d.quality,
    als: options.als ?? d.als,
  };
  const log = (text: string) => process.stderr.write(`${text}\n`);
  const t0 = performance.now();
  const plays = loadInteractions(dataPath);
  const loadSeconds = (performance.now() - t0) / 1000;
  const set = buildPairwiseSet(foldPlays(plays, defaultLabelRule));
  const n = set.items.length;
  const factors = 50;
  const trainers: Record<"reference1" | "1" | "all", Trainer> = {
    reference1: (b) => trainBpr(set, { ...b, kernel: "reference" }),
    "1": (b) => trainBpr(set, { ...b, kernel: "wasm" }),
    all: (b) => trainBprThreaded(set, { ...b, kernel: "wasm", threads: o.threads }),
  };
  const names = Object.keys(trainers) as Array<keyof typeof trainers>;
  const epochSeconds = Object.fromEntries(names.map((k) => [k, [] as number[]]));
  const firstEpochSeconds = Object.fromEntries(names.map((k) => [k, [] as number[]]));
  const cpuSeconds = Object.fromEntries(names.map((k) => [k, [] as number[]]));
  for (let run = 0; run < o.runs; run++) {
    for (const name of names) {
      const marks: number[] = [];
      const cpu: number[] = [];
      const start = performance.now();
      await trainers[name]({
        factors,
        epochs: 2,
        seed: run,
        onEpoch: () => {
          marks.push(performance.now());
          const c = process.cpuUsage();
          cpu.push((c.user + c.system) / 1e6);
          return undefined;
        },
      });
      const epoch = (marks[1] - marks[0]) / 1000;
      epochSeconds[name].push(epoch);
      firstEpochSeconds[name].push((marks[0] - start) / 1000);
      cpuSeconds[name].push(cpu[1] - cpu[0]);
      log(
        `${name.padEnd(10)} run ${run + 1}: ${(n / epoch / 1e6).toFixed(2)} M samples/s, ${epoch.toFixed(3)} s/epoch`,
      );
    }
  }
  const als = o.als ? await alsBench(set, factors, o.runs, o.threads, log) : undefined;
  const seconds = Object.fromEntries(names.map((k) => [k, round(median(epochSeconds[k]), 4)]));
  const speed = Object.fromEntries(names.map((k) => [k, Math.round(n / median(epochSeconds[k]))]));
  // Ratios per run (each run's figures share the machine's state), then the median.
  const ratio = (k: string) =>
    round(median(epochSeconds[k].map((s, r) => epochSeconds.reference1[r] / s)), 3);
  const benchProcessPeakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  const peakRssMB = trainingPeakRss(dataPath, 1);
  const peakRssMBAll = trainingPeakRss(dataPath, o.threads);
  let quality: Record<string, unknown> | undefined;
  let threadedQuality: Record<string, unknown> | undefined;
  if (o.quality) {
    log("quality on MovieLens split-pos4 ...");
    quality = qualityBench();
    threadedQuality = await threadedBprQuality(o.threads);
  }
  return {
    data: dataPath,
    interactions: n,
    users: plays.nUsers,
    items: plays.nItems,
    factors,
    runs: o.runs,
    threads: { all: o.threads, cores: availableParallelism() },
    loadSeconds: round(loadSeconds, 3),
    samplesPerSec: { "1": speed["1"], all: speed.all, reference1: speed.reference1 },
    secondsPerEpoch: { "1": seconds["1"], all: seconds.all, reference1: seconds.reference1 },
    ratioToReference1: { "1": ratio("1"), all: ratio("all") },
    /**
     * CPU seconds of the process (all threads) in the timed epoch: near threads × secondsPerEpoch when the
     * trainer had its cores, less when other processes took them.
     */
    cpuSecondsPerEpoch: Object.fromEntries(names.map((k) => [k, round(median(cpuSeconds[k]), 3)])),
    /** Start to the end of the first epoch: initialisation, the copy into wasm memory, starting workers. */
    firstEpochSeconds: Object.fromEntries(names.map((k) => [k, round(median(firstEpochSeconds[k]), 3)])),
    perRunSecondsPerEpoch: Object.fromEntries(names.map((k) => [k, epochSeconds[k].map((s) => round(s, 4))])),
    /** Loading, folding and one epoch on 1 thread, alone in a child process (bench/train-rss.ts). */
    peakRssMB,
    /** The same on the `all` threads. */
    peakRssMBAll,
    /** This process, holding the data and every trainer's model and memory until the collector runs. */
    benchProcessPeakRssMB,
    bytesPerInteraction: round(pairwiseBytesPerInteraction(set), 2),
    /** The wasm kernel's memory per interaction: a copy of the set plus the padded factor tables. */
    kernelBytesPerInteraction: round(bprLayout(set, factors).bytes / n, 2),
    als,
    quality,
    /** BPR as quality.bpr trains it, on `threads` Hogwild workers: within noise of one thread? */
    threadedQuality,
    anchors: {
      implicitOneThread: 1_670_000,
      implicitTwoThreads: 3_040_000,
      parityWithImplicitAsRatioToReference: 1.57,
    },
  };
}

/**
 * Seconds per WRMF iteration (50 factors, implicit's 3 CG steps) on one thread and on `threads` (rows split
 * across workers; the same factors), the second iteration timed as for BPR, medians over runs.
 */
async function alsBench(
  set: PairwiseSet,
  factors: number,
  runs: number,
  threads: number,
  log: (t: string) => void,
) {
  const seconds: Record<"1" | "all", number[]> = { "1": [], all: [] };
  for (let run = 0; run < runs; run++) {
    for (const name of ["1", "all"] as const) {
      const marks: number[] = [];
      await trainWrmfThreaded(set, {
        factors,
        iterations: 2,
        seed: run,
        threads: name === "1" ? 1 : threads,
        onIteration: () => {
          marks.push(performance.now());
        },
      });
      seconds[name].push((marks[1] - marks[0]) / 1000);
      log(`als ${name.padEnd(6)} run ${run + 1}: ${seconds[name][run].toFixed(3)} s/iteration`);
    }
  }
  return {
    secondsPerIteration: { "1": round(median(seconds["1"]), 3), all: round(median(seconds.all), 3) },
    speedup: round(median(seconds.all.map((s, r) => seconds["1"][r] / s)), 3),
    anchors: { implicitCgOneThread: 1.694, implicitCgTwoThreads: 0.852 },
  };
}

/** quality.bpr's training (50 factors, 100 epochs, seeds 0-2) on several threads, scored the same way. */
async function threadedBprQuality(threads: number) {
  const split = loadSplit();
  const runs: QualityFigures[] = [];
  for (const seed of [0, 1, 2]) {
    const model = await trainBprThreaded(split.set, { factors: 50, epochs: 100, seed, threads });
    const f = evaluateModel(model, split);
    runs.push({ "ndcg@10": round(f["ndcg@10"], 4), "precision@10": round(f["precision@10"], 4) });
  }
  return {
    threads,
    bpr: {
      "ndcg@10": median(runs.map((r) => r["ndcg@10"])),
      "precision@10": median(runs.map((r) => r["precision@10"])),
      runs,
    },
  };
}

/** Peak RSS (MB) of bench/train-rss.ts in a child process started like this one (tsx's loader included). */
function trainingPeakRss(dataPath: string, threads: number): number | null {
  const script = new URL("./train-rss.ts", import.meta.url).pathname;
  const out = spawnSync(process.execPath, [...process.execArgv, script, dataPath, String(threads)], {
    encoding: "utf8",
  });
  try {
    return JSON.parse(out.stdout.trim().split("\n").pop() ?? "").peakRssMB;
  } catch {
    process.stderr.write(`train-rss.ts failed: ${out.stderr}\n`);
    return null;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
