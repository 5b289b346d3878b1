import { looksSuccessful } from "../failures/turn-features.js";
import type { VoiceTurn } from "../voice/turn.js";
import type { ContextObservation } from "./context-priors.js";

/**
 * What context priors learn from: the turns that went well (a play not barged in on and not cut short),
 * each with its resolved item's kind. Shared by training (Engine.train) and the evaluation.
 */
export function contextObservations(
  turns: readonly VoiceTurn[],
  kindOf: (item: string) => string | undefined,
): ContextObservation[] {
  const out: ContextObservation[] = [];
  for (const t of turns) {
    if (!t.resolvedItem || !looksSuccessful(t)) continue;
    const kind = kindOf(t.resolvedItem);
    if (!kind) continue;
    out.push({ user: t.user, timeMs: t.timeMs, context: t.context, kind, item: t.resolvedItem });
  }
  return out;
}
