import type { PlayEvent } from "../../../schema/events.js";
import { Random } from "../../random.js";
import type { VoiceTurn } from "../../voice/turn.js";
import { type DefectVerdict, detectDefects } from "../defects.js";
import { GlobalIndex, type GlobalIndexOptions } from "./global-index.js";
import {
  type CatalogueMatcher,
  type ItemInfo,
  OnlineRewriter,
  type OnlineRewriterOptions,
  type RewriteLookup,
} from "./online-rewriter.js";
import { type AffinityFn, PersonalIndex, type PersonalIndexOptions } from "./personal-index.js";
import { playDurationAffinity } from "./play-affinity.js";
import { type RankerTrainOptions, RewriteRanker, type TrainingGroup } from "./ranker.js";
import { reformulationPairs } from "./reformulations.js";

/**
 * Training of the online rewriter from logs alone (no labels): detect defects and rephrases, build the
 * global index from the successes, then replay the log in time order, mining one ranking group per
 * request before the personal index learns its outcome (as serving will see it):
 * - a defective request whose rephrase chain ended in a success: the candidates leading to that
 *   success's item are positives, keeping the request is a negative;
 * - a successful request: keeping it is the positive, every rewrite a negative, even one to the same item
 *   (it fixes nothing, and each rewrite served is a risk: this keeps the ranker from rewriting for nothing).
 */

export interface TrainRewriterOptions {
  plays?: readonly PlayEvent[];
  /** Verdicts of detectDefects on `turns`, when already computed. */
  verdicts?: readonly DefectVerdict[];
  markov?: RewriteLookup | null;
  catalogue?: CatalogueMatcher | null;
  items?: readonly ItemInfo[];
  /** Default: playDurationAffinity over the training turns and plays. */
  affinity?: AffinityFn;
  global?: Partial<GlobalIndexOptions>;
  personal?: Partial<PersonalIndexOptions>;
  rewriter?: Partial<OnlineRewriterOptions>;
  ranker?: Partial<RankerTrainOptions>;
  /** At most this many keep groups per rewrite group (keeps are the bulk of traffic). */
  keepPerRewrite: number;
  /** Share of the turns (the latest) that ranking groups are mined from. */
  mineShare: number;
  seed: number;
}

export const defaultTrainRewriterOptions: Pick<
  TrainRewriterOptions,
  "keepPerRewrite" | "mineShare" | "seed"
> = {
  keepPerRewrite: 4,
  mineShare: 0.5,
  seed: 1,
};

export interface TrainedRewriter {
  rewriter: OnlineRewriter;
  verdicts: readonly DefectVerdict[];
  /** Ranking groups mined: requests to rewrite, requests to keep. */
  rewriteGroups: number;
  keepGroups: number;
}

/**
 * Trains a rewriter on `turns` (time order). The ranking groups are mined from the later `mineShare` of
 * the turns, against a global index built from the earlier part only: a global index that already holds
 * a request's own reformulation would teach the ranker to trust the global layer far more than serving
 * on new days warrants. The served global index is then rebuilt from all turns. Deterministic.
 */
export function trainOnlineRewriter(
  turns: readonly VoiceTurn[],
  options: Partial<TrainRewriterOptions> = {},
): TrainedRewriter {
  const o = { ...defaultTrainRewriterOptions, ...options };
  const verdicts = o.verdicts ?? detectDefects(turns, { plays: o.plays });
  const success = (_: VoiceTurn, i: number) => !verdicts[i].defective;
  const affinity = o.affinity ?? playDurationAffinity(turns, o.plays);
  const layers = { markov: true, global: true, personal: true, ...o.rewriter?.layers };
  const pairs = reformulationPairs(turns, verdicts);
  const mineFrom = Math.floor(turns.length * (1 - o.mineShare));
  const globalFor = (n: number) =>
    layers.global
      ? GlobalIndex.build(
          turns.slice(0, n),
          success,
          o.global,
          pairs.filter((p) => p.to < n),
        )
      : null;
  const parts = {
    markov: o.markov,
    personal: layers.personal ? new PersonalIndex(affinity, o.personal) : null,
    catalogue: o.catalogue,
    items: o.items,
    affinity,
  };
  const miner = new OnlineRewriter({ ...parts, global: globalFor(mineFrom) }, { ...o.rewriter, layers });

  const ends = new Int32Array(turns.length).fill(-1);
  for (const p of pairs) ends[p.from] = p.to;
  const rng = new Random(o.seed);
  const rewriteGroups: TrainingGroup[] = [];
  const keepGroups: TrainingGroup[] = [];
  // Keep requests are sampled up front so that their candidate sets (the costly part) are built only for
  // about as many as are used.
  let rewrites = 0;
  let keeps = 0;
  for (let i = mineFrom; i < turns.length; i++) {
    if (ends[i] >= 0) rewrites++;
    else if (!verdicts[i].defective) keeps++;
  }
  const keepShare = Math.min(1, (2 * o.keepPerRewrite * Math.max(1, rewrites)) / Math.max(1, keeps));
  for (let i = 0; i < turns.length; i++) {
    const t = turns[i];
    if (i >= mineFrom) {
      const target = ends[i] >= 0 ? turns[ends[i]].resolvedItem : undefined;
      if (target !== undefined) {
        const { candidates, features } = miner.candidates(t);
        const positive = candidates.map((c) => c.layer !== "original" && c.item === target);
        if (positive.some((p) => p)) rewriteGroups.push({ features, positive });
      } else if (!verdicts[i].defective && t.resolvedItem !== undefined && rng.next() < keepShare) {
        const { candidates, features } = miner.candidates(t);
        // Even a rewrite to the same item is a negative here: it changes nothing for the better, and every
        // rewrite served is a risk.
        if (candidates.length > 1) {
          keepGroups.push({ features, positive: candidates.map((c) => c.layer === "original") });
        }
      }
    }
    miner.observe(t, !verdicts[i].defective);
  }
  const kept = rng.shuffle(keepGroups).slice(0, Math.max(1, o.keepPerRewrite * rewriteGroups.length));
  const ranker = RewriteRanker.train([...rewriteGroups, ...kept], o.ranker);
  // The personal index (and its online state) carries over; the global index is rebuilt on everything.
  const rewriter = new OnlineRewriter(
    { ...miner.parts, global: globalFor(turns.length), ranker },
    { ...o.rewriter, layers },
  );
  rewriter.adoptState(miner);
  return { rewriter, verdicts, rewriteGroups: rewriteGroups.length, keepGroups: kept.length };
}
