import type { Command } from "commander";
import {
  type BanditLog,
  empiricalPolicyTable,
  evaluateOffPolicy,
  onPolicyValue,
  positionPolicy,
  relativeErrors,
  type TargetPolicy,
  uniformPolicy,
} from "../../core/bandits/ope.js";
import { readOpenBanditLog } from "../../ingest/open-bandit.js";
import { UsageError } from "../errors.js";
import { number } from "../options.js";
import { Progress } from "../progress.js";

/** `--policy uniform` or `--policy FILE`: the policy that wrote another log, as its per-slot action shares. */
async function targetFrom(
  spec: string,
  log: BanditLog,
): Promise<{ name: string; policy: TargetPolicy; file?: string }> {
  if (spec === "uniform") return { name: "uniform", policy: uniformPolicy(log.nActions, log.nPositions) };
  const other = await readOpenBanditLog(spec);
  if (other.nPositions !== log.nPositions)
    throw new UsageError(`--policy ${spec} has ${other.nPositions} slots, the log has ${log.nPositions}`);
  const nActions = Math.max(other.nActions, log.nActions);
  const table = new Float64Array(nActions * log.nPositions);
  const own = empiricalPolicyTable(other);
  for (let k = 0; k < log.nPositions; k++)
    for (let a = 0; a < other.nActions; a++) table[k * nActions + a] = own[k * other.nActions + a];
  return { name: `policy that wrote ${spec}`, policy: positionPolicy(table, nActions), file: spec };
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(5) : "-");

export function banditCommand(program: Command): void {
  const bandit = program
    .command("bandit")
    .description("home shelves that learn: off-policy evaluation, simulation, live policy state");

  bandit
    .command("ope")
    .description(
      "estimate a policy's click rate from a log another policy wrote (Open Bandit format): DM, IPS, SNIPS, DR with bootstrap 95% intervals",
    )
    .requiredOption(
      "--log <file>",
      "logged feedback (CSV, gzip ok): item_id, position, click, propensity_score, user_feature_*",
    )
    .requiredOption(
      "--policy <uniform|file>",
      "the policy to evaluate: uniform, or the policy that wrote this other log",
    )
    .option(
      "--observed <file>",
      "the evaluated policy's own log, to compare with (default: the --policy file)",
    )
    .option("--resamples <n>", "bootstrap resamples for IPS and SNIPS", number("resamples"), 1000)
    .option(
      "--refits <n>",
      "bootstrap resamples with a refitted reward model for DM and DR",
      number("refits"),
      200,
    )
    .option("--seed <n>", "seed of folds and resamples", number("seed"), 1)
    .option("--json", "print JSON")
    .action(async (opts) => {
      for (const key of ["resamples", "refits"] as const)
        if (!Number.isInteger(opts[key]) || opts[key] < 0)
          throw new UsageError(`--${key} expects a whole number >= 0`);
      const log = await readOpenBanditLog(opts.log);
      const target = await targetFrom(opts.policy, log);
      const observedFile: string | undefined = opts.observed ?? target.file;
      const observed = observedFile ? onPolicyValue(await readOpenBanditLog(observedFile)) : undefined;
      const progress = new Progress(!opts.json);
      const report = evaluateOffPolicy(log, target.policy, {
        resamples: opts.resamples,
        refits: opts.refits,
        seed: opts.seed,
        onRefit: (done, total) => progress.update("reward-model refits", done, total),
      });
      progress.stop();
      const rows = report.estimates.map((e) => ({
        estimator: e.estimator,
        estimate: e.value,
        lower: e.lower,
        upper: e.upper,
        ...(observed
          ? {
              relativeError: relativeErrors(e, observed.value).point,
              meanRelativeErrorOverResamples: relativeErrors(e, observed.value).meanOverResamples,
              coversObserved: e.lower <= observed.value && observed.value <= e.upper,
            }
          : {}),
      }));
      const summary = {
        log: opts.log,
        policy: target.name,
        rows: report.n,
        meanWeight: report.meanWeight,
        maxWeight: report.maxWeight,
        effectiveSampleSize: report.effectiveSampleSize,
        rewardModelLambda: report.rewardModel.lambda,
        observed,
        estimates: rows,
      };
      if (opts.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      console.log(`${target.name}, estimated from ${opts.log} (${report.n} rows)`);
      console.log(
        `mean importance weight ${report.meanWeight.toFixed(3)} (1 when the logged propensities are right), max ${report.maxWeight.toFixed(1)}, effective sample ${report.effectiveSampleSize.toFixed(0)}; reward model L2 ${report.rewardModel.lambda} (5-fold CV on the log)`,
      );
      if (observed)
        console.log(
          `observed on-policy value ${fmt(observed.value)} [${fmt(observed.lower)}, ${fmt(observed.upper)}] from ${observedFile}`,
        );
      console.log(
        "estimator  estimate  95% interval          rel. error  mean rel. error (resamples)  covers",
      );
      for (const r of rows)
        console.log(
          `${r.estimator.padEnd(9)}  ${fmt(r.estimate)}   [${fmt(r.lower)}, ${fmt(r.upper)}]  ${
            r.relativeError !== undefined ? r.relativeError.toFixed(3).padStart(10) : ""
          }  ${r.meanRelativeErrorOverResamples !== undefined ? r.meanRelativeErrorOverResamples.toFixed(3).padStart(27) : ""}  ${
            r.coversObserved === undefined ? "" : r.coversObserved ? "yes" : "no"
          }`,
        );
    });
}
