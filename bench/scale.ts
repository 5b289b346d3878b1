/**
 * Scale check (issue 4): train on 20 M simulated interactions the way Engine.train does, timing each phase
 * and the process's peak memory.
 *   npx tsx bench/scale.ts [--interactions 20000000] [--users 500000] [--items 100000] [--threads 2]
 *                          [--epochs 40] [--factors 50] [--seed 42] [--calibration-share 0.1]
 *                          [--no-breakdown] [--no-append] [--json]
 * The interactions are synth-2m's recipe scaled up (src/core/simulate/interactions.ts): distinct (user,
 * item) pairs, one play each (long plays and skips), rows in end-time order, generated straight into typed
 * columns as the store's scan would hand them over. Training is trainAffinityModelWith with
 * trainFactorsOnThreads, Engine.train's call: mark each user's latest plays for calibration, fold, build
 * the pairwise set, BPR (wasm kernel, Hogwild on `threads`), fit the blend on the held-out plays, fold and
 * build again on everything, BPR again, assemble the model. Not timed: reading the store, saving the model,
 * context priors. `epochs` applies to both factorizations (default 40 each, as Engine.train's).
 * Afterwards (unless --no-breakdown) the marking, folding and set building are timed again on their own,
 * since the path above does them between the factorizations without marks of its own.
 * Peak RSS is this process's (process.resourceUsage().maxRSS, worker threads included), after each phase,
 * so the phase that raised it shows. Prints JSON and appends it, with the commit id, to bench/out/results.jsonl.
 */
import { availableParallelism, freemem, loadavg, totalmem } from "node:os";
import {
  defaultTrainConfig,
  type FactorTrainer,
  latestShareOfEachUser,
  type TrainConfig,
  trainAffinityModelWith,
} from "../src/core/affinity/affinity-model.js";
import { defaultBprKernel } from "../src/core/affinity/bpr.js";
import { foldPlays } from "../src/core/affinity/cells.js";
import { bprLayout } from "../src/core/affinity/kernel/bpr-wasm.js";
import { buildPairwiseSet, pairwiseBytesPerInteraction } from "../src/core/affinity/pairwise-set.js";
import { simulateInteractions } from "../src/core/simulate/interactions.js";
import { trainFactorsOnThreads } from "../src/pipeline/train.js";
import { resolveThreads } from "../src/threads/index.js";
import { appendResult, commit, median } from "./record.js";

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const num = (name: string, fallback: number) => (flag(name) === undefined ? fallback : Number(flag(name)));
const o = {
  interactions: num("--interactions", 20_000_000),
  users: num("--users", 500_000),
  items: num("--items", 100_000),
  threads: resolveThreads(num("--threads", 2)),
  epochs: num("--epochs", defaultTrainConfig.bpr.epochs),
  factors: num("--factors", 50),
  seed: num("--seed", 42),
  calibrationShare: num("--calibration-share", defaultTrainConfig.calibrationShare),
};
const log = (text: string) => process.stderr.write(`${text}\n`);
const MB = 1024 * 1024;
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const seconds = (from: number) => round((performance.now() - from) / 1000);
const cpuSeconds = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

/** Memory after each phase: current RSS, the peak so far, the JS heap and the ArrayBuffers (typed arrays). */
const memory: Array<{
  after: string;
  rssMB: number;
  peakRssMB: number;
  heapMB: number;
  arrayBuffersMB: number;
}> = [];
function markMemory(after: string): void {
  const m = process.memoryUsage();
  const entry = {
    after,
    rssMB: Math.round(m.rss / MB),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapMB: Math.round(m.heapUsed / MB),
    arrayBuffersMB: Math.round(m.arrayBuffers / MB),
  };
  memory.push(entry);
  log(`  ${after}: rss ${entry.rssMB} MB, peak ${entry.peakRssMB} MB, heap ${entry.heapMB} MB`);
}

interface Factorization {
  phase: string;
  cells: number;
  positives: number;
  negatives: number;
  kernel: string;
  /** Since the previous factorization ended (or training started): the work the path does in between. */
  secondsBefore: number;
  /** Each epoch's wall seconds; the first includes copying into wasm memory and starting workers. */
  epochSeconds: number[];
  /** CPU seconds of the process (all threads) per epoch: about threads x wall when the cores were free. */
  cpuSecondsPerEpoch: number[];
  trainSeconds: number;
  /** Median of the epochs after the first. */
  medianEpochSeconds: number;
  /** The first epoch's extra over that median: copying into wasm memory, starting workers. */
  setupSeconds: number;
  /** Samples per second over the epochs after the first. */
  samplesPerSec: number;
  setMB: number;
  bytesPerInteraction: number;
  kernelMemoryMB: number;
  kernelBytesPerInteraction: number;
}

async function main() {
  const load = { start: loadavg().map((x) => round(x, 2)), end: [] as number[] };
  log(
    `scale check: ${o.interactions} interactions, ${o.users} users x ${o.items} items, ${o.threads} threads, ` +
      `${o.epochs} epochs; load average ${load.start.join(" ")}`,
  );
  markMemory("start");

  const tGen = performance.now();
  const plays = simulateInteractions({
    interactions: o.interactions,
    users: o.users,
    items: o.items,
    seed: o.seed,
  });
  const generateSeconds = seconds(tGen);
  const n = plays.userIndex.length;
  log(`generated ${n} plays (${plays.draws} draws, ${plays.longPlays} long) in ${generateSeconds} s`);
  markMemory("generate");
  const users = Array.from({ length: o.users }, (_, u) => `u${u}`);
  const items = Array.from({ length: o.items }, (_, i) => `i${i}`);

  const config: TrainConfig = {
    ...defaultTrainConfig,
    threads: o.threads,
    calibrationShare: o.calibrationShare,
    bpr: { ...defaultTrainConfig.bpr, factors: o.factors, epochs: o.epochs, seed: o.seed },
  };
  const factorizations: Factorization[] = [];
  const phases = o.calibrationShare > 0 ? ["calibration", "final"] : ["final"];
  let last = performance.now();
  const timed: FactorTrainer = async (cfg, set, options) => {
    const phase = phases[factorizations.length] ?? `extra${factorizations.length}`;
    const secondsBefore = seconds(last);
    markMemory(`${phase} set built`);
    log(`${phase}: ${set.items.length} cells after ${secondsBefore} s of marking, folding and set building`);
    const marks: number[] = [];
    const cpu: number[] = [cpuSeconds()];
    const start = performance.now();
    const model = await trainFactorsOnThreads(cfg, set, {
      ...options,
      onEpoch: (epoch, epochs, factors) => {
        marks.push(performance.now());
        cpu.push(cpuSeconds());
        const at = marks.length - 1;
        const took = (marks[at] - (at > 0 ? marks[at - 1] : start)) / 1000;
        log(`  ${phase} epoch ${epoch}/${epochs}: ${took.toFixed(2)} s`);
        return options.onEpoch?.(epoch, epochs, factors);
      },
    });
    last = performance.now();
    markMemory(`${phase} trained`);
    const epochSeconds = marks.map((m, k) => round((m - (k > 0 ? marks[k - 1] : start)) / 1000));
    const later = epochSeconds.slice(1);
    const steady = later.reduce((a, b) => a + b, 0);
    const medianEpochSeconds = later.length > 0 ? median(later) : epochSeconds[0];
    const kernelBytes = bprLayout(set, cfg.bpr.factors, o.threads).bytes;
    factorizations.push({
      phase,
      cells: set.items.length,
      positives: set.positives.length,
      negatives: set.negatives.length,
      kernel: options.kernel ?? defaultBprKernel(set, cfg.bpr.factors),
      secondsBefore,
      epochSeconds,
      cpuSecondsPerEpoch: cpu.slice(1).map((c, k) => round(c - cpu[k])),
      trainSeconds: round((last - start) / 1000),
      medianEpochSeconds: round(medianEpochSeconds),
      setupSeconds: round(epochSeconds[0] - medianEpochSeconds),
      samplesPerSec:
        epochSeconds.length > 1
          ? Math.round((set.items.length * (epochSeconds.length - 1)) / steady)
          : Math.round(set.items.length / epochSeconds[0]),
      bytesPerInteraction: round(pairwiseBytesPerInteraction(set), 2),
      setMB: Math.round((pairwiseBytesPerInteraction(set) * set.items.length) / MB),
      kernelMemoryMB: Math.round(kernelBytes / MB),
      kernelBytesPerInteraction: round(kernelBytes / set.items.length, 2),
    });
    return model;
  };

  const tTrain = performance.now();
  const cpuTrain = cpuSeconds();
  last = tTrain;
  let model: Awaited<ReturnType<typeof trainAffinityModelWith>> | null = await trainAffinityModelWith(
    timed,
    plays,
    users,
    items,
    config,
  );
  const assembleSeconds = seconds(last);
  const trainSeconds = seconds(tTrain);
  const trainCpuSeconds = round(cpuSeconds() - cpuTrain);
  markMemory("model assembled");
  const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  const modelCells = model.history.items.length;
  const h = model.history;
  const f = model.factors;
  const historyMB = Math.round(
    (h.rowPtr.byteLength +
      h.items.byteLength +
      h.sum.byteLength +
      h.count.byteLength +
      h.longCount.byteLength) /
      MB,
  );
  const factorsMB = Math.round(
    (f.userFactors.byteLength + f.itemFactors.byteLength + f.itemBias.byteLength) / MB,
  );
  model = null;

  let breakdown: Record<string, number> | undefined;
  if (!args.includes("--no-breakdown")) {
    log("breakdown: marking, folding and set building on their own ...");
    const t1 = performance.now();
    if (o.calibrationShare > 0) latestShareOfEachUser(plays, o.calibrationShare);
    const markSeconds = seconds(t1);
    const t2 = performance.now();
    const cells = foldPlays(plays, config.rule);
    const foldSeconds = seconds(t2);
    const t3 = performance.now();
    const set = buildPairwiseSet(cells, config.pairwise);
    const buildSeconds = seconds(t3);
    breakdown = {
      markCalibrationSeconds: markSeconds,
      foldSeconds,
      buildSetSeconds: buildSeconds,
      cells: set.items.length,
    };
    markMemory("breakdown");
  }
  load.end = loadavg().map((x) => round(x, 2));
  const final = factorizations[factorizations.length - 1];
  const playTableBytes =
    plays.userIndex.byteLength +
    plays.itemIndex.byteLength +
    plays.playedMs.byteLength +
    plays.itemLengthMs.byteLength +
    plays.weight.byteLength +
    plays.endTimeMs.byteLength;

  const allEpochs = factorizations.flatMap((f) => f.epochSeconds);
  const result = {
    bench: "scale",
    commit: commit(),
    at: new Date().toISOString(),
    node: process.version,
    interactions: n,
    users: o.users,
    items: o.items,
    factors: o.factors,
    threads: o.threads,
    epochsPerFactorization: o.epochs,
    calibrationShare: o.calibrationShare,
    longPlays: plays.longPlays,
    draws: plays.draws,
    uniformFills: plays.uniformFills,
    modelCells,
    seconds: {
      generate: generateSeconds,
      /** trainAffinityModelWith from call to return: everything below. */
      train: trainSeconds,
      ...Object.fromEntries(
        factorizations.flatMap((f) => [
          [`${f.phase}Before`, f.secondsBefore],
          [`${f.phase}Bpr`, f.trainSeconds],
        ]),
      ),
      assemble: assembleSeconds,
      total: round(generateSeconds + trainSeconds),
    },
    /** Steady-state BPR speed (epochs after the first) of the final factorization. */
    samplesPerSec: final?.samplesPerSec,
    /**
     * Between the factorizations the path fits the blend, then folds and builds the set on everything:
     * the blend's share is that time less the breakdown's fold and build.
     */
    blendFitSecondsEstimate:
      breakdown && factorizations.length > 1
        ? round(final.secondsBefore - breakdown.foldSeconds - breakdown.buildSetSeconds)
        : undefined,
    /** Wall seconds of all epochs of both factorizations; the first of each includes wasm set-up. */
    epochs: allEpochs.length,
    trainCpuSeconds,
    /** CPU seconds over wall seconds of the training path: 2 means both cores busy throughout. */
    trainCoresUsed: round(trainCpuSeconds / trainSeconds, 2),
    factorizations,
    breakdown,
    peakRssMB,
    peakRssBytesPerInteraction: Math.round((peakRssMB * MB) / n),
    /** The pairwise set BPR trains on (16 B of it per interaction are the set's own arrays). */
    bytesPerInteraction: final?.bytesPerInteraction,
    playTableBytesPerInteraction: round(playTableBytes / n, 2),
    /** What is held while the final factorization trains, by structure (MB). */
    heldMB: {
      playTable: Math.round(playTableBytes / MB),
      history: historyMB,
      pairwiseSet: final?.setMB,
      kernelMemory: final?.kernelMemoryMB,
      factorModel: factorsMB,
    },
    memory,
    machine: {
      cores: availableParallelism(),
      totalMemGB: round(totalmem() / 1024 ** 3, 1),
      freeMemGBAtEnd: round(freemem() / 1024 ** 3, 1),
      loadAverage: load,
    },
  };
  if (!args.includes("--no-append")) appendResult(result);
  console.log(args.includes("--json") ? JSON.stringify(result) : JSON.stringify(result, null, 2));
}

await main();
