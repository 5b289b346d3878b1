import type { AffinityModel, TimedPlayTable } from "../core/affinity/affinity-model.js";
import type { LabelRule } from "../core/affinity/weighting.js";
import { ContextPriors, type ContextPriorsJson } from "../core/context/index.js";
import { looksSuccessful } from "../core/failures/turn-features.js";
import { CatalogueIndex, parseRequest } from "../core/matching/index.js";
import { buildCatalogueView, type ServingItem } from "../core/serving/catalogue-view.js";
import type { CandidateAdjuster } from "../core/serving/resolve.js";
import { fitResolveBlend, PlayHistory, type ResolveBlend } from "../core/serving/resolve-blend.js";
import { fitTurns } from "../core/serving/resolve-fit.js";
import type { VoiceTurn } from "../core/voice/turn.js";

/** What the manifest keeps of the fit (model extra "resolveBlend"). */
export interface ResolveBlendFit {
  blend: ResolveBlend;
  /** Logged turns the fit judged, and the share resolved to the item played, by the blend and by the prior. */
  turns: number;
  accuracy: number;
  priorAccuracy: number;
}

/**
 * Fits how much resolve trusts each user's evidence over the prior (see ResolveBlend) on the store's logged
 * turns that went well, as serving would have ranked them (context priors included), with the replays
 * known before each turn. Null when the store has no such turns with at least two text candidates.
 */
export function fitServedResolveBlend(
  model: AffinityModel,
  plays: TimedPlayTable,
  rule: LabelRule,
  turns: readonly VoiceTurn[],
  catalogue: readonly ServingItem[],
  contextPriors: ContextPriorsJson | null,
): ResolveBlendFit | null {
  const requests = turns.flatMap((t) =>
    t.resolvedItem && looksSuccessful(t)
      ? [{ user: t.user, text: t.text, timeMs: t.timeMs, item: t.resolvedItem, turn: t }]
      : [],
  );
  if (requests.length === 0) return null;
  const view = buildCatalogueView(model, catalogue);
  const priors = contextPriors ? ContextPriors.fromJSON(contextPriors) : null;
  const adjusterFor = ({ turn }: { turn: VoiceTurn }): CandidateAdjuster | null => {
    if (!priors || !turn.context) return null;
    const kindSaid = parseRequest(turn.text).kindHint !== null;
    return (c) => {
      const { value, lifts } = priors.score(
        turn.user,
        { kind: c.kind, item: c.item },
        turn.context,
        turn.timeMs,
        {
          kindSaid,
        },
      );
      return lifts.length === 0 ? null : { value, reasons: [] };
    };
  };
  const judged = fitTurns(
    model,
    view,
    new CatalogueIndex(view.all),
    requests,
    new PlayHistory(plays, rule, model.items.length),
    adjusterFor,
  );
  if (judged.length === 0) return null;
  return fitResolveBlend(judged);
}
