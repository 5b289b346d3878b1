import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import {
  type CarouselWorld,
  carouselEnvironment,
  drawUsers,
  kMeansSegments,
} from "../../core/bandits/carousel.js";
import {
  type BanditEnvironment,
  policySetting,
  type SimulatedDisplay,
  type SimulationRun,
  simulateBandit,
} from "../../core/bandits/environment.js";
import { type FitReport, fittedEnvironment } from "../../core/bandits/fitted.js";
import { type FittedPagesReport, fittedPagesEnvironment } from "../../core/bandits/fitted-pages.js";
import {
  type BanditLog,
  empiricalPolicyTable,
  evaluateOffPolicy,
  knobChoices,
  onPolicyValue,
  positionPolicy,
  relativeErrors,
  type TargetPolicy,
  uniformPolicy,
} from "../../core/bandits/ope.js";
import { makePolicy, policyNames } from "../../core/bandits/presets.js";
import { worldShelfEnvironment } from "../../core/bandits/world-shelves.js";
import { simulateWorld } from "../../core/simulate/world.js";
import { readNumericCsv } from "../../ingest/deezer-carousel.js";
import { readOpenBanditLog } from "../../ingest/open-bandit.js";
import { UsageError } from "../errors.js";
import { addStoreOptions, number } from "../options.js";
import { linesSvg } from "../plot.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";
import { commandLine } from "./eval.js";

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
  banditSimulateCommand(bandit);
  banditStoreCommands(bandit);

  bandit
    .command("ope")
    .description(
      "estimate a policy's click rate from a log another policy wrote (Open Bandit format): DM, IPS, SNIPS, DR, Switch-DR and DRos (knobs chosen by SLOPE on the log) with bootstrap 95% intervals",
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
    .option(
      "--reward-model <fit>",
      "plain: fit the reward model on the log as logged; importance-weighted: weight rows by pi_e/pi_0 (fit and CV)",
      "plain",
    )
    .option(
      "--tuning <how>",
      "Switch-DR's and DRos's knobs: slope (Lepski's rule on every resample) or split (split-half validation on the log: the knob whose half-log estimate is closest to the other half's SNIPS, chosen once)",
      "slope",
    )
    .option("--splits <n>", "random halvings for --tuning split", number("splits"), 20)
    .option(
      "--store <path>",
      "keep the report in this store's models folder (the dashboard's Home page shows it)",
    )
    .option("--models <dir>", "folder of model versions (default <store>.models)")
    .option("--json", "print JSON")
    .action(async (opts) => {
      if (!(knobChoices as readonly string[]).includes(opts.tuning))
        throw new UsageError(`--tuning expects ${knobChoices.join(" or ")}`);
      if (opts.rewardModel !== "plain" && opts.rewardModel !== "importance-weighted")
        throw new UsageError("--reward-model expects plain or importance-weighted");
      for (const key of ["resamples", "refits", "splits"] as const)
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
        importanceWeightedModel: opts.rewardModel === "importance-weighted",
        tuning: opts.tuning,
        splits: opts.splits,
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
        rewardModel: opts.rewardModel,
        // JSON has no Infinity: say it in words (the knob left at plain DR).
        switchTau: Number.isFinite(report.tuning.switchTau) ? report.tuning.switchTau : "Infinity",
        drosLambda: Number.isFinite(report.tuning.drosLambda) ? report.tuning.drosLambda : "Infinity",
        tuning: report.tuning.method,
        ...(report.tuning.splits ? { splits: report.tuning.splits } : {}),
        observed,
        estimates: rows,
      };
      if (opts.store)
        await withEngine({ store: opts.store, models: opts.models }, async (engine) => {
          engine.insights.recordEvaluation("bandit-ope", commandLine(), summary);
        });
      if (opts.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      console.log(`${target.name}, estimated from ${opts.log} (${report.n} rows)`);
      console.log(
        `mean importance weight ${report.meanWeight.toFixed(3)} (1 when the logged propensities are right), max ${report.maxWeight.toFixed(1)}, effective sample ${report.effectiveSampleSize.toFixed(0)}; reward model ${opts.rewardModel}, L2 ${report.rewardModel.lambda} (5-fold CV on the log)`,
      );
      console.log(
        `chosen by ${report.tuning.method === "split" ? `split-half validation on the log (${report.tuning.splits} halvings; intervals hold the knobs fixed)` : "SLOPE on the log"}: Switch-DR threshold ${report.tuning.switchTau}, DRos shrinkage ${report.tuning.drosLambda} (Infinity = plain DR, 0 = DM)`,
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

/** The carousel world of Bendada et al. from the staged files, with `population` users drawn around the real ones. */
export async function deezerWorld(
  dataDir: string,
  population: number,
  segments: number,
  seed: number,
): Promise<CarouselWorld> {
  const arms = await readNumericCsv(join(dataDir, "playlist_features.csv"));
  const real = await readNumericCsv(join(dataDir, "user_features_small.csv"), ["segment"]);
  const dim = arms.cols;
  if (real.cols !== dim - 1)
    throw new UsageError(
      `user features have ${real.cols} dimensions; the playlists expect ${dim - 1} plus a bias`,
    );
  const users = drawUsers(real.values, real.rows, dim, population, seed);
  return {
    dim,
    nArms: arms.rows,
    arms: arms.values,
    nUsers: population,
    users,
    segments: kMeansSegments(users, population, dim, segments, seed),
    nSegments: segments,
  };
}

const envNames = ["deezer", "world", "fitted"] as const;

type Fitted =
  | { env: BanditEnvironment; fit: FitReport; from: "log" }
  | { env: BanditEnvironment; fit: FittedPagesReport; from: "store" };

/** The fitted environment: to an Open Bandit file (--log), or to a store's own home-page log (--impressions). */
async function fitEnvironment(opts: Record<string, string | number>): Promise<Fitted> {
  if (!opts.impressions) {
    const { env, fit } = fittedEnvironment(await readOpenBanditLog(String(opts.log)), {
      segments: Number(opts.segments),
    });
    return { env, fit, from: "log" };
  }
  const logged = await withEngine({ store: String(opts.impressions) }, (engine) => engine.home.loggedPages());
  if (logged.pages.length === 0)
    throw new UsageError(`${opts.impressions} has no impressions to fit a simulator to`);
  const { env, fit } = fittedPagesEnvironment(logged.pages, {
    nUsers: logged.users.length,
    nItems: logged.items.length,
    itemLabels: logged.items,
  });
  return { env, fit, from: "store" };
}

/** One environment per seed (deezer and world draw a new population; fitted is fitted once, to the log). */
async function environmentFor(
  opts: Record<string, string | number>,
  seed: number,
  fittedOnce: () => Promise<Fitted>,
): Promise<BanditEnvironment> {
  if (opts.env === "deezer") {
    const world = await deezerWorld(String(opts.data), Number(opts.population), Number(opts.segments), seed);
    return carouselEnvironment(world);
  }
  if (opts.env === "world")
    return worldShelfEnvironment(
      simulateWorld({
        users: Number(opts.worldUsers),
        items: Number(opts.worldItems),
        days: Number(opts.worldDays),
        seed,
      }),
      { segments: Number(opts.segments), seed },
    );
  return (await fittedOnce()).env;
}

/**
 * A simulated impression log in the format `bandit ingest` reads: one page per display of `policy`, round r
 * placed in hour r from Monday 5 January 2026 UTC (visits spread evenly within it), a stream of 60 s on the
 * slot that earned the reward. The simulator has no clock, so the times only order the pages.
 */
function impressionLogWriter(env: BanditEnvironment, policy: string, seed: number) {
  const impressions: string[] = [];
  const feedback: string[] = [];
  const start = Date.UTC(2026, 0, 5);
  return {
    add(d: SimulatedDisplay, perRound: number) {
      if (d.policy !== policy) return;
      const time = new Date(start + d.round * 3_600_000 + Math.floor((d.visit * 3_600_000) / perRound));
      const pageId = `sim-${seed}-${d.round}-${d.visit}`;
      for (let k = 0; k < d.arms.length; k++) {
        if (!(d.propensities[k] > 0))
          throw new UsageError(
            `--log-impressions: ${policy} logs no propensity for its slots (log with random or epsilon-greedy)`,
          );
        impressions.push(
          JSON.stringify({
            impressionId: `${pageId}:${k}`,
            pageId,
            user: `listener-${d.user}`,
            time: time.toISOString(),
            slot: k,
            item: env.armLabels?.[d.arms[k]] ?? `arm-${d.arms[k]}`,
            policy,
            propensity: Math.min(d.propensities[k], 1),
          }),
        );
        if (k < d.seen && d.rewards[k] > 0)
          feedback.push(
            JSON.stringify({
              impressionId: `${pageId}:${k}`,
              time: new Date(time.getTime() + 60_000).toISOString(),
              kind: "stream",
              playedMs: 60_000,
            }),
          );
      }
    },
    write(prefix: string) {
      writeFileSync(`${prefix}.impressions.jsonl`, `${impressions.join("\n")}\n`);
      writeFileSync(`${prefix}.feedback.jsonl`, feedback.length ? `${feedback.join("\n")}\n` : "");
    },
  };
}

export function banditSimulateCommand(bandit: Command): void {
  bandit
    .command("simulate")
    .description(
      "run bandit policies in a simulated world where the truth is known and print cumulative regret against the oracle and rewards per display: deezer (the carousel of Bendada et al., RecSys 2020), world (home shelves in tastebud's simulated listener world), fitted (a click model fitted to a logged bandit feedback file)",
    )
    .option("--env <name>", `environment: ${envNames.join(", ")}`, "deezer")
    .option("--policies <list>", `comma-separated: ${policyNames.join(", ")}`, policyNames.join(","))
    .option("--rounds <n>", "rounds (batch feedback at each round's end)", number("rounds"), 100)
    .option(
      "--users-per-round <n>",
      "displays per round (the paper: 20,000)",
      number("users-per-round"),
      1000,
    )
    .option(
      "--population <n>",
      "deezer: simulated users, drawn around the 9 real ones",
      number("population"),
      10_000,
    )
    .option(
      "--segments <n>",
      "k-means user segments (the paper: 100 over 974,960 users)",
      number("segments"),
      20,
    )
    .option("--seeds <list>", "comma-separated seeds; one run per seed", "1,2,3")
    .option(
      "--data <dir>",
      "deezer: folder with playlist_features.csv and user_features_small.csv",
      "../shared/data/deezer-carousel-bandits",
    )
    .option("--world-users <n>", "world: listeners", number("world-users"), 300)
    .option("--world-items <n>", "world: catalogue items", number("world-items"), 2000)
    .option(
      "--world-days <n>",
      "world: days of listening behind the shelves and visit rates",
      number("world-days"),
      60,
    )
    .option(
      "--log <file>",
      "fitted: logged bandit feedback in the Open Bandit format (item_id, position, click, propensity_score, user_feature_*)",
      "../shared/data/open-bandit-dataset-men/random.csv.gz",
    )
    .option(
      "--impressions <store>",
      "fitted: fit to this store's home-page impressions and feedback (visits per user and part of the week, stream rates per shelf and part of the week) instead of --log",
    )
    .option(
      "--log-impressions <prefix>",
      "write the first policy's displays in the first seed as PREFIX.impressions.jsonl and PREFIX.feedback.jsonl (streams), for `bandit ingest`: one round an hour from Monday 5 January 2026 UTC",
    )
    .option("--plot <file.svg>", "write the mean cumulative regret per round as an SVG chart")
    .option(
      "--store <path>",
      "keep the report in this store's models folder (the dashboard's Home page shows it)",
    )
    .option("--models <dir>", "folder of model versions (default <store>.models)")
    .option("--json", "print JSON")
    .action(async (opts) => {
      if (!(envNames as readonly string[]).includes(opts.env))
        throw new UsageError(`--env ${opts.env} is not known; choose ${envNames.join(", ")}`);
      for (const key of [
        "rounds",
        "usersPerRound",
        "population",
        "segments",
        "worldUsers",
        "worldItems",
        "worldDays",
      ] as const)
        if (!Number.isInteger(opts[key]) || opts[key] < 1)
          throw new UsageError(
            `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} expects a whole number >= 1`,
          );
      const names = String(opts.policies)
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean);
      for (const n of names)
        if (!(policyNames as readonly string[]).includes(n))
          throw new UsageError(`unknown policy ${n}; known: ${policyNames.join(", ")}`);
      const seeds = String(opts.seeds)
        .split(",")
        .map((s) => Number(s.trim()));
      if (seeds.some((s) => !Number.isInteger(s)))
        throw new UsageError("--seeds expects whole numbers separated by commas");
      const progress = new Progress(!opts.json);
      let fitted: Fitted | undefined;
      const fittedOnce = async () => {
        progress.update("fitting the simulator to the log", 0, 1);
        fitted ??= await fitEnvironment(opts);
        return fitted;
      };
      const perSeed: Array<{ seed: number; runs: SimulationRun[]; arms: number }> = [];
      for (const seed of seeds) {
        progress.update(`seed ${seed}: building the ${opts.env} environment`, 0, 1);
        const env = await environmentFor(opts, seed, fittedOnce);
        const setting = policySetting(env);
        const log =
          opts.logImpressions && seed === seeds[0] ? impressionLogWriter(env, names[0], seed) : null;
        const runs = simulateBandit(
          env,
          names.map((n) => makePolicy(n, setting)),
          {
            rounds: opts.rounds,
            usersPerRound: opts.usersPerRound,
            seed,
            onRound: (policy, round) => progress.update(`seed ${seed} ${policy}`, round, opts.rounds),
            ...(log ? { onDisplay: (d: SimulatedDisplay) => log.add(d, opts.usersPerRound) } : {}),
          },
        );
        if (log) log.write(String(opts.logImpressions));
        perSeed.push({ seed, runs, arms: env.nArms });
      }
      progress.stop();
      const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const finalOf = (name: string) => {
        const k = names.indexOf(name);
        return k < 0 ? undefined : perSeed.map((s) => s.runs[k].cumulativeRegret[opts.rounds - 1]);
      };
      const randomFinals = finalOf("random");
      const greedyFinals = finalOf("greedy");
      const summary = names.map((policy, k) => {
        const finals = perSeed.map((s) => s.runs[k].cumulativeRegret[opts.rounds - 1]);
        // Per seed, then averaged: each seed's policies share their visitors and random numbers.
        const ratio = (base: number[] | undefined) =>
          base ? meanOf(finals.map((f, i) => f / base[i])) : undefined;
        return {
          policy,
          cumulativeRegret: finals,
          meanCumulativeRegret: meanOf(finals),
          regretVsRandom: ratio(randomFinals),
          regretVsGreedy: ratio(greedyFinals),
          rewardsPerDisplay: perSeed.map((s) => s.runs[k].rewardsPerDisplay),
          meanRegretPerRound: Array.from(
            { length: opts.rounds },
            (_, r) => perSeed.reduce((a, s) => a + s.runs[k].cumulativeRegret[r], 0) / perSeed.length,
          ),
        };
      });
      const setup = {
        env: opts.env as string,
        rounds: opts.rounds,
        usersPerRound: opts.usersPerRound,
        segments: opts.segments,
        seeds,
        arms: perSeed[0]?.arms,
        ...(opts.env === "deezer"
          ? {
              population: opts.population,
              scaledDown:
                opts.usersPerRound < 20_000
                  ? `${opts.usersPerRound} displays a round instead of the paper's 20,000`
                  : undefined,
            }
          : {}),
        ...(opts.env === "world"
          ? { worldUsers: opts.worldUsers, worldItems: opts.worldItems, worldDays: opts.worldDays }
          : {}),
        ...(opts.env === "fitted" && fitted
          ? {
              [fitted.from === "store" ? "impressions" : "log"]: opts.impressions ?? opts.log,
              fit: fitted.fit,
            }
          : {}),
      };
      const title = {
        deezer: "Deezer carousel",
        world: "Home shelves in the simulated world",
        fitted: `Simulator fitted to ${opts.impressions ?? opts.log}`,
      }[opts.env as (typeof envNames)[number]];
      if (opts.plot) {
        writeFileSync(
          opts.plot,
          linesSvg(
            summary.map((s) => ({ label: s.policy, values: s.meanRegretPerRound })),
            {
              title: `${title}: cumulative regret (mean of ${seeds.length} seeds, ${opts.usersPerRound} users/round)`,
              xLabel: "round",
              yLabel: "cumulative expected regret",
            },
          ),
        );
      }
      if (opts.store)
        await withEngine({ store: opts.store, models: opts.models }, async (engine) => {
          engine.insights.recordEvaluation("bandit-simulate", commandLine(), { setup, policies: summary });
        });
      if (opts.json) {
        console.log(
          JSON.stringify({ setup, policies: summary.map(({ meanRegretPerRound: _, ...rest }) => rest) }),
        );
        return;
      }
      const describe = {
        deezer: `${opts.rounds} rounds x ${opts.usersPerRound} users (${"scaledDown" in setup && setup.scaledDown ? setup.scaledDown : "paper scale"}), ${opts.population} simulated users in ${opts.segments} segments, 12 slots, 3 visible, cascade feedback`,
        world: `${opts.rounds} rounds x ${opts.usersPerRound} visits, ${opts.worldUsers} listeners (visits in proportion to their plays), ${setup.arms} shelves, 12 slots, 3 visible, cascade feedback; a new world per seed`,
        fitted: !fitted
          ? ""
          : fitted.from === "log"
            ? `${opts.rounds} rounds x ${opts.usersPerRound} visits of the log's visitors, ${setup.arms} items, ${fitted.env.slots} slots with fitted position offsets, independent clicks; click model L2 ${fitted.fit.lambda} (importance-weighted CV), its uniform click rate ${fitted.fit.uniformClickRate.toFixed(5)} vs the log's ${fitted.fit.loggedClickRate.toFixed(5)}`
            : `${opts.rounds} rounds x ${opts.usersPerRound} visits drawn by each user's rate per part of the week (${fitted.fit.pages} logged pages over ${fitted.fit.weeks.toFixed(1)} weeks), ${setup.arms} shelves, ${fitted.env.slots} slots, ${fitted.env.initiallyVisible} visible, cascade feedback; stream rates per shelf and part of the week, shrinkage ${fitted.fit.choicePrior} (importance-weighted CV), ${fitted.fit.modelStreamRate.toFixed(4)} streams per seen slot vs the log's ${fitted.fit.loggedStreamRate.toFixed(4)}`,
      }[opts.env as (typeof envNames)[number]];
      console.log(`${title}: ${describe}`);
      console.log(
        `policy                   ${seeds.map((s) => `seed ${s}`.padStart(10)).join("")}      mean  vs random  vs greedy  rewards/display`,
      );
      const cell = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2)).padStart(10);
      const ratio = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(3)).padStart(9);
      for (const s of [...summary].sort((a, b) => a.meanCumulativeRegret - b.meanCumulativeRegret))
        console.log(
          `${s.policy.padEnd(24)} ${s.cumulativeRegret.map(cell).join("")}${cell(s.meanCumulativeRegret)}  ${ratio(s.regretVsRandom)}  ${ratio(s.regretVsGreedy)}  ${meanOf(s.rewardsPerDisplay).toFixed(4)}`,
        );
      if (opts.plot) console.log(`plot: ${opts.plot}`);
    });
}

/** The live home policy: status, freeze, and impressions/feedback from files. */
function banditStoreCommands(bandit: Command): void {
  const status = bandit
    .command("status")
    .description("the live home policy's state: version, frozen, displays, streams, best shelves")
    .option("--json", "print JSON");
  addStoreOptions(status).action(async (opts) => {
    await withEngine(opts, async (engine) => {
      const policies = await engine.home.status();
      if (opts.json) {
        console.log(JSON.stringify(policies));
        return;
      }
      if (policies.length === 0) {
        console.log("no home policy yet: it starts with the first GET /v1/users/{id}/home");
        return;
      }
      for (const p of policies) {
        console.log(
          `${p.name} (${p.kind}) version ${p.version}${p.frozen ? ", frozen" : ""}, updated ${p.updatedAt}: ${p.arms} shelves, ${p.segments} segments, ${p.displays} seen, ${p.streams} streams`,
        );
        for (const t of p.top) console.log(`  ${t.item}: ${t.streams}/${t.displays} = ${t.rate.toFixed(3)}`);
      }
    });
  });
  for (const [name, frozen] of [
    ["freeze", true],
    ["unfreeze", false],
  ] as const) {
    const cmd = bandit
      .command(name)
      .description(
        frozen
          ? "stop the live home policy learning (it keeps serving)"
          : "let the live home policy learn again",
      );
    addStoreOptions(cmd).action(async (opts) => {
      await withEngine(opts, async (engine) => {
        const p = await engine.home.freeze(frozen);
        console.log(`${p.name} version ${p.version} ${p.frozen ? "frozen" : "learning"}`);
      });
    });
  }
  const ingest = bandit
    .command("ingest <files...>")
    .description(
      "read impressions (or --feedback) from JSON-lines files; bad rows are reported by file and line",
    )
    .option("--feedback", "the files hold feedback events (click, stream, dismiss), not impressions")
    .option("--json", "print JSON");
  addStoreOptions(ingest).action(async (files: string[], opts) => {
    await withEngine(opts, async (engine) => {
      const progress = new Progress(!opts.json);
      const result = await engine.home.ingestFiles(
        files,
        opts.feedback ? "feedback" : "impressions",
        (rows) => progress.update("rows read", rows, rows),
      );
      progress.stop();
      if (opts.json) console.log(JSON.stringify(result));
      else {
        console.log(
          `${result.accepted} stored, ${result.duplicates} already stored, ${result.rejected} rejected`,
        );
        for (const r of result.rejects.slice(0, 20)) console.log(`  ${r.file}:${r.line}: ${r.reason}`);
      }
      if (result.rejected > 0) process.exitCode = 3;
    });
  });
}
