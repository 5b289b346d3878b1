/**
 * Peak RSS of training alone: load a user,item,weight CSV, fold it, train one BPR epoch (50 factors) on
 * the given threads, print {"peakRssMB": n}. bench/train.ts runs this in a child process, so that nothing
 * else the bench holds counts (the anchors' "peak MB" are such whole-process figures).
 *   npx tsx bench/train-rss.ts path/to/interactions.csv.gz [threads]
 */
import { foldPlays } from "../src/core/affinity/cells.js";
import { buildPairwiseSet } from "../src/core/affinity/pairwise-set.js";
import { defaultLabelRule } from "../src/core/affinity/weighting.js";
import { trainBprThreaded } from "../src/pipeline/threads/bpr-threads.js";
import { loadInteractions } from "./train.js";

const [data, threads] = process.argv.slice(2);
const set = buildPairwiseSet(foldPlays(loadInteractions(data), defaultLabelRule));
await trainBprThreaded(set, { factors: 50, epochs: 1, threads: Number(threads ?? 1), kernel: "wasm" });
console.log(JSON.stringify({ peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
