import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type DeniabilitySummary, deniability, vocabularySample } from "../core/privacy/deniability.js";
import { type IntentExample, type IntentRun, runIntentTask } from "../core/privacy/intent.js";
import type { MechanismName } from "../core/privacy/mechanisms.js";
import type { OutOfVocabularyPolicy } from "../core/privacy/text.js";
import { Random } from "../core/random.js";
import type { NearestWordSearch, PrivacyTable } from "./privacy.js";

/** N_w / S_w distributions for each mechanism and ε (ε a Gumbel table does not admit is reported, not run). */
export function deniabilityGrid(
  pt: PrivacyTable,
  grid: { mechanism: MechanismName; epsilons: number[] }[],
  o: {
    words: number;
    draws: number;
    seed: number;
    search?: NearestWordSearch;
    onStep?: (done: number, total: number) => void;
  },
): (DeniabilitySummary | { mechanism: MechanismName; epsilon: number; error: string })[] {
  // Skip the first 100 rows: GloVe's head is punctuation and stop words.
  const words = vocabularySample(pt.table.size, o.words, Math.min(100, Math.floor(pt.table.size / 10)));
  const total = grid.reduce((s, g) => s + g.epsilons.length, 0);
  const out: (DeniabilitySummary | { mechanism: MechanismName; epsilon: number; error: string })[] = [];
  for (const { mechanism, epsilons } of grid)
    for (const epsilon of epsilons) {
      try {
        out.push(deniability(pt.mechanism(mechanism, epsilon, o.search), words, o.draws, o.seed).summary);
      } catch (err) {
        out.push({ mechanism, epsilon, error: (err as Error).message });
      }
      o.onStep?.(out.length, total);
    }
  return out;
}

/** JSON lines of {text, intent[, slots]}, optionally gzipped; a bad line is an error naming it. */
export function readIntentExamples(path: string): IntentExample[] {
  const raw = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
  const out: IntentExample[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`${path} line ${i + 1}: not JSON`);
    }
    const r = row as Partial<IntentExample>;
    if (typeof r.text !== "string" || !r.text)
      throw new Error(`${path} line ${i + 1}: field "text" must be a non-empty string`);
    if (typeof r.intent !== "string" || !r.intent)
      throw new Error(`${path} line ${i + 1}: field "intent" must be a non-empty string`);
    out.push({ text: r.text, intent: r.intent, ...(Array.isArray(r.slots) ? { slots: r.slots } : {}) });
  });
  return out;
}

/**
 * Train and test examples: a folder with train.jsonl[.gz] and test.jsonl[.gz] (the SNIPS layout), or one
 * file split 80/20 at random (seeded). A train sample limit keeps the ε grid quick.
 */
export function loadIntentSplit(
  path: string,
  trainLimit: number,
  seed: number,
): { train: IntentExample[]; test: IntentExample[] } {
  let train: IntentExample[];
  let test: IntentExample[];
  if (statSync(path).isDirectory()) {
    const pick = (name: string) =>
      [join(path, `${name}.jsonl`), join(path, `${name}.jsonl.gz`)].find(existsSync);
    const trainPath = pick("train");
    const testPath = pick("test");
    if (!trainPath || !testPath) throw new Error(`${path}: expected train.jsonl[.gz] and test.jsonl[.gz]`);
    train = readIntentExamples(trainPath);
    test = readIntentExamples(testPath);
  } else {
    const all = new Random(seed).shuffle(readIntentExamples(path));
    const cut = Math.floor(all.length * 0.8);
    train = all.slice(0, cut);
    test = all.slice(cut);
  }
  if (train.length > trainLimit) train = new Random(seed + 1).shuffle([...train]).slice(0, trainLimit);
  return { train, test };
}

export interface IntentCell {
  mechanism: MechanismName | "none";
  epsilon: number | null;
  /** Why this cell: the mechanism's own grid, the other mechanism's ε, or the ε matching its median N_w. */
  matchedTo: string;
  medianUnchanged: number | null;
  runs: IntentRun[];
  accuracy: { mean: number; min: number; max: number };
  slotSurvival: { mean: number; min: number; max: number } | null;
}

function summarise(runs: IntentRun[]) {
  const stat = (xs: number[]) => ({
    mean: xs.reduce((s, x) => s + x, 0) / xs.length,
    min: Math.min(...xs),
    max: Math.max(...xs),
  });
  const slots = runs.map((r) => r.slotSurvival).filter((s): s is number => s !== null);
  return { accuracy: stat(runs.map((r) => r.accuracy)), slotSurvival: slots.length ? stat(slots) : null };
}

/**
 * Laplace's ε whose median N_w equals a target, by bisection on log ε (median N_w grows with ε). The
 * estimate uses its own vocabulary sample, never the test text.
 */
export function laplaceEpsilonForUnchanged(
  pt: PrivacyTable,
  target: number,
  o: { words: number; draws: number; seed: number; search?: NearestWordSearch },
): number {
  const words = vocabularySample(pt.table.size, o.words, Math.min(100, Math.floor(pt.table.size / 10)));
  const median = (eps: number) =>
    deniability(pt.mechanism("laplace", eps, o.search), words, o.draws, o.seed).summary.unchanged.median;
  let lo = Math.log(0.5);
  let hi = Math.log(200);
  for (let i = 0; i < 10; i++) {
    const mid = (lo + hi) / 2;
    if (median(Math.exp(mid)) < target) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

export function intentEvaluation(
  pt: PrivacyTable,
  data: { train: IntentExample[]; test: IntentExample[] },
  o: {
    laplace: number[];
    gumbel: number[];
    seeds: number[];
    oov: OutOfVocabularyPolicy;
    epochs: number;
    /** Laplace's nearest word: the served HNSW index (default) or the exact scan. */
    search?: NearestWordSearch;
    onStep?: (label: string) => void;
  },
): IntentCell[] {
  const cells: IntentCell[] = [];
  const run = (
    mechanism: MechanismName | "none",
    epsilon: number | null,
    matchedTo: string,
    medianUnchanged: number | null,
  ) => {
    o.onStep?.(`${mechanism} ε=${epsilon ?? "-"}`);
    const runs = o.seeds.map((seed) =>
      runIntentTask(data.train, data.test, {
        table: pt.table,
        mechanism:
          mechanism === "none" || epsilon === null ? null : pt.mechanism(mechanism, epsilon, o.search),
        oov: o.oov,
        seed,
        epochs: o.epochs,
      }),
    );
    cells.push({ mechanism, epsilon, matchedTo, medianUnchanged, runs, ...summarise(runs) });
  };
  run("none", null, "ceiling (unperturbed)", 1);
  const stats = { words: 200, draws: 100, seed: 7, search: o.search };
  for (const eps of o.laplace) {
    const m = deniabilityGrid(pt, [{ mechanism: "laplace", epsilons: [eps] }], stats)[0];
    run("laplace", eps, "own grid", "unchanged" in m ? m.unchanged.median : null);
  }
  for (const eps of o.gumbel) {
    const m = deniabilityGrid(pt, [{ mechanism: "gumbel", epsilons: [eps] }], stats)[0];
    if (!("unchanged" in m)) {
      o.onStep?.(m.error);
      continue;
    }
    run("gumbel", eps, "own grid", m.unchanged.median);
    run("laplace", eps, `same ε as gumbel ε=${eps}`, null);
    const matched = laplaceEpsilonForUnchanged(pt, m.unchanged.median, stats);
    run(
      "laplace",
      Math.round(matched * 1000) / 1000,
      `median N_w of gumbel ε=${eps} (${m.unchanged.median})`,
      m.unchanged.median,
    );
  }
  return cells;
}
