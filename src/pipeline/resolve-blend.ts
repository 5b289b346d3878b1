import {
  type TimedPlayTable,
  type TrainConfig,
  trainAffinityModel,
} from "../core/affinity/affinity-model.js";
import type { ServingItem } from "../core/serving/catalogue-view.js";
import {
  blendFitCut,
  defaultBlendFitDays,
  fitBlendOnHeldOutDays,
  type HeldOutBlendFit,
} from "../core/serving/resolve-fit.js";
import type { VoiceTurn } from "../core/voice/turn.js";

/** What the manifest keeps of the fit (model extra "resolveBlend"). */
export type ResolveBlendFit = HeldOutBlendFit;

/**
 * Fits how much resolve trusts each user's evidence over the prior (see ResolveBlend) on the store's last
 * `days` days of logged turns that went well, ranked by an affinity model, context priors and replays of
 * the days before them only, as `eval --context` fits it (fitBlendOnHeldOutDays): the weights are chosen
 * on requests the ranking model has not seen. The extra affinity model costs one more training of the same
 * settings on that earlier share of the plays. Null when the store has no turns in those days, no plays
 * before them, or no such turn with two or more text candidates: serving then uses defaultResolveBlend.
 */
export function fitServedResolveBlend(
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  config: TrainConfig,
  turns: readonly VoiceTurn[],
  catalogue: readonly ServingItem[],
  days = defaultBlendFitDays,
): ResolveBlendFit | null {
  if (turns.length === 0) return null;
  return fitBlendOnHeldOutDays({
    plays,
    turns,
    catalogue,
    rule: config.rule,
    fitCutMs: blendFitCut(plays, turns, days),
    days,
    train: (early) => trainAffinityModel(early, users, items, config),
  });
}
