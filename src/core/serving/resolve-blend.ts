import type { AffinityModel, TimedPlayTable, UserState } from "../affinity/affinity-model.js";
import { blendProbability } from "../affinity/blend.js";
import { playContribution } from "../affinity/cells.js";
import type { LabelRule } from "../affinity/weighting.js";
import { itemScore } from "../topn/exact.js";

/**
 * How resolve weighs a user's own evidence against the prior, the item's popularity (the same log share of
 * long plays the "popularity" strategy ranks by):
 *
 *   preference(u, i) = ln((pop_i + 1) / Σpop) + taste · n_u / (n_u + κ) · Δ_ui + replays · h_ui · ln(1 + c_ui)
 *
 * Δ_ui = logit(the factorization's probability that u plays i past the threshold) − logit(i's share of
 * long plays among everyone): how much more than the crowd this user's taste likes the item, trusted in
 * proportion to n_u, the number of items the user has played (a new user's factors say little). c_ui is
 * how often the user played i and h_ui their mean label·weight with it: a song replayed to the end pulls,
 * one skipped every time pushes away. With taste = replays = 0 the preference is the prior itself, so a
 * fitted blend can only move away from the prior where the training turns say that helps (fitResolveBlend).
 */
export interface ResolveBlend {
  taste: number;
  kappa: number;
  replays: number;
}

/**
 * Used when a store has no logged turns to fit on. The fits of `eval --context --sim-seed 1..6` on held-out
 * training days (05:04-05:24 UTC, 6 December 2026) gave taste 0.25-0.5, κ 20 or 80, replays 0.5-1 (0.5 at
 * five seeds); this default lies within that range and is kept as it was: the stores it serves have no turns
 * to say which end fits them.
 */
export const defaultResolveBlend: ResolveBlend = { taste: 0.5, kappa: 20, replays: 1 };

/** The grid fitResolveBlend searches; (0, ·, 0) is the prior alone. */
export const resolveBlendGrid: readonly ResolveBlend[] = [0, 0.25, 0.5, 1].flatMap((taste) =>
  [20, 80].flatMap((kappa) => [0, 0.5, 1, 2].map((replays) => ({ taste, kappa, replays }))),
);

/** ln((pop_i + 1) / Σpop): the prior's log share, as the popularity strategy ranks. */
export function priorTerm(model: AffinityModel, i: number, totalPopularity: number): number {
  return Math.log(((i >= 0 ? model.popularity[i] : 0) + 1) / totalPopularity);
}

/** The evidence terms of one candidate for one user, before the blend's weights. */
export interface CandidateEvidence {
  /** Δ_ui, scaled by n_u / (n_u + κ) later. */
  tasteDelta: number;
  /** n_u: items the user has played. */
  userItems: number;
  /** h_ui · ln(1 + c_ui). */
  replayTerm: number;
}

/** Δ_ui from the factorization alone (the history enters through the replay term). */
export function tasteDelta(model: AffinityModel, user: UserState, i: number): number {
  const mf = itemScore(model.factors, user.vector, i);
  const p = blendProbability(model.blend, model.blend.alpha + model.blend.beta * mf);
  return logit(p) - logit(model.itemLongRate[i]);
}

/** The evidence of candidate i for a user state (the served history). */
export function candidateEvidence(model: AffinityModel, user: UserState, i: number): CandidateEvidence {
  let lo = 0;
  let hi = user.items.length - 1;
  let c = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (user.items[mid] === i) {
      c = mid;
      break;
    }
    if (user.items[mid] < i) lo = mid + 1;
    else hi = mid - 1;
  }
  const count = c < 0 ? 0 : user.count[c];
  const mean = c < 0 ? 0 : user.sum[c] / count;
  return {
    tasteDelta: tasteDelta(model, user, i),
    userItems: user.items.length,
    replayTerm: mean * Math.log1p(count),
  };
}

/** The blend's lift over the prior for one candidate. */
export function evidenceLift(blend: ResolveBlend, e: CandidateEvidence): number {
  return (
    (blend.taste * e.userItems * e.tasteDelta) / (e.userItems + blend.kappa) + blend.replays * e.replayTerm
  );
}

/** One training turn for the fit: per candidate, the terms that do not depend on the blend. */
export interface FitTurn {
  /** Text term + prior + context lift, per candidate. */
  base: Float64Array;
  evidence: CandidateEvidence[];
  /** Index of the item the turn resolved to (and the user kept playing). */
  target: number;
}

/**
 * The blend of the grid that resolves the most held-out turns to the item they ended up playing (ties: the
 * blend nearer the prior, i.e. the smaller weights), kept only when it beats the prior clearly: on the turns
 * where the two pick different items, its wins over the prior must exceed its losses by two standard
 * deviations of a fair coin (wins − losses ≥ 2·√(wins + losses)), otherwise the prior alone is served. The
 * best of 32 blends on a few hundred turns can beat the prior by luck, and a lucky blend then loses to the
 * prior on the next days (a served-path test lost 159 to 160 on same-kind titles that way): personal
 * evidence must not make "play hello" worse than the prior it starts from. Turns where every blend agrees
 * say nothing and may be left out by the caller.
 */
export function fitResolveBlend(turns: readonly FitTurn[]): {
  blend: ResolveBlend;
  turns: number;
  accuracy: number;
  priorAccuracy: number;
  /** Turns the best blend resolved right and the prior wrong, and the other way round. */
  wins: number;
  losses: number;
} {
  const prior = resolveBlendGrid[0];
  const picks = (blend: ResolveBlend) =>
    Uint8Array.from(turns, (t) => {
      let top = -1;
      let topScore = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < t.base.length; k++) {
        const s = t.base[k] + evidenceLift(blend, t.evidence[k]);
        if (s > topScore) {
          topScore = s;
          top = k;
        }
      }
      return top === t.target ? 1 : 0;
    });
  const priorRight = picks(prior);
  const priorHits = priorRight.reduce((a, b) => a + b, 0);
  let best = prior;
  let bestRight = priorRight;
  let bestHits = priorHits;
  const weight = (b: ResolveBlend) => b.taste + b.replays;
  for (const blend of resolveBlendGrid) {
    const right = picks(blend);
    const hits = right.reduce((a, b) => a + b, 0);
    if (hits > bestHits || (hits === bestHits && weight(blend) < weight(best))) {
      best = blend;
      bestRight = right;
      bestHits = hits;
    }
  }
  let wins = 0;
  let losses = 0;
  for (let k = 0; k < turns.length; k++) {
    if (bestRight[k] > priorRight[k]) wins++;
    if (bestRight[k] < priorRight[k]) losses++;
  }
  const clear = wins - losses >= 2 * Math.sqrt(wins + losses) && wins > losses;
  const n = Math.max(1, turns.length);
  const chosen = clear ? best : prior;
  return {
    blend: chosen,
    turns: turns.length,
    accuracy: (clear ? bestHits : priorHits) / n,
    priorAccuracy: priorHits / n,
    wins,
    losses,
  };
}

/**
 * A user's plays as of a time, for the fit: what resolve would have known at each training turn (the
 * served history includes the very play a turn led to, which would teach the fit to trust history).
 */
export class PlayHistory {
  private readonly byPair = new Map<number, { times: number[]; contributions: number[] }>();

  constructor(
    plays: TimedPlayTable,
    rule: LabelRule,
    private readonly nItems: number,
  ) {
    const order = Array.from(plays.endTimeMs.keys()).sort((a, b) => plays.endTimeMs[a] - plays.endTimeMs[b]);
    for (const r of order) {
      const key = plays.userIndex[r] * nItems + plays.itemIndex[r];
      let pair = this.byPair.get(key);
      if (!pair) {
        pair = { times: [], contributions: [] };
        this.byPair.set(key, pair);
      }
      pair.times.push(plays.endTimeMs[r]);
      pair.contributions.push(
        playContribution(rule, plays.playedMs[r], plays.itemLengthMs[r], plays.weight[r]),
      );
    }
  }

  /** h · ln(1 + c) over the user's plays of the item that ended before `timeMs`. */
  replayTermBefore(u: number, i: number, timeMs: number): number {
    const pair = this.byPair.get(u * this.nItems + i);
    if (!pair) return 0;
    let count = 0;
    let sum = 0;
    while (count < pair.times.length && pair.times[count] < timeMs) sum += pair.contributions[count++];
    return count ? (sum / count) * Math.log1p(count) : 0;
  }
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}
