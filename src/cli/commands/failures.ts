import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { FailurePointClassifier, turnCatalogue } from "../../core/failures/index.js";
import { simulateVoice } from "../../core/simulate/index.js";
import { turnFromEvent } from "../../core/voice/turn.js";
import { addStoreOptions, number } from "../options.js";
import { withEngine } from "../run.js";

/** `tastebud failures`: which voice-pipeline stage fails most, per intent and device, over the request log. */
export function failuresCommand(program: Command): void {
  const cmd = program
    .command("failures")
    .description(
      "which stage (false wake, ASR, NLU, entity resolution, result) fails most in the stored request log, per intent and device",
    )
    .option(
      "--classifier <file>",
      "a failure-point classifier saved by --train-out (default: train one on a simulated assistant)",
    )
    .option("--train-out <file>", "train a classifier on a simulated assistant, save it here, and stop")
    .option("--sim-seed <n>", "seed of the simulated assistant to train on", number("sim-seed"), 1)
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    if (opts.trainOut) {
      const world = simulateVoice({ seed: opts.simSeed, users: 400, days: 14 });
      const classifier = FailurePointClassifier.train(
        world.requests.map(turnFromEvent),
        world.truth.map((t) => t.label),
        turnCatalogue(world.catalogue.map((c) => ({ id: c.id, title: c.title, kind: c.kind }))),
      );
      writeFileSync(opts.trainOut, JSON.stringify(classifier.toJSON()));
      console.log(
        `failure-point classifier trained on ${world.requests.length} simulated turns -> ${opts.trainOut}`,
      );
      return;
    }
    const classifier = opts.classifier
      ? FailurePointClassifier.fromJSON(JSON.parse(readFileSync(opts.classifier, "utf8")))
      : undefined;
    await withEngine(opts, async (engine) => {
      const report = await engine.voice.failureReport({ classifier, seed: opts.simSeed });
      if (opts.json) {
        console.log(JSON.stringify(report));
        return;
      }
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      console.log(
        `${report.turns} turns, ${report.failures} failed (${pct(report.failures / report.turns)}); fails most: ${report.worstStage ?? "nothing"}`,
      );
      console.log(
        `  by stage: ${Object.entries(report.byStage)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      );
      for (const [title, group] of [
        ["intent", report.byIntent],
        ["device", report.byDevice],
      ] as const) {
        console.log(`by ${title}:`);
        for (const [key, g] of Object.entries(group).sort((a, b) => b[1].failureRate - a[1].failureRate)) {
          const worst = Object.entries(g.stages).sort((a, b) => b[1] - a[1])[0];
          console.log(
            `  ${key.padEnd(16)} ${String(g.turns).padStart(7)} turns, ${pct(g.failureRate).padStart(6)} failed${worst ? `, mostly ${worst[0]}` : ""}`,
          );
        }
      }
    });
  });
}
