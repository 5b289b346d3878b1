import {
  evaluateRewriteDecision,
  type RewriteDecisionReport,
} from "../../core/evaluation/rewrite-decision.js";
import { UsageError } from "../errors.js";
import { Progress } from "../progress.js";

/**
 * `eval --rewrite-decision`: the Markov table's rewrite decision on the simulated assistant, per seed:
 * share of held-out requests at a rule's source rewritten (precision of those) by the gain gate, by "the
 * success estimate >= P*", and by single / MIST / EW-DPMT thresholds on (success estimate, spread).
 */
export function runRewriteDecisionEvaluation(opts: {
  seeds: number;
  simSeed: number;
  simUsers?: number;
  simDays?: number;
  bootstrap?: number;
  json?: boolean;
}): void {
  if (!Number.isInteger(opts.seeds) || opts.seeds < 1)
    throw new UsageError("--seeds expects a positive whole number");
  if (opts.bootstrap !== undefined && !(Number.isInteger(opts.bootstrap) && opts.bootstrap >= 2))
    throw new UsageError("--bootstrap expects a whole number of members, at least 2");
  const progress = new Progress(!opts.json);
  const runs: RewriteDecisionReport[] = [];
  for (let k = 0; k < opts.seeds; k++) {
    progress.update("simulated assistants", k, opts.seeds);
    runs.push(
      evaluateRewriteDecision({
        seed: opts.simSeed + k,
        ...(opts.simUsers ? { users: opts.simUsers } : {}),
        ...(opts.simDays ? { days: opts.simDays, heldOutDays: Math.floor(opts.simDays / 2) } : {}),
        ...(opts.bootstrap ? { bootstrap: opts.bootstrap } : {}),
      }),
    );
  }
  progress.stop();
  if (opts.json) {
    console.log(JSON.stringify({ runs }));
    return;
  }
  const cell = (rewritten: number, precision: number) => `${rewritten.toFixed(3)} (${precision.toFixed(3)})`;
  const lines = ["share of held-out requests at a rule's source rewritten (precision of those):"];
  for (const r of runs) {
    const t = r.thresholds;
    const share = (q: { selected: number; precision: number }) =>
      cell(q.selected / Math.max(1, t.testExamples), q.selected ? q.precision : 1);
    lines.push(
      `seed ${r.seed}: ${r.rules} rules, ${r.requests} requests (${t.testExamples} test), rewrite right for ${r.rightShare.toFixed(3)}`,
      `  spread: analytic vs bootstrap Spearman ${r.spread.spearman.toFixed(3)}, mean ${r.spread.analyticMean.toFixed(3)} vs ${r.spread.bootstrapMean.toFixed(3)}`,
      `  always ${cell(r.always.rewritten, r.always.precision)}; gain gate ${cell(r.gainGate.rewritten, r.gainGate.precision)}`,
      "  P*     estimate>=P*     single           MIST analytic    EW-DPMT analytic MIST bootstrap   EW-DPMT bootstrap",
    );
    for (const [p, q] of Object.entries(t.byPrecision)) {
      const e = r.estimateAtLeast[p];
      lines.push(
        `  ${p.padEnd(5)}  ${[
          cell(e.rewritten, e.precision),
          share(q.single),
          share(q.mist.analytic),
          share(q.ewDpmt.analytic),
          share(q.mist.bootstrap),
          share(q.ewDpmt.bootstrap),
        ].join("  ")}`,
      );
    }
  }
  console.log(lines.join("\n"));
}
