import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { addStoreOptions, number } from "../options.js";
import { withEngine } from "../run.js";

/** `tastebud rewrites build|show`: the offline query-rewrite table mined from the request log. */
export function rewritesCommand(program: Command): void {
  const rewrites = program
    .command("rewrites")
    .description(
      "query rewrites learned from users' rephrases (absorbing Markov chain over the request log)",
    );

  const build = rewrites
    .command("build")
    .description("mine the stored request events for rewrites and make the table current")
    .option("--min-support <users>", "users who said the source (default 3)", number("min-support"))
    .option(
      "--min-path-users <users>",
      "users who went from the source to the rewrite (default 2)",
      number("min-path-users"),
    )
    .option("--min-gain <p>", "success probability the rewrite must add (default 0.2)", number("min-gain"))
    .option("--session-gap <seconds>", "longest pause inside a session (default 60)", number("session-gap"))
    .option("--top <n>", "rules to print", number("top"), 20)
    .option("--json", "print JSON");
  addStoreOptions(build).action(async (opts) => {
    for (const key of ["minSupport", "minPathUsers", "top"] as const) {
      const v = opts[key];
      if (v !== undefined && (!Number.isInteger(v) || v < 1))
        throw new UsageError(`--${key} expects a whole number >= 1`);
    }
    if (opts.minGain !== undefined && !(opts.minGain >= 0 && opts.minGain <= 1))
      throw new UsageError("--min-gain expects a probability between 0 and 1");
    await withEngine(opts, async (engine) => {
      const result = await engine.rewrites.build({
        top: opts.top,
        table: {
          ...(opts.minSupport !== undefined ? { minSupportUsers: opts.minSupport } : {}),
          ...(opts.minPathUsers !== undefined ? { minPathUsers: opts.minPathUsers } : {}),
          ...(opts.minGain !== undefined ? { minGain: opts.minGain } : {}),
          ...(opts.sessionGap !== undefined ? { sessionGapMs: opts.sessionGap * 1000 } : {}),
        },
      });
      if (opts.json) {
        console.log(JSON.stringify(result));
        return;
      }
      console.log(
        `${result.rules} rewrites from ${result.turns} turns (${result.defective} defective); table ${result.version}`,
      );
      for (const r of result.top) {
        console.log(
          `  "${r.source}" -> "${r.rewrite}"  ${r.support} users; works at once ${r.sourceDirectSuccess.toFixed(2)} -> ${r.rewriteSuccess.toFixed(2)}`,
        );
      }
    });
  });

  const show = rewrites
    .command("show")
    .description("the current rewrite table")
    .option("--json", "print JSON");
  addStoreOptions(show).action(async (opts) => {
    await withEngine(opts, async (engine) => {
      const current = await engine.rewrites.current();
      if (opts.json) {
        console.log(JSON.stringify(current ? { table: current.version, ...current.table.toJSON() } : null));
        return;
      }
      if (!current) {
        console.log("no rewrite table yet: run tastebud rewrites build");
        return;
      }
      console.log(`table ${current.version}: ${current.table.size} rewrites`);
      for (const r of current.table.rules)
        console.log(`  "${r.source}" -> "${r.rewrite}" (support ${r.support})`);
    });
  });
}
