import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { splitSettingsSchema, toTrainConfig } from "../../config.js";
import type { PlaylistEvaluationReport } from "../../core/evaluation/playlists.js";
import { evaluateRewrites, type RewriteEvaluationReport } from "../../core/evaluation/rewrites.js";
import { evaluateVoiceContext, type VoiceContextReport } from "../../core/evaluation/voice-context.js";
import { truthFromJson } from "../../core/simulate/index.js";
import { UsageError } from "../errors.js";
import { formatAblation, formatEvaluation } from "../format.js";
import { addModelOptions, addStoreOptions, number, trainSettingsFrom } from "../options.js";
import { ablationSvg } from "../plot.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";
import { addGraphOptions, runDirectedEvaluation } from "./directed.js";
import { runDelayedEvaluation, runResolveDecisionEvaluation } from "./eval-delayed.js";
import { runRewriteDecisionEvaluation } from "./eval-rewrite-decision.js";
import { runThresholdsEvaluation } from "./eval-thresholds.js";

export function evalCommand(program: Command): void {
  const cmd = program
    .command("eval")
    .description(
      "train on earlier plays and score later ones: Spearman with play duration, AUC, top-10 metrics, vs baselines",
    )
    .option("--split-date <date>", "train on plays before this date (ISO 8601)")
    .option("--split <share>", "cut at this quantile of all plays' times (default 0.8)", number("split"))
    .option(
      "--split-per-user <share>",
      "cut at this quantile of each user's own plays' times",
      number("split-per-user"),
    )
    .option(
      "--split-random <share>",
      "random split of user-item pairs (sources without times)",
      number("split-random"),
    )
    .option("--ablation", "train every weighting x (P-only, P+N) and print the ablation table")
    .option("--seeds <n>", "runs per ablation variant (median shown)", number("seeds"), 3)
    .option("--plot <file.svg>", "with --ablation: also draw the table as an SVG bar chart")
    .option("--no-wrmf", "skip the WRMF baseline")
    .option("--resolution", "resolution accuracy of held-out requests: tastebud vs popularity-only vs random")
    .option(
      "--truth <file>",
      "a simulator truth.json: also compare the learned ranking with the true affinities",
    )
    .option(
      "--rewrites",
      "on the simulated voice assistant (not the store): rephrase detection, Markov rewrites, online rewriting, self-awareness under drift",
    )
    .option(
      "--context",
      "on the simulated voice assistant (not the store): resolution with vs without context, failure point isolation vs a rule baseline",
    )
    .option("--sim-seed <n>", "with --rewrites/--context: the simulated world's seed", number("sim-seed"), 1)
    .option(
      "--sim-users <n>",
      "simulated users (default 300 for --rewrites, 700 for --context)",
      number("sim-users"),
    )
    .option(
      "--sim-days <n>",
      "simulated days (default 28; --rewrites holds out the second half, --context the last 7)",
      number("sim-days"),
    )
    .option(
      "--delayed",
      "favourites from labels that arrive late: naive, wait, importance-weighted, oracle; thresholds on (score, uncertainty)",
    )
    .option("--simulated", "with --delayed: on simulated histories (--seeds of them) instead of the store")
    .option(
      "--replays <k>",
      "with --delayed: long replays that make a favourite (default 2)",
      number("replays"),
    )
    .option(
      "--window-days <days>",
      "with --delayed: days they must come within (default 30)",
      number("window-days"),
    )
    .option(
      "--resolve-decision",
      "on the simulated voice assistant (--seeds of them): resolve's play-or-ask at P* 0.8/0.9/0.95, raw confidence vs fitted single, MIST and EW-DPMT thresholds",
    )
    .option(
      "--new-user-share <share>",
      "with --resolve-decision: share of simulated users new to the assistant, each starting on a uniform random day (default 0)",
      number("new-user-share"),
    )
    .option(
      "--rewrite-decision",
      "on the simulated voice assistant (--seeds of them): the rewrite table's decision at P* 0.8/0.9/0.95, the gain gate vs single, MIST and EW-DPMT thresholds on (success estimate, its spread: analytic or a bootstrap's)",
    )
    .option(
      "--save-decision <file>",
      "with --resolve-decision: write the fitted thresholds (resolve reads <models>/resolve-decision.json)",
    )
    .option(
      "--bootstrap <members>",
      "with --resolve-decision: also fit MIST and EW-DPMT on the spread of a bootstrap ensemble of the affinity model (each member on 80% of the training requests); with --thresholds: the ensemble's size (default 10); with --rewrite-decision: the bootstrap's members (default 50)",
      number("bootstrap"),
    )
    .option(
      "--thresholds",
      "will this user like this item (weight > 0, e.g. rating >= 4): recall at precision 0.8/0.9/0.95 of one score threshold vs MIST and EW-DPMT on the user's and item's evidence and on a bootstrap ensemble's spread, per seed (default split: --split-per-user 0.8)",
    )
    .option(
      "--playlists",
      "playlists (discover, mix) and Blends vs popularity and own-top baselines on held-out long plays; MMR and Blend weights chosen on validation (default split: --split-per-user 0.8, or --split-random 0.8 for plays without times such as Last.fm counts)",
    )
    .option("--length <n>", "with --playlists: tracks per playlist (default 30)", number("length"))
    .option(
      "--horizon-days <n>",
      "with --playlists: judge on each listener's held-out plays within this many days of their cut (7: the next week's plays)",
      number("horizon-days"),
    )
    .option(
      "--save-weights",
      "with --playlists: playlists and Blends then use the weights chosen on validation (<models>/playlist-weights.json)",
    )
    .option("--json", "print JSON");
  addModelOptions(addStoreOptions(addGraphOptions(cmd))).action(async (opts, command: Command) => {
    if (opts.graph) return runDirectedEvaluation(opts);
    // Simulated evaluations are kept for the dashboard only in a store the user named (flag or env).
    const named = command.getOptionValueSource("store") !== "default";
    if (opts.delayed) return runDelayedEvaluation({ ...opts, record: named || !opts.simulated });
    if (opts.resolveDecision) return runResolveDecisionEvaluation({ ...opts, record: named });
    if (opts.rewriteDecision) return runRewriteDecisionEvaluation(opts);
    if (opts.thresholds) return runThresholdsEvaluation(opts);
    if (opts.rewrites || opts.context) {
      if (opts.rewrites && opts.context) throw new UsageError("give --rewrites or --context, not both");
      for (const key of ["simSeed", "simUsers", "simDays"] as const) {
        const v = opts[key];
        if (v !== undefined && (!Number.isInteger(v) || v < (key === "simSeed" ? 0 : 2)))
          throw new UsageError(
            `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} expects a whole number`,
          );
      }
      const progress = new Progress(!opts.json);
      const onProgress = (phase: string, done: number, total: number) => progress.update(phase, done, total);
      const world = {
        seed: opts.simSeed,
        ...(opts.simUsers !== undefined ? { users: opts.simUsers } : {}),
        ...(opts.simDays !== undefined ? { days: opts.simDays } : {}),
      };
      if (opts.rewrites) {
        const report = evaluateRewrites({ ...world, onProgress });
        progress.stop();
        console.log(opts.json ? JSON.stringify(report) : formatRewrites(report));
      } else {
        const report = evaluateVoiceContext(world, onProgress);
        progress.stop();
        console.log(opts.json ? JSON.stringify(report) : formatContext(report));
      }
      return;
    }
    const settings = trainSettingsFrom(opts);
    const split = splitSettingsSchema.safeParse({
      splitDate: opts.splitDate,
      split: opts.split,
      splitPerUser: opts.splitPerUser,
      splitRandom: opts.splitRandom,
    });
    if (!split.success) throw new UsageError(split.error.issues[0].message);
    const truth = opts.truth ? truthFromJson(JSON.parse(readFileSync(opts.truth, "utf8"))) : undefined;
    await withEngine(opts, async (engine) => {
      const progress = new Progress(!opts.json);
      const config = toTrainConfig(settings);
      if (opts.playlists) {
        // No split option: the service picks (per-user time split, or random pairs for timeless plays).
        const splitData = split.data;
        if (opts.length !== undefined && !(Number.isInteger(opts.length) && opts.length >= 2))
          throw new UsageError("--length expects a whole number of at least 2");
        if (opts.horizonDays !== undefined && !(opts.horizonDays > 0))
          throw new UsageError("--horizon-days expects a positive number of days");
        const report = await engine.playlists.evaluate(splitData, config, {
          truth,
          ...(opts.length !== undefined ? { length: opts.length } : {}),
          ...(opts.horizonDays !== undefined ? { horizonDays: opts.horizonDays } : {}),
          onProgress: (phase, done, total) => progress.update(phase, done, total),
        });
        progress.stop();
        engine.insights.recordEvaluation("playlists", commandLine(), report);
        if (opts.saveWeights)
          engine.playlists.saveWeights({
            diversity: report.selection.diversity.chosen,
            othersWeight: report.selection.othersWeight.chosen,
            chosenBy: commandLine(),
            at: new Date().toISOString(),
          });
        console.log(opts.json ? JSON.stringify(report) : formatPlaylists(report));
        return;
      }
      if (opts.resolution) {
        const splitData = Object.values(split.data).some((v) => v !== undefined)
          ? split.data
          : { splitPerUser: 0.8 };
        const report = await engine.voice.evaluateResolution(splitData, config, {
          truth,
          onProgress: (phase, done, total) => progress.update(phase, done, total),
        });
        progress.stop();
        engine.insights.recordEvaluation("resolution", commandLine(), report);
        if (opts.json) console.log(JSON.stringify(report));
        else {
          const a = report.accuracy;
          const b = report.ambiguousAccuracy;
          console.log(
            `resolution of ${report.requests} held-out requests (${report.ambiguous} ambiguous by text):`,
          );
          console.log(`  tastebud   ${a.tastebud.toFixed(3)}   ambiguous only ${b.tastebud.toFixed(3)}`);
          console.log(`  popularity ${a.popularity.toFixed(3)}   ambiguous only ${b.popularity.toFixed(3)}`);
          console.log(`  random     ${a.random.toFixed(3)}   ambiguous only ${b.random.toFixed(3)}`);
          console.log(`  intended entity among the text candidates: ${report.candidateRecall.toFixed(3)}`);
        }
        return;
      }
      if (opts.ablation) {
        if (!Number.isInteger(opts.seeds) || opts.seeds < 1)
          throw new UsageError("--seeds expects a positive whole number");
        const rows = await engine.affinity.ablation(split.data, config, opts.seeds, (done, total, label) =>
          progress.update(`ablation ${label}`.trim(), done, total),
        );
        progress.stop();
        engine.insights.recordEvaluation("ablation", commandLine(), { ablation: rows });
        if (opts.plot) {
          const splitName =
            Object.entries(split.data)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v}`)
              .join(", ") || "split 0.8";
          writeFileSync(
            opts.plot,
            ablationSvg(rows, `Weighting ablation, ${splitName}, median of ${opts.seeds} seeds`),
          );
        }
        console.log(opts.json ? JSON.stringify({ ablation: rows }) : formatAblation(rows));
        return;
      }
      const report = await engine.affinity.evaluate(split.data, config, {
        withWrmf: opts.wrmf,
        ...(config.topN === false ? { topN: false as const } : {}),
        truth,
        onProgress: (phase, done, total) => progress.update(phase, done, total),
      });
      progress.stop();
      engine.insights.recordEvaluation("affinity", commandLine(), report);
      console.log(opts.json ? JSON.stringify(report) : formatEvaluation(report));
    });
  });
}

/** This run's command as a person would type it (kept with each evaluation record). */
export function commandLine(): string {
  const quote = (a: string) => (/^[\w./:=@,+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  return ["tastebud", ...process.argv.slice(2).map(quote)].join(" ");
}

function formatPlaylists(r: PlaylistEvaluationReport): string {
  const f = (x: number | undefined) => (x === undefined ? "    -" : x.toFixed(3));
  const truth = r.playlists.discover.trueAffinity !== undefined;
  const lines = [
    `${r.split.users} listeners, ${r.length} tracks per list; trained on ${r.split.train} plays (validation ${r.split.validation} of them), judged on ${r.split.heldOutLongPlays} held-out long plays`,
    `weights chosen on validation: MMR diversity ${r.selection.diversity.chosen} (hand-set ${r.selection.diversity.handSet}), Blend others' weight ${r.selection.othersWeight.chosen} (hand-set ${r.selection.othersWeight.handSet})`,
    "",
    `list          hit rate  precision  NDCG   new hits  familiar  diversity  artists/track${truth ? "  true aff.  true aff. new" : ""}`,
  ];
  const names: Array<[keyof PlaylistEvaluationReport["playlists"], string]> = [
    ["discover", "discover"],
    ["mix", "mix"],
    ["popularity", "popularity"],
    ["popularNew", "popular new"],
    ["ownTop", "own top"],
  ];
  for (const [key, label] of names) {
    const m = r.playlists[key];
    lines.push(
      `${label.padEnd(13)} ${f(m.hitRate).padEnd(9)} ${f(m.precision).padEnd(10)} ${f(m.ndcg).padEnd(6)} ${f(m.newHits).padEnd(9)} ${f(m.familiarShare).padEnd(9)} ${f(m.diversity).padEnd(10)} ${f(m.artistCoverage).padEnd(13)}${truth ? `  ${f(m.trueAffinity).padEnd(9)}  ${f(m.trueAffinityNew)}` : ""}`,
    );
  }
  for (const b of r.blend) {
    lines.push(
      "",
      `Blend of ${b.members} (${b.groups} groups)  predicted: joy  worst  equal  democratic  coherent | held-out: mean  worst${truth ? " | true: joy  worst" : ""}`,
    );
    for (const [policy, m] of Object.entries(b.policies))
      lines.push(
        `  ${policy.padEnd(21)}  ${f(m.joy)} ${f(m.worstMember)} ${f(m.equal)}  ${f(m.democratic)}       ${f(m.coherent)}    |     ${f(m.heldOutMean)} ${f(m.heldOutWorst)}${truth ? ` |      ${f(m.trueJoy)} ${f(m.trueWorst)}` : ""}`,
      );
  }
  if (r.creators) {
    const c = r.creators;
    lines.push(
      "",
      `similar creators against the truly alike (${c.creators} creators, top ${c.k}): NDCG  Spearman`,
      `  taste space     ${f(c.tasteSpace.ndcg)} ${f(c.tasteSpace.spearman)}`,
      `  co-listening    ${f(c.coListening.ndcg)} ${f(c.coListening.spearman)}`,
    );
  }
  return lines.join("\n");
}

function formatRewrites(r: RewriteEvaluationReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const ratio = (x: number | null) => (x === null ? "no losses" : x.toFixed(1));
  const lines = [
    `simulated voice assistant: ${r.world.users} users, ${r.world.days} days (seed ${r.world.seed}); learned on ${r.world.trainDays} days, judged on ${r.world.heldOutDays} held-out days (${r.world.heldOutTurns} turns)`,
    `detection   defects P ${r.detection.defects.precision.toFixed(3)} R ${r.detection.defects.recall.toFixed(3)}; rephrases P ${r.detection.rephrases.precision.toFixed(3)} R ${r.detection.rephrases.recall.toFixed(3)}`,
    `markov      ${r.markov.rules} rewrites; defect rate ${pct(r.markov.defectRateWithout)} -> ${pct(r.markov.defectRate)} (${pct(r.markov.defectChange)}); win/loss ${r.markov.wins}/${r.markov.losses} = ${ratio(r.markov.winLossRatio)} (gated, z ${r.validation.gateZ} chosen on the training days; to everyone: ${pct(r.markovUngated.defectChange)}, ${r.markovUngated.wins}/${r.markovUngated.losses})`,
    `online      global ${pct(r.online.global.defectChange)} (win/loss ${ratio(r.online.global.winLossRatio)}); global + personal ${pct(r.online.globalPersonal.defectChange)} (win/loss ${ratio(r.online.globalPersonal.winLossRatio)})`,
    `self-aware  meanings change on day ${r.selfAware.driftDay}: ${r.selfAware.withdrawn.length} of ${r.selfAware.liveRules} rewrites withdrawn (${r.selfAware.withdrawnBeforeDrift} before the change)`,
  ];
  for (const w of r.selfAware.withdrawn)
    lines.push(
      `            day ${w.day}: "${w.source}" -> "${w.rewrite}" (rewritten ${w.rewrittenSuccess.toFixed(2)} vs original ${w.originalSuccess.toFixed(2)})`,
    );
  lines.push("top rewrites:");
  for (const t of r.markov.top)
    lines.push(`  "${t.source}" -> "${t.rewrite}" (${t.support} users, gain ${t.gain.toFixed(2)})`);
  return lines.join("\n");
}

function formatContext(r: VoiceContextReport): string {
  const acc = (x: { withContext: number; withoutContext: number; popularity: number; cases: number }) =>
    `${x.withContext.toFixed(3)} with context, ${x.withoutContext.toFixed(3)} without, popularity ${x.popularity.toFixed(3)} (${x.cases} requests)`;
  const lines = [
    `simulated voice assistant: ${r.world.users} users, ${r.world.days} days (seed ${r.world.seed}); learned on ${r.world.trainDays} days, judged on ${r.world.heldOutDays} (${r.world.heldOutTurns} turns)`,
    "resolution, top-1 accuracy on first attempts:",
    `  titles shared across kinds  ${acc(r.resolution.crossKind)}`,
    `  all ambiguous titles        ${acc(r.resolution.ambiguous)}`,
    `  all requests                ${acc(r.resolution.all)}`,
    `  evidence vs prior: taste ${r.resolution.blend.taste}, κ ${r.resolution.blend.kappa}, replays ${r.resolution.blend.replays}, fitted on the last ${r.resolution.blendFit.days} training days (${r.resolution.blendFit.turns} turns: ${r.resolution.blendFit.accuracy.toFixed(3)} vs the prior's ${r.resolution.blendFit.priorAccuracy.toFixed(3)})`,
    `failure point isolation: macro-F1 ${r.failurePoints.macroF1.classifier.toFixed(3)} (classifier) vs ${r.failurePoints.macroF1.ruleBaseline.toFixed(3)} (rules)`,
  ];
  const labels = r.failurePoints.classifier.labels;
  lines.push(
    `  F1 classifier/rules  ${labels.map((l) => `${l} ${r.failurePoints.classifier.perClass[l].f1.toFixed(2)}/${r.failurePoints.ruleBaseline.perClass[l].f1.toFixed(2)}`).join("  ")}`,
  );
  lines.push(`  confusion (rows truth, columns predicted: ${labels.join(" ")})`);
  for (const t of labels)
    lines.push(
      `    ${t.padEnd(10)} ${labels.map((p) => String(r.failurePoints.classifier.confusion[t][p]).padStart(6)).join("")}`,
    );
  lines.push(`most failing stage (predicted): ${r.failures.predicted.worstStage ?? "none"}`);
  return lines.join("\n");
}
