import type { TimedPlayTable, TrainConfig } from "../affinity/affinity-model.js";
import { type WeightingName, weightingNames } from "../affinity/weighting.js";
import { type EvaluationConfig, evaluateSplit, type MetricSet } from "./evaluate.js";
import type { Split } from "./split.js";

export interface AblationRow extends MetricSet {
  weighting: WeightingName;
  positivesOnly: boolean;
  seeds: number;
  /** Range of pooled Spearman over the seeds. */
  spearmanMin: number;
  spearmanMax: number;
  /** Spearman on held-out plays of items new to the user (median over seeds). */
  spearmanNew: number;
}

/**
 * The weighting ablation of methods.md section 1: every weighting function with positives and negatives,
 * plus positives only (where weighting does not apply, so it is run once), each the median over seeds of
 * the factorization's metrics (the blend is left out: the question is what the factorization learns).
 */
export function runAblation(
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  split: Split,
  base: TrainConfig,
  seeds: number,
  onProgress?: (done: number, total: number, label: string) => void,
): AblationRow[] {
  const variants: Array<{ weighting: WeightingName; positivesOnly: boolean }> = [
    { weighting: "none", positivesOnly: true },
    ...weightingNames.map((weighting) => ({ weighting, positivesOnly: false })),
  ];
  const total = variants.length * seeds;
  let done = 0;
  return variants.map(({ weighting, positivesOnly }) => {
    const runs: MetricSet[] = [];
    const newSpearman: Array<number | null> = [];
    for (let seed = 0; seed < seeds; seed++) {
      const config: EvaluationConfig = {
        train: {
          ...base,
          rule: { ...base.rule, weighting },
          pairwise: { ...base.pairwise, positivesOnly },
          bpr: { ...base.bpr, seed },
          calibrationShare: 0,
        },
        wrmf: {},
        withWrmf: false,
        topN: false,
        k: 10,
      };
      onProgress?.(done, total, `${positivesOnly ? "P-only" : `P+N ${weighting}`} seed ${seed}`);
      const report = evaluateSplit(plays, users, items, split, config);
      runs.push(report.baselines.mf);
      newSpearman.push(report.baselines.mf.new.spearman);
      done++;
    }
    onProgress?.(done, total, "");
    const med = (key: keyof MetricSet) => median(runs.map((r) => r[key] as number | null));
    const spearmans = runs.map((r) => r.spearman ?? 0);
    return {
      weighting,
      positivesOnly,
      seeds,
      spearman: med("spearman") ?? 0,
      spearmanPerUser: med("spearmanPerUser") ?? 0,
      pearson: med("pearson") ?? 0,
      kendall: med("kendall") ?? 0,
      auc: med("auc") ?? 0,
      "ndcg@10": med("ndcg@10"),
      "recall@10": med("recall@10"),
      "map@10": med("map@10"),
      coverage: med("coverage"),
      scored: runs[0].scored,
      spearmanMin: Math.min(...spearmans),
      spearmanMax: Math.max(...spearmans),
      spearmanNew: median(newSpearman) ?? 0,
    };
  });
}

function median(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
