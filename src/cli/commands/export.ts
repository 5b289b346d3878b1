import type { Command } from "commander";
import { exportPlaysToParquet } from "../../pipeline/export-plays.js";
import { UsageError } from "../errors.js";
import { addStoreOptions } from "../options.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";

/** An ISO 8601 time of a flag as epoch ms, or a usage error naming the flag. */
function timeOf(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} expects an ISO 8601 time, got "${value}"`);
  return ms;
}

export function exportCommand(program: Command): void {
  const cmd = program
    .command("export")
    .description(
      "write the stored plays to a Parquet file for training elsewhere (user, item, endTime, playedMs, itemLengthMs, weight, and dense userIndex/itemIndex for ALS); not a backup: without eventIds or context, ingesting it into the same store adds its plays again",
    )
    .requiredOption("--out <file.parquet>", "the file to write (replaced only once the new one is complete)")
    .option("--from <time>", "only plays that ended at or after this ISO 8601 time")
    .option("--to <time>", "only plays that ended before this ISO 8601 time")
    .option("--json", "print a JSON summary");
  addStoreOptions(cmd).action(async (opts) => {
    const window = { fromMs: timeOf("--from", opts.from), toMs: timeOf("--to", opts.to) };
    await withEngine(opts, async (engine) => {
      const progress = new Progress(!opts.json);
      const summary = await exportPlaysToParquet(engine.store, String(opts.out), {
        window,
        onProgress: (done, total) => progress.update("export plays", done, total),
      });
      progress.stop();
      if (opts.json) console.log(JSON.stringify(summary));
      else
        console.log(
          `${summary.plays} plays of ${summary.users} users and ${summary.items} items -> ${summary.path} (${(summary.bytes / 1e6).toFixed(1)} MB)`,
        );
    });
  });
}
