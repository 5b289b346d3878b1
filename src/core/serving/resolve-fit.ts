import type { AffinityModel, TimedPlayTable } from "../affinity/affinity-model.js";
import { userState } from "../affinity/affinity-model.js";
import type { LabelRule } from "../affinity/weighting.js";
import { ContextPriors } from "../context/context-priors.js";
import { contextObservations } from "../context/observations.js";
import { subsetPlays } from "../evaluation/split.js";
import { looksSuccessful } from "../failures/turn-features.js";
import { CatalogueIndex } from "../matching/catalogue-index.js";
import { parseRequest } from "../matching/request.js";
import type { VoiceTurn } from "../voice/turn.js";
import { buildCatalogueView, type CatalogueView, type ServingItem } from "./catalogue-view.js";
import { type CandidateAdjuster, TEXT_WEIGHT, textCandidates, totalLongPlays } from "./resolve.js";
import {
  type FitTurn,
  fitResolveBlend,
  PlayHistory,
  priorTerm,
  type ResolveBlend,
  tasteDelta,
} from "./resolve-blend.js";

const DAY_MS = 86_400_000;

/** Days at the end of the training data held out to fit resolve's blend on (see fitBlendOnHeldOutDays). */
export const defaultBlendFitDays = 7;

/** What the fit saw and chose; `tastebud train` keeps it in the manifest (model extra "resolveBlend"). */
export interface HeldOutBlendFit {
  blend: ResolveBlend;
  /** Days held out, and where they start. */
  days: number;
  cutAt: string;
  /** Held-out turns the fit judged, and the share resolved to the item played, by the blend and by the prior. */
  turns: number;
  accuracy: number;
  priorAccuracy: number;
  /** Turns the best blend of the grid resolved right and the prior wrong, and the other way round. */
  wins: number;
  losses: number;
}

/**
 * Fits how much resolve trusts each user's evidence over the prior (see ResolveBlend) on held-out days:
 * the turns from `fitCutMs` on that went well are ranked by an affinity model (`train`), context priors
 * and replay counts learned from the plays and turns before `fitCutMs` only. Fitted on the turns the
 * served model learned from, the weights would reward evidence that merely remembers those very plays
 * (and did: personal resolution lost to the prior on some simulated worlds). `tastebud train` and
 * `eval --context` both fit this way. Null when either side of the cut is empty.
 */
export function fitBlendOnHeldOutDays(input: {
  plays: TimedPlayTable;
  /** The logged turns (any order). */
  turns: readonly VoiceTurn[];
  catalogue: readonly ServingItem[];
  rule: LabelRule;
  fitCutMs: number;
  days: number;
  /** Trains the affinity model of the plays before the cut (same users and items as `plays`). */
  train: (earlyPlays: TimedPlayTable) => AffinityModel;
}): HeldOutBlendFit | null {
  const { plays, turns, catalogue, rule, fitCutMs } = input;
  const isEarly = Uint8Array.from(plays.endTimeMs, (t) => (t < fitCutMs ? 1 : 0));
  if (!isEarly.includes(1)) return null;
  const requests = turns.flatMap((t) =>
    t.timeMs >= fitCutMs && t.resolvedItem && looksSuccessful(t)
      ? [{ user: t.user, text: t.text, timeMs: t.timeMs, item: t.resolvedItem, turn: t }]
      : [],
  );
  // Only turns with two or more text candidates, one of them the item played, say anything about the
  // blend: without any, no second model is trained for nothing (a store whose request log names items its
  // catalogue does not hold, as the demo's).
  const byText = new CatalogueIndex(buildCatalogueView({ items: [] }, catalogue).all);
  const usable = requests.filter((r) => {
    const found = textCandidates(byText, r.text);
    return found.length >= 2 && found.some((c) => c.itemId === r.item);
  });
  if (usable.length === 0) return null;
  const early = subsetPlays(plays, isEarly, 1);
  const model = input.train(early);
  const kinds = new Map(catalogue.map((c) => [c.id, c.kind]));
  const priors = ContextPriors.learn(
    contextObservations(
      turns.filter((t) => t.timeMs < fitCutMs),
      (id) => kinds.get(id),
    ),
  );
  const view = buildCatalogueView(model, catalogue);
  const judged = fitTurns(
    model,
    view,
    new CatalogueIndex(view.all),
    usable,
    new PlayHistory(early, rule, model.items.length),
    ({ turn }) => (priors.observations > 0 ? contextAdjusterFor(priors, turn) : null),
  );
  if (judged.length === 0) return null;
  return { ...fitResolveBlend(judged), days: input.days, cutAt: new Date(fitCutMs).toISOString() };
}

/** The last `days` days of the data: from the latest play or turn back. */
export function blendFitCut(plays: TimedPlayTable, turns: readonly VoiceTurn[], days: number): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const t of plays.endTimeMs) last = Math.max(last, t);
  for (const t of turns) last = Math.max(last, t.timeMs);
  return last - days * DAY_MS;
}

/** The context adjuster resolve serves a turn with (VoiceService.resolve's). */
export function contextAdjusterFor(priors: ContextPriors, t: VoiceTurn): CandidateAdjuster | null {
  if (!t.context) return null;
  const kindSaid = parseRequest(t.text).kindHint !== null;
  return (c) => {
    const { value, lifts } = priors.score(t.user, { kind: c.kind, item: c.item }, t.context, t.timeMs, {
      kindSaid,
    });
    return lifts.length === 0 ? null : { value, reasons: [] };
  };
}

/** A logged request that went well: who asked what, when, and the item it played. */
export interface FitRequest {
  user: string;
  text: string;
  timeMs: number;
  item: string;
}

/**
 * The fit's view of logged requests (see fitResolveBlend): for each request with at least two text
 * candidates, one of them the item it played, each candidate's text term, prior, context lift (from
 * `adjusterFor`, as served) and evidence, the replays counted from plays before the request only.
 */
export function fitTurns<R extends FitRequest>(
  model: AffinityModel,
  view: CatalogueView,
  matcher: CatalogueIndex,
  requests: readonly R[],
  history: PlayHistory,
  adjusterFor: (request: R) => CandidateAdjuster | null,
): FitTurn[] {
  const userIndex = new Map(model.users.map((u, k) => [u, k]));
  const total = totalLongPlays(model);
  const out: FitTurn[] = [];
  for (const request of requests) {
    const u = userIndex.get(request.user);
    if (u === undefined) continue;
    const candidates = textCandidates(matcher, request.text);
    if (candidates.length < 2) continue;
    const target = candidates.findIndex((c) => c.itemId === request.item);
    if (target < 0) continue;
    const state = userState(model, u);
    const adjust = adjusterFor(request);
    const base = new Float64Array(candidates.length);
    const evidence = candidates.map((c, k) => {
      const at = view.byId.get(c.itemId);
      const i = at === undefined ? -1 : view.modelIndexOf[at];
      const entry = at === undefined ? null : view.all[at];
      const lift = adjust?.({
        item: c.itemId,
        title: entry?.title ?? c.itemId,
        creators: entry?.creators ?? [],
        kind: entry?.kind ?? "other",
        tags: entry?.tags ?? [],
      });
      base[k] =
        TEXT_WEIGHT * Math.log(Math.max(c.score, 1e-6)) + priorTerm(model, i, total) + (lift?.value ?? 0);
      return i < 0
        ? { tasteDelta: 0, userItems: 0, replayTerm: 0 }
        : {
            tasteDelta: tasteDelta(model, state, i),
            userItems: state.items.length,
            replayTerm: history.replayTermBefore(u, i, request.timeMs),
          };
    });
    out.push({ base, evidence, target });
  }
  return out;
}
