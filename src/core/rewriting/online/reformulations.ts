import type { VoiceTurn } from "../../voice/turn.js";
import type { DefectVerdict } from "../defects.js";

/** A defective request and the successful turn its rephrase chain ended in (indices into the turns). */
export interface Reformulation {
  from: number;
  to: number;
}

/**
 * Every defective turn whose chain of rephrases (u1 -> u2 -> ... ) reached a successful turn, paired with
 * that turn: what the user said that failed, and what they ended up saying that worked. Both layers learn
 * from these pairs, since a nickname or a systematic mishearing looks nothing like the title it stands for.
 */
export function reformulationPairs(
  turns: readonly VoiceTurn[],
  verdicts: readonly DefectVerdict[],
  maxChain = 10,
): Reformulation[] {
  const pos = new Map(turns.map((t, i) => [t.requestId, i]));
  const next = new Int32Array(turns.length).fill(-1);
  verdicts.forEach((v, j) => {
    const i = v.rephraseOf === null ? undefined : pos.get(v.rephraseOf);
    if (i !== undefined) next[i] = j;
  });
  const out: Reformulation[] = [];
  for (let i = 0; i < turns.length; i++) {
    if (!verdicts[i].defective) continue;
    let j = next[i];
    for (let steps = 0; j >= 0 && verdicts[j].defective && steps < maxChain; steps++) j = next[j];
    if (j >= 0 && !verdicts[j].defective) out.push({ from: i, to: j });
  }
  return out;
}
