import { z } from "zod";
import { defaultTrainConfig, type TrainConfig } from "./core/affinity/affinity-model.js";
import { defaultWarpOptions } from "./core/affinity/warp.js";
import { weightingNames } from "./core/affinity/weighting.js";

/**
 * Model settings, declared once: the CLI's train/eval flags, the HTTP train body and the model manifest
 * all read this schema. Defaults follow reference-figures.md (and the weighting chosen by the ablation).
 */
export const trainSettingsSchema = z
  .object({
    loss: z.enum(["bpr", "warp"]).default("bpr"),
    factors: z.number().int().min(1).max(1024).default(defaultTrainConfig.bpr.factors),
    // Absent: the loss's own default (epochsFor / learningRateFor); WARP was tuned apart from BPR.
    epochs: z.number().int().min(0).max(10_000).optional(),
    learningRate: z.number().positive().max(10).optional(),
    // Absent: the loss's own default (regularizationFor).
    regularization: z.number().min(0).max(10).optional(),
    seed: z.number().int().min(0).default(0),
    weighting: z.enum(weightingNames).default(defaultTrainConfig.rule.weighting),
    positivesOnly: z.boolean().default(false),
    thresholdMs: z.number().min(0).default(defaultTrainConfig.rule.thresholdMs),
    relativeThreshold: z.number().gt(0).max(1).optional(),
    capMs: z.number().positive().default(defaultTrainConfig.rule.capMs),
    weightFloor: z.number().min(0).max(1).default(defaultTrainConfig.rule.floor),
    cellCap: z.number().positive().default(defaultTrainConfig.pairwise.cellCap),
    calibrationShare: z.number().min(0).max(0.5).default(defaultTrainConfig.calibrationShare),
    // Absent: wasm where WebAssembly SIMD is available, else reference (see BprKernel).
    kernel: z.enum(["wasm", "reference"]).optional(),
    // 0 = every core. Default 1 keeps a model reproducible from its settings (see TrainConfig.threads).
    threads: z.number().int().min(0).max(256).default(1),
    // The top-N model recommend serves (EASE / item-kNN / WARP / popularity, chosen on validation).
    topN: z.boolean().default(true),
  })
  .strict();

export type TrainSettings = z.infer<typeof trainSettingsSchema>;

/** Default epochs per loss: BPR 40 (reference-figures.md), WARP 80 (chosen on a validation share of split-pos4). */
export function epochsFor(loss: TrainSettings["loss"]): number {
  return loss === "warp" ? defaultWarpOptions.epochs : defaultTrainConfig.bpr.epochs;
}

/** Default learning rate per loss: BPR 0.05, WARP 0.02 (Adagrad; 0.05 overfits after about 10 epochs). */
export function learningRateFor(loss: TrainSettings["loss"]): number {
  return loss === "warp" ? defaultWarpOptions.learningRate : defaultTrainConfig.bpr.learningRate;
}

/** Default L2 regularisation per loss: BPR 0.01, WARP 0.0001 (its Adagrad steps were tuned with it). */
export function regularizationFor(loss: TrainSettings["loss"]): number {
  return loss === "warp" ? defaultWarpOptions.regularization : defaultTrainConfig.bpr.regularization;
}

export function toTrainConfig(s: TrainSettings): TrainConfig {
  return {
    loss: s.loss,
    rule: {
      thresholdMs: s.thresholdMs,
      relativeThreshold: s.relativeThreshold,
      capMs: s.capMs,
      weighting: s.weighting,
      floor: s.weightFloor,
    },
    pairwise: { positivesOnly: s.positivesOnly, cellCap: s.cellCap },
    bpr: {
      factors: s.factors,
      epochs: s.epochs ?? epochsFor(s.loss),
      learningRate: s.learningRate ?? learningRateFor(s.loss),
      regularization: s.regularization ?? regularizationFor(s.loss),
      initStd: defaultTrainConfig.bpr.initStd,
      seed: s.seed,
      kernel: s.kernel,
    },
    calibrationShare: s.calibrationShare,
    threads: s.threads,
    topN: s.topN,
  };
}

export const splitSettingsSchema = z
  .object({
    splitDate: z.iso.datetime({ offset: true, local: true }).or(z.iso.date()).optional(),
    split: z.number().gt(0).lt(1).optional(),
    splitPerUser: z.number().gt(0).lt(1).optional(),
    splitRandom: z.number().gt(0).lt(1).optional(),
  })
  .strict()
  .refine(
    (s) => [s.splitDate, s.split, s.splitPerUser, s.splitRandom].filter((v) => v !== undefined).length <= 1,
    {
      message: "give at most one of splitDate, split, splitPerUser, splitRandom",
    },
  );

export type SplitSettings = z.infer<typeof splitSettingsSchema>;

/** "a, b,c" -> ["a", "b", "c"]: list-valued flags and query parameters (tags, creators). */
export function commaList(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const items = value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}
