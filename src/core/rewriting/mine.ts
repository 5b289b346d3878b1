import type { PlayEvent } from "../../schema/events.js";
import type { VoiceTurn } from "../voice/turn.js";
import { type DefectOptions, type DefectVerdict, detectDefects } from "./defects.js";
import { buildRewriteTable } from "./markov.js";
import type { RewriteTable, RewriteTableOptions } from "./rewrite-table.js";
import type { LabelledTurn } from "./sessions.js";

export interface MineRewritesOptions {
  defects?: DefectOptions;
  table?: Partial<RewriteTableOptions> & { sessionGapMs?: number };
  plays?: readonly PlayEvent[];
}

/**
 * The offline batch of methods.md 2a from a request log: every turn judged defective or not (barge-in,
 * error answer, short play, rephrased soon after), then the absorbing Markov chain over the users'
 * reformulations, one rewrite per source that passes the guardrails.
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
  return { table: buildRewriteTable(labelled, options.table), verdicts, labelled };
}
