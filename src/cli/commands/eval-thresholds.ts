import { type SplitSettings, splitSettingsSchema, toTrainConfig } from "../../config.js";
import type { LikeDecisionReport } from "../../core/evaluation/like-decision.js";
import type { PolicyOutcome } from "../../core/thresholds/policy-comparison.js";
import { UsageError } from "../errors.js";
import { trainSettingsFrom } from "../options.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";
import { commandLine } from "./eval.js";

/**
 * `eval --thresholds`: "will this user like this item" on the store's held-out ratings (plays), one table
 * per seed: recall at precision >= P* of the single threshold, MIST and EW-DPMT.
 */
export async function runThresholdsEvaluation(
  opts: Record<string, unknown> & {
    seeds: number;
    bootstrap?: number;
    json?: boolean;
    store: string;
    models?: string;
  },
): Promise<void> {
  if (!Number.isInteger(opts.seeds) || opts.seeds < 1)
    throw new UsageError("--seeds expects a positive whole number");
  const members = opts.bootstrap ?? 10;
  if (!(Number.isInteger(members) && members >= 2))
    throw new UsageError("--bootstrap expects a whole number of members, at least 2");
  const parsed = splitSettingsSchema.safeParse({
    splitDate: opts.splitDate,
    split: opts.split,
    splitPerUser: opts.splitPerUser,
    splitRandom: opts.splitRandom,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0].message);
  // Ratings by time: each user's latest 20% held out, unless a split is given.
  const split: SplitSettings = Object.values(parsed.data).some((v) => v !== undefined)
    ? parsed.data
    : { splitPerUser: 0.8 };
  const config = toTrainConfig(trainSettingsFrom(opts));
  const seeds = Array.from({ length: opts.seeds }, (_, k) => k + 1);
  await withEngine(opts, async (engine) => {
    const progress = new Progress(!opts.json);
    const runs = await engine.affinity.evaluateLikeDecision(split, config, seeds, { members }, (p, d, t) =>
      progress.update(p, d, t),
    );
    progress.stop();
    engine.insights.recordEvaluation("thresholds", commandLine(), { runs });
    console.log(opts.json ? JSON.stringify({ runs }) : formatThresholds(runs));
  });
}

function formatThresholds(runs: LikeDecisionReport[]): string {
  const cell = (q: PolicyOutcome) =>
    `${q.recall.toFixed(3)} (${q.selected ? q.precision.toFixed(3) : "  -  "})`;
  const lines = ["recall at precision >= P* (realised precision) on the test half; liked = weight > 0:"];
  for (const r of runs) {
    const t = r.thresholds;
    lines.push(
      `seed ${r.seed}: ${r.heldOutExamples} held-out examples (${(100 * r.positiveRate).toFixed(1)}% liked), AUC ${r.auc.toFixed(3)}; calibration ${t.calibrationExamples}, test ${t.testExamples}; Spearman(evidence, ${r.members}-member spread) ${r.spearmanEvidenceBootstrap?.toFixed(3) ?? "-"}`,
      "  P*     single           MIST evidence    EW-DPMT evidence MIST bootstrap   EW-DPMT bootstrap  hindsight ceiling",
    );
    for (const [p, q] of Object.entries(t.byPrecision)) {
      const cells = [q.single, q.mist.evidence, q.ewDpmt.evidence, q.mist.bootstrap, q.ewDpmt.bootstrap]
        .filter((x) => x !== undefined)
        .map(cell);
      lines.push(`  ${p.padEnd(5)}  ${cells.join("  ")}  ${q.testCeiling.toFixed(3)}`);
    }
    lines.push("  a single threshold's best recall on test at each policy's realised precision (hindsight):");
    for (const [p, q] of Object.entries(t.byPrecision))
      lines.push(
        `  ${p.padEnd(5)}  ${[
          q.single,
          q.mist.evidence,
          q.ewDpmt.evidence,
          q.mist.bootstrap,
          q.ewDpmt.bootstrap,
        ]
          .filter((x) => x !== undefined)
          .map((x) => x.singleAtSamePrecision.toFixed(3).padEnd(15))
          .join("  ")}`,
      );
    const chosen = Object.entries(t.byPrecision).map(([p, q]) => {
      const c = (o?: PolicyOutcome) =>
        o?.chosen
          ? `${o.chosen.uncertainty} K${o.chosen.bins}${o.chosen.cells ? ` M${o.chosen.cells}` : ""}`
          : "-";
      return `P* ${p}: MIST ${c(q.mist.evidence)} / ${c(q.mist.bootstrap)}, EW-DPMT ${c(q.ewDpmt.evidence)} / ${c(q.ewDpmt.bootstrap)}`;
    });
    lines.push(`  chosen on calibration: ${chosen.join("; ")}`);
  }
  return lines.join("\n");
}
