import type { Command } from "commander";
import type { DirectedMetrics } from "../../core/directed/index.js";
import type {
  DirectedBiasOptions,
  DirectedEvaluation,
  DirectedTuning,
  GraphHoldOut,
  GraphSource,
} from "../../services/directed.js";
import { defaultMiniBatch } from "../../services/directed.js";
import { UsageError } from "../errors.js";
import { addStoreOptions, number } from "../options.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";

/** The options `eval --graph` and `train --graph` share. */
export function addGraphOptions(cmd: Command): Command {
  return cmd
    .option("--graph", "the directed 'what follows' model (BLADE-style source/target embeddings)")
    .option(
      "--edges <file>",
      "with --graph: an edge list (source,target[,weight]; CSV or TSV) instead of the plays-next graph",
    )
    .option("--reversed", "with --edges: the file lists the target first (Cora's `cited citing`)")
    .option(
      "--hold-out <what>",
      "with eval --graph: edges, or whole listening sessions (plays only; the default there)",
    )
    .option(
      "--gap-minutes <m>",
      "with --graph on plays: B follows A when it starts within this gap (default 10)",
      number("gap-minutes"),
    )
    .option(
      "--max-epochs <n>",
      "with --graph: longest training tried on validation (default 300; 100 for train on the plays-next graph)",
      number("max-epochs"),
    )
    .option(
      "--bias-init <start>",
      "with --graph: biases start at zero or log-degree (default: both tried, chosen on validation)",
    )
    .option("--source-bias", "with --graph: learn a per-source bias as well (only direction sees it)")
    .option(
      "--batch-size <n>",
      "with --graph: edges per Adam step in mini-batch training (default 256; 0: full-batch, one step per epoch)",
      number("batch-size"),
    )
    .option(
      "--refreshes <n>",
      "with --graph in mini-batches: neighbourhood refreshes per pass (default 1; 0 keeps the initial ones)",
      number("refreshes"),
    )
    .option("--dim <n>", "with --graph: vector size (default 64)", number("dim"))
    .option(
      "--l2 <values>",
      "with --graph: L2 penalties tried on validation, comma-separated (default 1e-6,1e-4)",
    )
    .option(
      "--check-every <n>",
      "with --graph: epochs (passes) between validation checks",
      number("check-every"),
    )
    .option("--patience <n>", "with --graph: checks without a gain before a run stops", number("patience"));
}

/** The training and search settings of `--batch-size`, `--learning-rate`, `--dim`, `--l2` and the checks. */
function tuningOf(opts: {
  batchSize?: number;
  refreshes?: number;
  learningRate?: number;
  dim?: number;
  l2?: string;
  checkEvery?: number;
  patience?: number;
}): DirectedTuning {
  const whole = (name: string, x: number | undefined, min: number) => {
    if (x !== undefined && !(Number.isInteger(x) && x >= min))
      throw new UsageError(`--${name} expects a whole number of at least ${min}`);
  };
  whole("batch-size", opts.batchSize, 0);
  whole("refreshes", opts.refreshes, 0);
  whole("dim", opts.dim, 1);
  whole("check-every", opts.checkEvery, 1);
  whole("patience", opts.patience, 1);
  if (opts.refreshes !== undefined && opts.batchSize === 0)
    throw new UsageError("--refreshes goes with mini-batches, not --batch-size 0");
  if (opts.learningRate !== undefined && !(opts.learningRate > 0))
    throw new UsageError("--learning-rate expects a positive number");
  let l2Values: number[] | undefined;
  if (opts.l2 !== undefined) {
    l2Values = opts.l2.split(",").map((x) => {
      const v = Number(x);
      if (x.trim() === "" || !Number.isFinite(v) || v < 0)
        throw new UsageError(`--l2 expects non-negative numbers separated by commas, got "${x}"`);
      return v;
    });
  }
  return {
    ...(opts.batchSize === 0 ? { miniBatch: null } : {}),
    ...(opts.batchSize || opts.refreshes !== undefined
      ? {
          miniBatch: {
            batchSize: opts.batchSize || defaultMiniBatch.batchSize,
            refreshesPerPass: opts.refreshes ?? 1,
          },
        }
      : {}),
    ...(opts.learningRate !== undefined ? { learningRate: opts.learningRate } : {}),
    ...(opts.dim !== undefined ? { dim: opts.dim } : {}),
    ...(l2Values ? { l2Values } : {}),
    ...(opts.checkEvery !== undefined ? { checkEvery: opts.checkEvery } : {}),
    ...(opts.patience !== undefined ? { patience: opts.patience } : {}),
  };
}

/** The training options `--bias-init` and `--source-bias` force (nothing: the trainer chooses the start). */
function biasOptions(opts: { biasInit?: string; sourceBias?: boolean }): DirectedBiasOptions {
  const { biasInit, sourceBias } = opts;
  if (biasInit !== undefined && biasInit !== "zero" && biasInit !== "log-degree")
    throw new UsageError(`--bias-init expects zero or log-degree, not "${biasInit}"`);
  return { ...(biasInit ? { biasInit } : {}), ...(sourceBias ? { sourceBias: true } : {}) };
}

function graphSource(opts: { edges?: string; reversed?: boolean; gapMinutes?: number }): GraphSource {
  if (opts.reversed && !opts.edges) throw new UsageError("--reversed needs --edges");
  if (opts.gapMinutes !== undefined && !(opts.gapMinutes > 0))
    throw new UsageError("--gap-minutes expects a positive number");
  if (opts.edges) return { kind: "file", path: opts.edges, reversed: Boolean(opts.reversed) };
  return { kind: "plays", playsNext: opts.gapMinutes ? { maxGapMs: opts.gapMinutes * 60_000 } : undefined };
}

function holdOutOf(opts: { holdOut?: string; edges?: string }): GraphHoldOut | undefined {
  if (opts.holdOut === undefined) return undefined;
  if (opts.holdOut !== "edges" && opts.holdOut !== "sessions")
    throw new UsageError(`--hold-out expects edges or sessions, not "${opts.holdOut}"`);
  if (opts.holdOut === "sessions" && opts.edges)
    throw new UsageError("--hold-out sessions needs the plays-next graph: an edge file has no sessions");
  return opts.holdOut;
}

function maxEpochs(opts: { maxEpochs?: number }): number | undefined {
  if (opts.maxEpochs !== undefined && !(Number.isInteger(opts.maxEpochs) && opts.maxEpochs >= 10))
    throw new UsageError("--max-epochs expects a whole number of at least 10");
  return opts.maxEpochs;
}

/** What `eval --graph` and `train --graph` read from their flags. */
type GraphCommandOptions = {
  store: string;
  models?: string;
  edges?: string;
  reversed?: boolean;
  holdOut?: string;
  gapMinutes?: number;
  maxEpochs?: number;
  biasInit?: string;
  sourceBias?: boolean;
  json?: boolean;
} & Parameters<typeof tuningOf>[0];

export async function runDirectedEvaluation(opts: GraphCommandOptions & { seeds: number }): Promise<void> {
  if (!Number.isInteger(opts.seeds) || opts.seeds < 1)
    throw new UsageError("--seeds expects a whole number >= 1");
  const source = graphSource(opts);
  const epochs = maxEpochs(opts);
  const biases = biasOptions(opts);
  const tuning = tuningOf(opts);
  const holdOut = holdOutOf(opts);
  await withEngine(opts, async (engine) => {
    const progress = new Progress(!opts.json);
    const report = await engine.directed.evaluate(source, {
      holdOut,
      seeds: opts.seeds,
      maxEpochs: epochs,
      biases,
      tuning,
      onProgress: (phase, done, total) => progress.update(phase, done, total),
    });
    progress.stop();
    console.log(opts.json ? JSON.stringify(report) : formatDirectedEvaluation(report));
  });
}

export async function runDirectedTrain(opts: GraphCommandOptions & { seed?: number }): Promise<void> {
  const source = graphSource(opts);
  const epochs = maxEpochs(opts);
  const biases = biasOptions(opts);
  const tuning = tuningOf(opts);
  await withEngine(opts, async (engine) => {
    const progress = new Progress(!opts.json);
    const result = await engine.directed.train(source, {
      seed: opts.seed,
      maxEpochs: epochs,
      biases,
      tuning,
      onProgress: (phase, done, total) => progress.update(phase, done, total),
    });
    progress.stop();
    if (opts.json) console.log(JSON.stringify(result));
    else
      console.log(
        `directed model ${result.version}: ${result.nodes} nodes, ${result.edges} edges, ${result.epochs} epochs (L2 ${result.l2}, biases from ${result.biasInit}, ${result.alpha === null ? "validation MRR + direction AUC" : `served counts first, prior strength ${result.alpha}; validation MRR`} ${result.validationCriterion.toFixed(3)}), ${result.seconds.toFixed(1)} s -> ${result.path}`,
      );
  });
}

export function nextCommand(program: Command): void {
  const cmd = program
    .command("next")
    .description(
      "what follows an item (the directed model of `train --graph`), with reasons; `similar` is the symmetric view",
    )
    .requiredOption("--item <id>", "item (node) id")
    .option("-n <n>", "how many", number("n"), 10)
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    if (!Number.isInteger(opts.n) || opts.n < 1 || opts.n > 1000)
      throw new UsageError("-n expects a whole number from 1 to 1000");
    await withEngine(opts, async (engine) => {
      const answer = await engine.directed.next(opts.item, opts.n);
      if (!answer) throw new UsageError(`item "${opts.item}" is not a node of the directed model`);
      if (opts.json) {
        console.log(JSON.stringify(answer));
        return;
      }
      console.log(`after ${opts.item} (directed model ${answer.model}):`);
      for (const it of answer.items) {
        const by = it.creators.length ? ` by ${it.creators.join(", ")}` : "";
        console.log(`  ${it.score.toFixed(3).padStart(7)}  ${it.title}${by}  [${it.item}]`);
        for (const r of it.reasons) console.log(`           ${r.factor}: ${r.detail}`);
      }
    });
  });
}

/** One table: each model's metrics, mean over seeds (± standard deviation when there are several). */
export function formatDirectedEvaluation(report: DirectedEvaluation): string {
  const { graph, seeds } = report;
  const first = seeds[0];
  const lines = [
    `${graph.source}: ${graph.nodes} nodes, ${graph.edges} edges; ${first.testEdges} held out (${first.rankedEdges} ranked; ${graph.holdOut === "sessions" ? "the pairs of whole sessions held out" : "single edges held out"}), ${seeds.length} seed(s)`,
  ];
  const st = first.structure;
  lines.push(
    `ranked held-out edges u -> v of seed ${first.seed}: v -> u a training edge ${st.reverseInTraining.toFixed(3)}, ` +
      `u and v share a neighbour ${st.sharedNeighbour.toFixed(3)}, v without training edges ${st.coldTarget.toFixed(3)}, ` +
      `u low-degree ${st.lowDegreeSource.toFixed(3)}, v in the top 1% by in-degree ${st.popularTarget.toFixed(3)}`,
  );
  const cell = (values: number[]) => {
    const finite = values.filter(Number.isFinite);
    if (!finite.length) return "-".padStart(14);
    const mean = finite.reduce((s, x) => s + x, 0) / finite.length;
    const sd = Math.sqrt(finite.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(finite.length - 1, 1));
    return (finite.length > 1 ? `${mean.toFixed(3)}±${sd.toFixed(3)}` : mean.toFixed(3)).padStart(14);
  };
  const buckets: Array<[string, (r: (typeof first.results)[number]) => DirectedMetrics]> = [
    ["all queries", (r) => r.report.overall],
    ["low-degree queries", (r) => r.report.lowDegree],
    ["high-degree queries", (r) => r.report.highDegree],
    ["held-out edges whose reverse is a training edge", (r) => r.report.reverseInTraining],
    ["held-out edges whose reverse is not", (r) => r.report.reverseNotInTraining],
  ];
  for (const [label, pick] of buckets) {
    const edges = pick(first.results[0]).edges;
    lines.push("", `${label} (${edges} held-out edges in seed ${first.seed})`);
    lines.push(
      `${"model".padEnd(24)}${["HitRate@10", "HitRate@50", "MRR", "direction AUC"].map((h) => h.padStart(14)).join("")}`,
    );
    for (const [i, r] of first.results.entries()) {
      const per = seeds.map((s) => pick(s.results[i]));
      lines.push(
        r.model.padEnd(24) +
          cell(per.map((m) => m.hitRate10)) +
          cell(per.map((m) => m.hitRate50)) +
          cell(per.map((m) => m.mrr)) +
          cell(per.map((m) => m.directionAuc)),
      );
    }
  }
  return lines.join("\n");
}
