import type { AffinityModel } from "../affinity/affinity-model.js";
import { userState } from "../affinity/affinity-model.js";
import type { CatalogueIndex } from "../matching/index.js";
import type { CatalogueView } from "./catalogue-view.js";
import { type CandidateAdjuster, TEXT_WEIGHT, textCandidates, totalLongPlays } from "./resolve.js";
import { type FitTurn, type PlayHistory, priorTerm, tasteDelta } from "./resolve-blend.js";

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
