import type { Command } from "commander";
import { toTrainConfig, trainSettingsSchema } from "../../config.js";
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
    );
  addModelOptions(addStoreOptions(addGraphOptions(cmd))).action(async (opts) => {
    if (opts.graph) return runDirectedTrain(opts);
    const settings = trainSettingsFrom(opts);
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
