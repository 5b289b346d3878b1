/**
 * Training speed and memory on ../shared/data/synth-2m (shared/docs/performance.md): one BPR epoch = as
 * many samples as interactions, 50 factors; samples/s as the median of 3 runs, each epoch timed alone.
 *   npm run bench -- train [--data path/to/interactions.csv.gz] [--json]
 * `reference1` is the plain TypeScript loop on one thread, measured in the same run: faster kernels and
 * threads are reported as ratios to it (implicit's 1.67 M samples/s was 1.57x such a loop on the anchor
 * machine). Only the reference loop exists so far, so "1" equals it and "all" is null.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { trainBpr } from "../src/core/affinity/bpr.js";
import { foldPlays } from "../src/core/affinity/cells.js";
import { buildPairwiseSet, pairwiseBytesPerInteraction } from "../src/core/affinity/pairwise-set.js";
import { defaultLabelRule } from "../src/core/affinity/weighting.js";

export function loadInteractions(path: string) {
  const raw = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
  const lines = text.split("\n");
  const n = lines.length - 1;
  const userIndex = new Int32Array(n);
  const itemIndex = new Int32Array(n);
  const weight = new Float64Array(n);
  let rows = 0;
  let nUsers = 0;
  let nItems = 0;
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l];
    if (!line) continue;
    const a = line.indexOf(",");
    const b = line.indexOf(",", a + 1);
    const u = Number(line.slice(0, a));
    const i = Number(line.slice(a + 1, b));
    userIndex[rows] = u;
    itemIndex[rows] = i;
    weight[rows] = Number(line.slice(b + 1));
    if (u >= nUsers) nUsers = u + 1;
    if (i >= nItems) nItems = i + 1;
    rows++;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export function trainBench(dataPath: string) {
  const t0 = performance.now();
  const plays = loadInteractions(dataPath);
  const loadSeconds = (performance.now() - t0) / 1000;
  const set = buildPairwiseSet(foldPlays(plays, defaultLabelRule));
  const epochs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t = performance.now();
    trainBpr(set, { factors: 50, epochs: 1, seed: run });
    epochs.push((performance.now() - t) / 1000);
    process.stderr.write(
      `reference loop, run ${run + 1}: ${(set.items.length / epochs[run] / 1e6).toFixed(2)} M samples/s\n`,
    );
  }
  const reference1 = Math.round(set.items.length / median(epochs));
  return {
    data: dataPath,
    interactions: set.items.length,
    users: plays.nUsers,
    items: plays.nItems,
    factors: 50,
    loadSeconds,
    samplesPerSec: { "1": reference1, all: null, reference1 },
    secondsPerEpoch: { "1": median(epochs), all: null },
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    bytesPerInteraction: Math.round(pairwiseBytesPerInteraction(set) * 100) / 100,
    anchors: {
      implicitOneThread: 1_670_000,
      implicitTwoThreads: 3_040_000,
      parityWithImplicitAsRatioToReference: 1.57,
    },
  };
}
