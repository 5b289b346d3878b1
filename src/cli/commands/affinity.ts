import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { addStoreOptions } from "../options.js";
import { withReader } from "../run.js";

export function affinityCommand(program: Command): void {
  const cmd = program
    .command("affinity")
    .description(
      "probability that a user plays each item past the threshold, with its history and factorization parts",
    )
    .requiredOption("--user <id>", "user id")
    .option(
      "--item <id>",
      "item id (repeatable); songs without ids are `artist|track`",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    if (opts.item.length === 0) throw new UsageError("give at least one --item");
    await withReader(opts, async (engine) => {
      const answer = await engine.affinity(opts.user, opts.item);
      if (opts.json) {
        console.log(JSON.stringify(answer));
        return;
      }
      console.log(`user ${answer.user} (model ${answer.model})`);
      for (const r of answer.items) {
        console.log(
          `  ${r.affinity.toFixed(3)}  ${r.item}  [history ${r.history.toFixed(3)}, mf ${r.mf === null ? "-" : r.mf.toFixed(3)}, ${r.source}]`,
        );
      }
    });
  });
}
