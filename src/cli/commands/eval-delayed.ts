import { renameSync } from "node:fs";
import {
  defaultFavouriteRule,
  evaluateFavourites,
  type FavouriteEvaluation,
  type FavouriteRun,
} from "../../core/delayed/index.js";
import {
  evaluateResolveDecision,
  type ResolveDecisionReport,
} from "../../core/evaluation/resolve-decision.js";
import { simulateFavouriteHistories } from "../../core/simulate/favourites.js";
import { writeFileSynced } from "../../pipeline/model-files.js";
import { UsageError } from "../errors.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";
import { commandLine } from "./eval.js";

export interface DelayedOptions {
  simulated?: boolean;
  replays?: number;
  windowDays?: number;
  seeds: number;
  simSeed: number;
  simUsers?: number;
  json?: boolean;
  store: string;
  models?: string;
  /** Keep the report beside the store's models for the dashboard (kind "delayed"). */
  record?: boolean;
}

/**
 * `eval --delayed`: the four ways to train the favourite classifier and the threshold policies. On the store
 * the cuts move back 0, 30, 60 days; with --simulated each seed is its own simulated history.
 */
export async function runDelayedEvaluation(opts: DelayedOptions): Promise<void> {
  const rule = {
    ...defaultFavouriteRule,
    ...(opts.replays !== undefined ? { replays: opts.replays } : {}),
    ...(opts.windowDays !== undefined ? { windowDays: opts.windowDays } : {}),
  };
  if (!Number.isInteger(rule.replays) || rule.replays < 1)
    throw new UsageError("--replays expects a whole number >= 1");
  if (!(rule.windowDays > 0)) throw new UsageError("--window-days expects a positive number");
  if (!Number.isInteger(opts.seeds) || opts.seeds < 1)
    throw new UsageError("--seeds expects a positive whole number");
  const progress = new Progress(!opts.json);
  const onProgress = (phase: string, done: number, total: number) => progress.update(phase, done, total);
  let report: FavouriteEvaluation & { source: string; seeds?: number[] };
  if (opts.simulated) {
    const seeds = Array.from({ length: opts.seeds }, (_, s) => opts.simSeed + s);
    const runs: FavouriteRun[] = [];
    let examples = 0;
    let positives = 0;
    for (const [k, seed] of seeds.entries()) {
      progress.update("simulated histories", k, seeds.length);
      const plays = simulateFavouriteHistories({ seed, ...(opts.simUsers ? { users: opts.simUsers } : {}) });
      const r = evaluateFavourites(plays, { rule, cutShiftsDays: [0], seed });
      runs.push(...r.runs);
      examples += r.examples;
      positives += r.positiveRate * r.examples;
    }
    report = { source: "simulated", seeds, examples, positiveRate: positives / examples, runs };
  } else {
    report = await withEngine(opts, (engine) =>
      engine.favourites.evaluate({ source: "store" }, { rule }, onProgress),
    );
  }
  progress.stop();
  if (opts.record) await recordReport(opts, "delayed", report);
  console.log(opts.json ? JSON.stringify(report) : formatDelayed(report));
}

function formatDelayed(r: FavouriteEvaluation & { source: string; seeds?: number[] }): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : "-");
  const lines = [
    `${r.source}: ${r.examples} first long plays, ${(100 * r.positiveRate).toFixed(1)}% became favourites`,
  ];
  for (const [k, run] of r.runs.entries()) {
    const label = r.seeds ? `seed ${r.seeds[k]}` : `cut ${run.cutShiftDays} days back`;
    lines.push(
      `${label}: trained on ${run.trainExamples} (${run.immatureExamples} still open), tested on ${run.testExamples} (${(100 * run.testPositiveRate).toFixed(1)}% positive)`,
      "  method       AUC     log loss  ECE     gap closed (log loss / AUC)",
    );
    for (const [m, q] of Object.entries(run.methods)) {
      const g = run.gapClosed[m as keyof typeof run.gapClosed];
      lines.push(
        `  ${m.padEnd(11)}  ${f(q.auc)}  ${f(q.logLoss)}    ${f(q.ece)}  ${f(g.logLoss)} / ${f(g.auc)}`,
      );
    }
    lines.push("  recall (precision) at P*:  single | MIST | EW-DPMT");
    for (const [p, t] of Object.entries(run.thresholds))
      lines.push(
        `  P* ${p.padEnd(5)} ${[t.single, t.mist, t.ewDpmt].map((q) => `${q.recall.toFixed(3)} (${q.precision.toFixed(2)})`).join(" | ")}`,
      );
  }
  return lines.join("\n");
}

/**
 * `eval --resolve-decision`: play or ask on the simulated assistant, per seed. --save-decision writes the
 * first seed's MIST thresholds per P* in the form resolve reads from the models folder (resolve-decision.json).
 */
export async function runResolveDecisionEvaluation(opts: {
  seeds: number;
  simSeed: number;
  simUsers?: number;
  simDays?: number;
  saveDecision?: string;
  bootstrap?: number;
  newUserShare?: number;
  json?: boolean;
  store: string;
  models?: string;
  /** Keep the report beside the store's models for the dashboard (kind "decision"). */
  record?: boolean;
}): Promise<void> {
  if (!Number.isInteger(opts.seeds) || opts.seeds < 1)
    throw new UsageError("--seeds expects a positive whole number");
  if (opts.bootstrap !== undefined && !(Number.isInteger(opts.bootstrap) && opts.bootstrap >= 2))
    throw new UsageError("--bootstrap expects a whole number of members, at least 2");
  if (opts.newUserShare !== undefined && !(opts.newUserShare >= 0 && opts.newUserShare <= 1))
    throw new UsageError("--new-user-share expects a share between 0 and 1");
  const progress = new Progress(!opts.json);
  const reports: ResolveDecisionReport[] = [];
  for (let k = 0; k < opts.seeds; k++) {
    progress.update("simulated assistants", k, opts.seeds);
    reports.push(
      evaluateResolveDecision({
        seed: opts.simSeed + k,
        ...(opts.simUsers ? { users: opts.simUsers } : {}),
        ...(opts.simDays ? { days: opts.simDays } : {}),
        ...(opts.bootstrap ? { bootstrap: opts.bootstrap } : {}),
        ...(opts.newUserShare !== undefined ? { newUserShare: opts.newUserShare } : {}),
      }),
    );
  }
  progress.stop();
  if (opts.saveDecision) {
    const policies = Object.fromEntries(Object.entries(reports[0].policies).map(([p, m]) => [p, m.mist]));
    writeFileAtomic(opts.saveDecision, `${JSON.stringify({ policies }, null, 2)}\n`);
  }
  if (opts.record) await recordReport(opts, "decision", { runs: reports });
  if (opts.json) {
    console.log(JSON.stringify({ runs: reports }));
    return;
  }
  const cell = (q: { played: number; precision: number }) =>
    `${q.played.toFixed(3)} (${q.precision.toFixed(3)})`;
  const lines = ["share played directly (precision of those), held-out simulated requests:"];
  for (const r of reports) {
    lines.push(`seed ${r.seed}: ${r.testRequests} test requests, top-1 accuracy ${r.topAccuracy.toFixed(3)}`);
    if (r.newUsers.share > 0)
      lines.push(
        `  new users (${r.newUsers.share} of users): ${(100 * r.newUsers.testShare).toFixed(1)}% of test requests, top-1 accuracy ${r.newUsers.topAccuracy?.toFixed(3) ?? "-"}`,
      );
    lines.push("  P*     confidence>=P*   single           MIST             EW-DPMT");
    for (const [p, q] of Object.entries(r.byPrecision))
      lines.push(`  ${p.padEnd(5)}  ${[q.confidence, q.single, q.mist, q.ewDpmt].map(cell).join("  ")}`);
    if (r.bootstrap) {
      lines.push(
        `  uncertainty = spread of ${r.bootstrap.members} bootstrap members (Spearman with the user's-evidence one ${r.bootstrap.spearmanWithEvidence.toFixed(3)}):`,
        "  P*     MIST             EW-DPMT",
      );
      for (const [p, q] of Object.entries(r.bootstrap.byPrecision))
        lines.push(`  ${p.padEnd(5)}  ${[q.mist, q.ewDpmt].map(cell).join("  ")}`);
    }
  }
  console.log(lines.join("\n"));
}

/** Keeps an evaluation report in the store's models folder, where the dashboard's Favourites page reads it. */
function recordReport(
  opts: { store: string; models?: string },
  kind: string,
  report: unknown,
): Promise<void> {
  return withEngine(opts, async (engine) => {
    engine.insights.recordEvaluation(kind, commandLine(), report);
  });
}

function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSynced(tmp, text);
  renameSync(tmp, path);
}
