/**
 * Privacy mode's costs (issue 20): how long the shipped table takes to load and index, how fast each
 * mechanism perturbs a 20-word request (target: under 1 ms p99 in process with a 10k-word table), and the
 * utility/privacy trade-off per ε: plausible deniability (median N_w, S_w) beside the intent accuracy and
 * slot survival of a classifier trained and tested on perturbed SNIPS text (skipped where the shared data
 * is absent). Kept short: one seed and a 1,000-example training sample per cell; `tastebud privacy eval`
 * runs the full grid with several seeds.
 *   npm run bench -- privacy [--table PATH]   # PATH: another GloVe/word2vec file to time opening (its
 *                                             # saved index beside it is removed first: the first opening builds)
 *   npm run bench -- privacy --latency-only   # table, perturbation and Laplace's search comparison only
 *   ... --table PATH --compare-hnsw          # also the HNSW first opening (the path before the IVF), same run
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { deniability, vocabularySample } from "../src/core/privacy/deniability.js";
import { runIntentTask } from "../src/core/privacy/intent.js";
import {
  IVF_NPROBE_NEAREST,
  IVF_NPROBE_ROWS,
  type IvfIndex,
  IvfNearestWord,
  ivfNeighbourSearch,
} from "../src/core/privacy/ivf.js";
import {
  DEFAULT_EXPANSION_SEARCH,
  ExactNearestWord,
  IndexedNearestWord,
  type MechanismName,
  MultivariateLaplace,
  type NearestWord,
} from "../src/core/privacy/mechanisms.js";
import {
  computeNeighbourhoods,
  emptyIndex,
  exactNearest,
  indexSearch,
  type NeighbourSearch,
} from "../src/core/privacy/neighbours.js";
import { perturbText, tokenize } from "../src/core/privacy/text.js";
import { Random } from "../src/core/random.js";
import {
  defaultEmbeddingPath,
  type LargeIndexKind,
  loadEmbeddingTable,
} from "../src/pipeline/privacy-files.js";
import { PrivacyTable } from "../src/services/privacy.js";
import { loadIntentSplit } from "../src/services/privacy-eval.js";
import { percentiles } from "./record.js";

const log = (text: string) => process.stderr.write(`${text}\n`);
const seconds = (t: number) => Math.round((performance.now() - t) / 10) / 100;

/** Loading a table and computing its neighbourhoods from scratch (what a cache miss costs). */
async function loadCost(path: string) {
  let t = performance.now();
  const table = await loadEmbeddingTable(path);
  const loadSeconds = seconds(t);
  t = performance.now();
  const n = computeNeighbourhoods(table);
  return {
    path,
    words: table.size,
    dimensions: table.dimensions,
    loadSeconds,
    neighbourhoodsSeconds: seconds(t),
    exactNeighbourhoods: n.exact,
  };
}

/** Wall and CPU seconds of one step, with the load average before and after (the machine is shared). */
async function timed<T>(
  run: () => Promise<T>,
): Promise<{ value: T; wallSeconds: number; cpuSeconds: number; load: number[] }> {
  const load = [loadavg()[0]];
  const t = performance.now();
  const cpu = process.cpuUsage();
  const value = await run();
  const used = process.cpuUsage(cpu);
  load.push(loadavg()[0]);
  return {
    value,
    wallSeconds: seconds(t),
    cpuSeconds: Math.round((used.user + used.system) / 1e4) / 100,
    load,
  };
}

/**
 * Opening a large table as privacy mode does, twice: first with no cache beside it (its saved index and
 * Δ are removed: parse, hash, IVF build, Δ_min, Δ_max, save), then again (parse, hash, read the saved
 * lists). With compareHnsw, first the old path's first opening (HNSW build) in the same run. Then the cost
 * of lazy rows (2,000 words' rows on first use) and how the IVF's answers agree with exact search per nprobe:
 * the 64-neighbour rows of 300 words, and Laplace's nearest word to 300 noisy vectors (ε = 10), beside the
 * HNSW's when it was built.
 */
async function openCost(path: string, compareHnsw: boolean) {
  for (const cache of [`${path}.hnsw.usearch`, `${path}.hnsw.json`, `${path}.ivf.bin`])
    rmSync(cache, { force: true });
  const bytes = statSync(path).size;
  const opening = async (largeIndex: LargeIndexKind) => {
    const r = await timed(() => PrivacyTable.open(path, { largeIndex }));
    const pt = r.value;
    return {
      pt,
      report: {
        index: largeIndex,
        cached: pt.cached,
        wallSeconds: r.wallSeconds,
        cpuSeconds: r.cpuSeconds,
        load: r.load,
        steps: pt.openSeconds,
        parseMBPerSecond: Math.round(bytes / 1e6 / pt.openSeconds.read),
        deltaMin: pt.neighbourhoods.deltaMin,
        deltaMax: pt.neighbourhoods.deltaMax,
      },
    };
  };
  if (compareHnsw) log("first opening with the HNSW index (before) ...");
  const hnsw = compareHnsw ? await opening("hnsw") : null;
  log("first and second opening with the IVF index ...");
  const first = await opening("ivf");
  const second = await opening("ivf");
  const pt = second.pt;
  const rng = new Random(12);
  const words = Array.from({ length: 2000 }, () => rng.int(pt.table.size));
  const ms: number[] = [];
  for (const w of words) {
    const t0 = performance.now();
    pt.neighbourhoods.rowOf(w);
    ms.push(performance.now() - t0);
  }
  log("IVF and HNSW against exact search ...");
  const agreement = pt.ivf ? ivfAgreement(pt, compareHnsw ? `${path}.hnsw.usearch` : null) : null;
  return {
    path,
    bytes,
    words: pt.table.size,
    dimensions: pt.table.dimensions,
    deltaMin: pt.neighbourhoods.deltaMin,
    deltaMax: pt.neighbourhoods.deltaMax,
    ...(hnsw ? { hnswFirstOpening: hnsw.report } : {}),
    firstOpening: first.report,
    secondOpening: second.report,
    lazyRowMs: percentiles(ms),
    agreement,
    targetSeconds: 30,
  };
}

/** IVF (per nprobe) and HNSW answers against the exact scan on the large table (see openCost). */
function ivfAgreement(pt: PrivacyTable, hnswPath: string | null) {
  const table = pt.table;
  const ivf = pt.ivf as IvfIndex;
  const d = table.dimensions;
  const k = 64;
  const rng = new Random(21);
  const words = Array.from({ length: 300 }, () => rng.int(table.size));
  const exactRows = words.map((w) =>
    exactNearest(table, table.vector(w), k + 1)
      .filter((i) => i !== w)
      .slice(0, k),
  );
  const laplace = new MultivariateLaplace(table, new ExactNearestWord(table), 10);
  const noise = new Float64Array(d);
  const noisy = new Float32Array(words.length * d);
  words.forEach((w, q) => {
    laplace.drawNoise(rng, noise);
    for (let j = 0; j < d; j++) noisy[q * d + j] = table.vectors[w * d + j] + noise[j];
  });
  const exactWord = new Int32Array(words.length);
  new ExactNearestWord(table).nearestMany(noisy, words.length, exactWord);
  const score = (search: NeighbourSearch, nearest: NearestWord) => {
    let hits = 0;
    let t = performance.now();
    words.forEach((w, q) => {
      const found = new Set(
        Array.from(search(table.vector(w), k + 1), Number)
          .filter((i) => i !== w)
          .slice(0, k),
      );
      for (const id of exactRows[q]) if (found.has(id)) hits++;
    });
    const rowMs = (performance.now() - t) / words.length;
    const out = new Int32Array(words.length);
    t = performance.now();
    nearest.nearestMany(noisy, words.length, out);
    const nearestMs = (performance.now() - t) / words.length;
    let same = 0;
    for (let q = 0; q < words.length; q++) if (out[q] === exactWord[q]) same++;
    return {
      rowRecall: Math.round((hits / (words.length * k)) * 10000) / 10000,
      rowMs: Math.round(rowMs * 1000) / 1000,
      laplaceAgrees: Math.round((same / words.length) * 1000) / 1000,
      laplaceMs: Math.round(nearestMs * 1000) / 1000,
    };
  };
  const byNprobe = [4, 8, 16, 32, 64].map((nprobe) => ({
    nprobe,
    ...score(ivfNeighbourSearch(ivf, nprobe), new IvfNearestWord(ivf, nprobe)),
  }));
  let hnsw = null;
  if (hnswPath) {
    const index = emptyIndex(d, DEFAULT_EXPANSION_SEARCH);
    index.view(hnswPath);
    hnsw = {
      expansionSearch: DEFAULT_EXPANSION_SEARCH,
      ...score(indexSearch(index), new IndexedNearestWord(table, 0, DEFAULT_EXPANSION_SEARCH, index)),
    };
  }
  return {
    words: words.length,
    neighbours: k,
    laplaceEpsilon: 10,
    defaults: { rows: IVF_NPROBE_ROWS, nearest: IVF_NPROBE_NEAREST },
    byNprobe,
    hnsw,
  };
}

export async function privacyBench(
  args: { table?: string; latencyOnly?: boolean; compareHnsw?: boolean } = {},
): Promise<Record<string, unknown>> {
  // With --table the large table is the subject: the shipped table's from-scratch cost is left to the plain run.
  const shipped = args.table ? { path: defaultEmbeddingPath() } : await loadCost(defaultEmbeddingPath());
  log("opening the shipped table ...");
  let t = performance.now();
  const pt = await PrivacyTable.open();
  const openSeconds = seconds(t);
  if (args.table) log(`opening ${args.table} twice (first without its cache) ...`);
  const other = args.table ? await openCost(args.table, args.compareHnsw ?? false) : null;

  // Gumbel's admissible ε start at (5 + 2 ln n)/Δ_min (a > 0 in methods.md 7b's calibration).
  const gumbelMin = (5 + 2 * Math.log(pt.table.size)) / pt.neighbourhoods.deltaMin;
  const grid: Array<{ mechanism: MechanismName; epsilon: number }> = [
    ...[4, 6, 8, 10, 15].map((epsilon) => ({ mechanism: "laplace" as const, epsilon })),
    ...[1.05, 1.5, 3, 10].map((f) => ({
      mechanism: "gumbel" as const,
      epsilon: Math.round(gumbelMin * f * 10) / 10,
    })),
  ];

  // 20-word requests of frequent words (ranks 100 to 5,000: past GloVe's punctuation and stop words).
  const rng = new Random(3);
  const requests = Array.from({ length: 2000 }, () =>
    Array.from({ length: 20 }, () => pt.table.words[100 + rng.int(4900)]).join(" "),
  );
  const perturbation = [];
  // Timed at Laplace ε = 10 and Gumbel's smallest admissible ε (the most noise either is run with here).
  for (const { mechanism, epsilon } of [grid[3], grid[5]]) {
    log(`perturbing 20-word requests, ${mechanism} ε=${epsilon} ...`);
    t = performance.now();
    const m = pt.mechanism(mechanism, epsilon);
    const setupSeconds = seconds(t);
    const draws = new Random(5);
    for (const r of requests.slice(0, 200)) perturbText(r, pt.table, m, draws, "placeholder");
    const ms: number[] = [];
    const start = performance.now();
    for (const r of requests) {
      const t0 = performance.now();
      perturbText(r, pt.table, m, draws, "placeholder");
      ms.push(performance.now() - t0);
    }
    const total = (performance.now() - start) / 1000;
    perturbation.push({
      mechanism,
      epsilon,
      setupSeconds,
      requestMs: percentiles(ms),
      requestsPerSecond: Math.round(requests.length / total),
      wordsPerSecond: Math.round((requests.length * 20) / total),
      targetP99Ms: 1,
    });
  }

  const laplaceSearch = searchComparison(pt, requests, grid[3].epsilon);
  if (args.latencyOnly)
    return {
      table: { ...shipped, openSeconds, cachedNeighbourhoods: pt.cached },
      ...(other ? { otherTable: other } : {}),
      perturbation,
      laplaceSearch,
    };

  const snips = new URL("../../shared/data/snips-nlu-2017", import.meta.url).pathname;
  const data = existsSync(snips) ? loadIntentSplit(snips, 1000, 1) : null;
  if (!data) log(`no SNIPS data at ${snips}: the trade-off has deniability only`);
  const words = vocabularySample(pt.table.size, 200, 100);
  const intent = (mechanism: MechanismName | null, epsilon: number) =>
    data
      ? runIntentTask(data.train, data.test, {
          table: pt.table,
          mechanism: mechanism ? pt.mechanism(mechanism, epsilon) : null,
          oov: "placeholder",
          seed: 1,
          epochs: 100,
        })
      : null;
  const tradeOff = [];
  const ceiling = intent(null, 0);
  for (const { mechanism, epsilon } of grid) {
    log(`trade-off, ${mechanism} ε=${epsilon} ...`);
    const s = deniability(pt.mechanism(mechanism, epsilon), words, 100, 7).summary;
    const run = intent(mechanism, epsilon);
    tradeOff.push({
      mechanism,
      epsilon,
      medianUnchanged: s.unchanged.median,
      medianDistinct: s.distinct.median,
      ...(run
        ? { accuracy: run.accuracy, slotSurvival: run.slotSurvival, changedShare: run.changedShare }
        : {}),
    });
  }
  return {
    table: { ...shipped, openSeconds, cachedNeighbourhoods: pt.cached },
    ...(other ? { otherTable: other } : {}),
    perturbation,
    laplaceSearch,
    tradeOff: {
      deniability: { words: words.length, draws: 100 },
      intent: data
        ? {
            data: "snips-nlu-2017",
            train: data.train.length,
            test: data.test.length,
            seed: 1,
            epochs: 100,
            ceiling: { accuracy: ceiling?.accuracy, slotSurvival: ceiling?.slotSurvival },
          }
        : null,
      cells: tradeOff,
    },
  };
}

/**
 * Multivariate Laplace's nearest-word search (issue 20), before and after in one run: one native index
 * search per word (perturb, as perturbText called it before) against one batched search per request
 * (perturbMany), and, for several HNSW breadths (expansion_search), how often the index's word agrees with
 * the exact scan's on the same noisy vectors. The draws are identical in both timings (same seed), so only
 * the search differs.
 */
function searchComparison(pt: PrivacyTable, requests: string[], epsilon: number) {
  const ids = requests.map((r) =>
    tokenize(r)
      .map((t) => pt.table.id(t))
      .filter((id) => id >= 0),
  );
  const time = (run: (words: number[], rng: Random) => void) => {
    const rng = new Random(5);
    for (const words of ids.slice(0, 200)) run(words, rng);
    const ms: number[] = [];
    for (const words of ids) {
      const t0 = performance.now();
      run(words, rng);
      ms.push(performance.now() - t0);
    }
    return percentiles(ms);
  };
  const d = pt.table.dimensions;
  // Noisy vectors for the agreement check: 1,000 words of the requests, one draw each.
  const probe = new MultivariateLaplace(pt.table, new ExactNearestWord(pt.table), epsilon);
  const count = 1000;
  const noisy = new Float32Array(count * d);
  const z = new Float64Array(d);
  const rng = new Random(8);
  for (let q = 0; q < count; q++) {
    probe.drawNoise(rng, z);
    const v = pt.table.vector(ids[q % ids.length][q % 20]);
    for (let j = 0; j < d; j++) noisy[q * d + j] = v[j] + z[j];
  }
  log("exact nearest words for the agreement check ...");
  const exact = new Int32Array(count);
  new ExactNearestWord(pt.table).nearestMany(noisy, count, exact);
  const breadths = [];
  for (const expansionSearch of [16, 32, 64, 128]) {
    log(`Laplace ε=${epsilon}, expansion_search ${expansionSearch} ...`);
    const nearest = new IndexedNearestWord(pt.table, 0, expansionSearch);
    const m = new MultivariateLaplace(pt.table, nearest, epsilon);
    const found = new Int32Array(count);
    nearest.nearestMany(noisy, count, found);
    let same = 0;
    for (let q = 0; q < count; q++) if (found[q] === exact[q]) same++;
    breadths.push({
      expansionSearch,
      agreementWithExact: same / count,
      perWordRequestMs: time((words, r) => {
        for (const w of words) m.perturb(w, r);
      }),
      batchedRequestMs: time((words, r) => m.perturbMany(words, r)),
    });
  }
  return { epsilon, probes: count, requests: ids.length, wordsPerRequest: 20, breadths };
}
