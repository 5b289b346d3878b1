import { findInState, type UserState } from "../affinity/affinity-model.js";
import { type BinnedThresholds, decide } from "../thresholds/index.js";
import type { CatalogueView } from "./catalogue-view.js";
import type { ResolvedCandidate } from "./resolve.js";

/**
 * Play or ask (issue 18): resolve plays its top candidate when that is right with probability >= P*,
 * otherwise it asks, listing the candidates. The score is the top candidate's confidence (its softmax share);
 * the uncertainty is how little the user's own history backs the choice: 1/√(1 + n), n the user's plays of
 * the top two candidates (the standard error of a mean over n plays shrinks as 1/√n; 1 for an unknown
 * user). With thresholds fitted by MIST or EW-DPMT the decision uses both; without, confidence >= P*.
 */
export type ResolveDecision = "play" | "ask";

export function resolveUncertainty(
  view: CatalogueView,
  user: UserState | null,
  ranked: readonly ResolvedCandidate[],
): number {
  if (!user) return 1;
  let plays = 0;
  for (let k = 0; k < Math.min(2, ranked.length); k++) {
    const at = view.byId.get(ranked[k].item);
    const i = at === undefined ? -1 : view.modelIndexOf[at];
    const c = i < 0 ? -1 : findInState(user, i);
    if (c >= 0) plays += user.count[c];
  }
  return 1 / Math.sqrt(1 + plays);
}

export function resolveDecision(
  ranked: readonly ResolvedCandidate[],
  uncertainty: number,
  minPrecision: number,
  thresholds?: BinnedThresholds,
): ResolveDecision {
  const top = ranked[0];
  if (!top || top.excluded) return "ask";
  const play = thresholds ? decide(thresholds, top.confidence, uncertainty) : top.confidence >= minPrecision;
  return play ? "play" : "ask";
}
