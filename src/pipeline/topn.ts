import type { TimedPlayTable, TrainConfig } from "../core/affinity/affinity-model.js";
import { describeChoice, type TopNConfig, type TopNProgress, trainTopN } from "../core/recommend/index.js";
import type { TopNToSave } from "./model-files.js";

/**
 * The top-N model of a training run (what `recommend` serves), chosen among EASE, item-kNN, WARP and
 * popularity on each user's latest training plays and trained on them all; null when turned off
 * (config.topN false) or the catalogue is above `approximateAbove`, where recommend keeps the affinity
 * model's approximate index. A function of its own so that whichever thread runs training calls it beside
 * the affinity model.
 */
export function trainServedTopN(
  plays: TimedPlayTable,
  config: TrainConfig,
  options: { approximateAbove?: number; topN?: Partial<TopNConfig>; onProgress?: TopNProgress } = {},
): TopNToSave | null {
  if (config.topN === false) return null;
  if (plays.nItems > (options.approximateAbove ?? Number.POSITIVE_INFINITY)) return null;
  const started = performance.now();
  const { model, selection } = trainTopN(
    plays,
    { ...options.topN, rule: config.rule, pairwise: config.pairwise },
    options.onProgress,
  );
  return {
    model,
    selection,
    name: describeChoice(selection.choice),
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
