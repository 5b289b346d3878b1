import type { PlayEvent } from "../../schema/events.js";
import { normalizeText } from "../matching/normalize.js";
import type { VoiceTurn } from "../voice/turn.js";
import { type DefectOptions, type DefectVerdict, detectDefects } from "./defects.js";
import { buildRewriteTable, type MeaningJudge } from "./markov.js";
import { type MeaningEntity, sameMeaning } from "./meaning.js";
import type { RewriteTable, RewriteTableOptions } from "./rewrite-table.js";
import type { LabelledTurn } from "./sessions.js";

export interface MineRewritesOptions {
  defects?: DefectOptions;
  table?: Partial<RewriteTableOptions> & { sessionGapMs?: number };
  plays?: readonly PlayEvent[];
  /**
   * Check that each rewrite keeps its source's meaning (default true): `sameMeaning` on the two texts and,
   * where `entities` knows what the rewrite resolved to when it worked, on the source and that entity.
   */
  checkMeaning?: boolean;
  /** Catalogue entries by item id (title and creators), for the meaning check's entity evidence. */
  entities?: (item: string) => MeaningEntity | undefined;
}

/**
 * The offline batch of methods.md 2a from a request log: every turn judged defective or not (barge-in,
 * error answer, short play, rephrased soon after), then the absorbing Markov chain over the users'
 * reformulations, one rewrite per source that passes the guardrails and keeps the source's meaning.
 */
export function mineRewrites(
  turns: readonly VoiceTurn[],
  options: MineRewritesOptions = {},
): { table: RewriteTable; verdicts: DefectVerdict[]; labelled: LabelledTurn[] } {
  const verdicts = detectDefects(turns, {
    ...options.defects,
    plays: options.plays ?? options.defects?.plays,
  });
  const labelled: LabelledTurn[] = turns.map((t, k) => ({
    user: t.user,
    device: t.device,
    timeMs: t.timeMs,
    text: t.text,
    defective: verdicts[k].defective,
    ...(t.rewrittenFrom ? { rewrittenFrom: t.rewrittenFrom } : {}),
  }));
  const judge = options.checkMeaning === false ? undefined : meaningJudge(turns, verdicts, options.entities);
  return { table: buildRewriteTable(labelled, options.table, judge), verdicts, labelled };
}

/**
 * The meaning check with entity evidence: what each normalized utterance resolved to most often when it
 * worked (a turn not judged defective), looked up in the catalogue.
 */
export function meaningJudge(
  turns: readonly VoiceTurn[],
  verdicts: readonly DefectVerdict[],
  entities?: (item: string) => MeaningEntity | undefined,
): MeaningJudge {
  const resolved = new Map<string, Map<string, number>>();
  if (entities) {
    turns.forEach((t, k) => {
      if (verdicts[k].defective || t.resolvedItem === undefined) return;
      const norm = normalizeText(t.text);
      let counts = resolved.get(norm);
      if (!counts) {
        counts = new Map();
        resolved.set(norm, counts);
      }
      counts.set(t.resolvedItem, (counts.get(t.resolvedItem) ?? 0) + 1);
    });
  }
  const entityOf = (norm: string): MeaningEntity | undefined => {
    const counts = resolved.get(norm);
    if (!counts || !entities) return undefined;
    let best: string | undefined;
    for (const [item, n] of counts) if (best === undefined || n > counts.get(best)!) best = item;
    return best === undefined ? undefined : entities(best);
  };
  return (source, rewrite) => sameMeaning(source, rewrite, entityOf(rewrite));
}
