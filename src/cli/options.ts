import type { Command } from "commander";
import {
  epochsFor,
  learningRateFor,
  regularizationFor,
  type TrainSettings,
  trainSettingsSchema,
} from "../config.js";
import { weightingNames } from "../core/affinity/weighting.js";
import { UsageError } from "./errors.js";

export const defaultStorePath = () => process.env.TASTEBUD_STORE ?? "./tastebud.duckdb";

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option(
      "--store <path|url>",
      "event store: a DuckDB file, or postgres://user@host/db for a shared PostgreSQL database (env TASTEBUD_STORE)",
      defaultStorePath(),
    )
    .option("--models <dir>", "folder of model versions (default <store>.models)");
}

export function number(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n))
      throw new UsageError(`--${name} expects a number, got "${value}"`);
    return n;
  };
}

/** The model flags shared by `train` and `eval`, declared from the one settings schema's defaults. */
export function addModelOptions(cmd: Command): Command {
  const d = trainSettingsSchema.parse({});
  return cmd
    .option(
      "--loss <name>",
      "pairwise loss: bpr (P > U > N tiers) or warp (rank-weighted, for top-N)",
      d.loss,
    )
    .option("--factors <k>", "latent factors", number("factors"), d.factors)
    .option(
      "--epochs <n>",
      `training epochs, one = as many pairs as labelled cells (default ${epochsFor("bpr")} for bpr, ${epochsFor("warp")} for warp)`,
      number("epochs"),
    )
    .option(
      "--learning-rate <lr>",
      `learning rate (default ${learningRateFor("bpr")} for bpr, ${learningRateFor("warp")} for warp)`,
      number("learning-rate"),
    )
    .option(
      "--regularization <reg>",
      `L2 regularisation (default ${regularizationFor("bpr")} for bpr, ${regularizationFor("warp")} for warp)`,
      number("regularization"),
    )
    .option("--seed <n>", "random seed", number("seed"), d.seed)
    .option("--weighting <name>", `confidence weighting: ${weightingNames.join(", ")}`, d.weighting)
    .option("--positives-only", "plain BPR on long plays only (ignores skips)", false)
    .option("--threshold-ms <ms>", "plays shorter than this are skips", number("threshold-ms"), d.thresholdMs)
    .option(
      "--relative-threshold <share>",
      "threshold as a share of the item's length where known (video)",
      number("relative-threshold"),
    )
    .option("--cap-ms <ms>", "plays longer than this carry no more confidence", number("cap-ms"), d.capMs)
    .option("--weight-floor <w>", "smallest weight of a labelled play", number("weight-floor"), d.weightFloor)
    .option(
      "--cell-cap <w>",
      "cap on a (user, item) cell's summed weight before normalising",
      number("cell-cap"),
      d.cellCap,
    )
    .option(
      "--calibration-share <share>",
      "share of each user's latest plays used to fit the blend (0 = fixed blend)",
      number("calibration-share"),
      d.calibrationShare,
    )
    .option("--kernel <name>", "BPR loop: wasm (SIMD; the default where available) or reference")
    .option(
      "--no-topn",
      "no top-N model (EASE / item-kNN / WARP / popularity chosen on validation): recommend ranks by affinity",
    );
}

export function trainSettingsFrom(opts: Record<string, unknown>): TrainSettings {
  const parsed = trainSettingsSchema.safeParse({
    loss: opts.loss,
    factors: opts.factors,
    epochs: opts.epochs,
    learningRate: opts.learningRate,
    regularization: opts.regularization,
    seed: opts.seed,
    weighting: opts.weighting,
    positivesOnly: opts.positivesOnly,
    thresholdMs: opts.thresholdMs,
    relativeThreshold: opts.relativeThreshold,
    capMs: opts.capMs,
    weightFloor: opts.weightFloor,
    cellCap: opts.cellCap,
    calibrationShare: opts.calibrationShare,
    kernel: opts.kernel,
    threads: opts.threads,
    topN: opts.topn,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = String(issue.path[0] ?? "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new UsageError(`--${flag}: ${issue.message}`);
  }
  if (parsed.data.kernel === "reference" && parsed.data.threads !== 1)
    throw new UsageError("--threads: the reference kernel runs on one thread (use --kernel wasm)");
  return parsed.data;
}
