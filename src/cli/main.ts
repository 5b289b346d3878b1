#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { StoreError } from "../store/event-store.js";
import { affinityCommand } from "./commands/affinity.js";
import { banditCommand } from "./commands/bandit.js";
import { demoCommand } from "./commands/demo.js";
import { nextCommand } from "./commands/directed.js";
import { evalCommand } from "./commands/eval.js";
import { exportCommand } from "./commands/export.js";
import { failuresCommand } from "./commands/failures.js";
import { ingestCommand } from "./commands/ingest.js";
import { modelsCommand } from "./commands/models.js";
import { blendCommand, playlistCommand, poolsCommand, tasteCommand } from "./commands/playlists.js";
import { prefsCommand } from "./commands/prefs.js";
import { privacyCommand } from "./commands/privacy.js";
import { rewritesCommand } from "./commands/rewrites.js";
import { schemaCommand } from "./commands/schema.js";
import { serveCommand } from "./commands/serve.js";
import { explainCommand, recommendCommand, resolveCommand, similarCommand } from "./commands/serving.js";
import { simulateCommand } from "./commands/simulate.js";
import { trainCommand } from "./commands/train.js";
import { describeError, exitCodes, UsageError } from "./errors.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("tastebud")
    .description("self-learning personalization from play durations: ingest, train, evaluate, answer")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 failure, 2 usage error, 3 some input rows rejected (the rest stored), 4 store in use by another process.",
    );
  for (const add of [
    ingestCommand,
    trainCommand,
    evalCommand,
    exportCommand,
    affinityCommand,
    resolveCommand,
    recommendCommand,
    similarCommand,
    nextCommand,
    explainCommand,
    playlistCommand,
    blendCommand,
    poolsCommand,
    tasteCommand,
    prefsCommand,
    failuresCommand,
    rewritesCommand,
    serveCommand,
    simulateCommand,
    demoCommand,
    modelsCommand,
    schemaCommand,
    banditCommand,
    privacyCommand,
  ]) {
    add(program);
  }
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit with 0; commander already printed the message for usage errors.
      process.exitCode = err.exitCode === 0 ? 0 : exitCodes.usage;
      return;
    }
    process.stderr.write(`tastebud: ${describeError(err)}\n`);
    if (err instanceof UsageError) process.exitCode = exitCodes.usage;
    else if (err instanceof StoreError && err.code === "locked") process.exitCode = exitCodes.storeLocked;
    else process.exitCode = exitCodes.failure;
    if (process.env.TASTEBUD_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
}

await main();
