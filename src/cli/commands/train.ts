import type { Command } from "commander";
import { toTrainConfig, trainSettingsSchema } from "../../config.js";
import { UsageError } from "../errors.js";
import { addModelOptions, addStoreOptions, number, trainSettingsFrom } from "../options.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";
import { addGraphOptions, runDirectedTrain } from "./directed.js";

export function trainCommand(program: Command): void {
  const cmd = program
    .command("train")
    .description(
      "train the affinity model on every stored play; saves a new model version and makes it current",
    )
    .option("--json", "print a JSON summary")
    .option(
      "--threads <n>",
      "BPR worker threads, 0 = every core (more than 1 is faster but not reproducible from the seed)",
      number("threads"),
      trainSettingsSchema.parse({}).threads,
    )
    .option(
      "--watch",
      "keep running: train again after --after new plays or every --every seconds (with any new play), publishing each model for the replicas that follow the store",
    )
    .option(
      "--after <plays>",
      "with --watch: train once this many plays were stored since the last model",
      number("after"),
    )
    .option(
      "--every <seconds>",
      "with --watch: train this often when plays came in (default 3600 without --after)",
      number("every"),
    )
    .option(
      "--poll-ms <ms>",
      "with --watch: how often the store's play count is read",
      number("poll-ms"),
      2000,
    )
    .option("--max-trainings <n>", "with --watch: stop after this many trainings", number("max-trainings"));
  addModelOptions(addStoreOptions(addGraphOptions(cmd))).action(async (opts) => {
    if (opts.graph) return runDirectedTrain(opts);
    const settings = trainSettingsFrom(opts);
    if (opts.watch) return watchAndTrain(opts, settings);
    if (opts.after !== undefined || opts.every !== undefined || opts.maxTrainings !== undefined)
      throw new UsageError("--after, --every and --max-trainings go with --watch");
    await withEngine(opts, async (engine) => {
      const progress = new Progress(!opts.json);
      const result = await engine.affinity.train(toTrainConfig(settings), {
        onProgress: (phase, done, total) => progress.update(phase, done, total),
        // This process ends here: building the model for serving would be wasted.
        serve: false,
      });
      progress.stop();
      if (opts.json) console.log(JSON.stringify({ ...result, settings }));
      else
        console.log(
          `model ${result.version}: ${result.plays} plays, ${result.users} users, ${result.items} items, ${result.seconds.toFixed(1)} s -> ${result.path}${result.recommender ? `; recommend serves ${result.recommender}` : ""}`,
        );
    });
  });
}

async function watchAndTrain(
  opts: {
    json?: boolean;
    after?: number;
    every?: number;
    maxTrainings?: number;
    pollMs: number;
    store: string;
    models?: string;
  },
  settings: ReturnType<typeof trainSettingsFrom>,
): Promise<void> {
  for (const [flag, value] of [
    ["--after", opts.after],
    ["--every", opts.every],
    ["--max-trainings", opts.maxTrainings],
    ["--poll-ms", opts.pollMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw new UsageError(`${flag} expects a positive number`);
  }
  const everyMs = (opts.every ?? (opts.after === undefined ? 3600 : Number.NaN)) * 1000;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const say = (line: object) => {
    const stamped = { time: new Date().toISOString(), ...line };
    console.log(opts.json ? JSON.stringify(stamped) : Object.values(stamped).join(" "));
  };
  try {
    await withEngine(opts, async (engine) => {
      say({ event: "watching", store: engine.store.location });
      await engine.affinity.watch(toTrainConfig(settings), {
        ...(opts.after !== undefined ? { afterPlays: opts.after } : {}),
        ...(Number.isFinite(everyMs) ? { everyMs } : {}),
        ...(opts.maxTrainings !== undefined ? { maxTrainings: opts.maxTrainings } : {}),
        pollMs: opts.pollMs,
        signal: stop.signal,
        onTrained: (r) =>
          say({
            event: "trained",
            version: r.version,
            plays: r.plays,
            seconds: Number(r.seconds.toFixed(1)),
          }),
        onError: (err) => say({ event: "training failed", error: (err as Error).message }),
      });
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
