import type { Command } from "commander";
import { commaList } from "../../config.js";
import { contextOfParts, type PlayContext } from "../../schema/events.js";
import { UsageError } from "../errors.js";
import { addStoreOptions, number } from "../options.js";
import { withReader } from "../run.js";

export function resolveCommand(program: Command): void {
  const cmd = program
    .command("resolve")
    .description(
      'rank the catalogue entities a request could mean ("play hello") for this user, with reasons',
    )
    .argument("<request>", "the request text")
    .requiredOption("--user <id>", "user id")
    .option(
      "--candidate <id>",
      "rank these item ids instead of searching (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option(
      "--min-precision <p>",
      "play the top candidate only when right with at least this probability, else ask (default 0.9)",
      number("min-precision"),
    )
    .option("--json", "print JSON");
  addContextOptions(cmd);
  addStoreOptions(cmd).action(async (request: string, opts) => {
    if (opts.minPrecision !== undefined && !(opts.minPrecision > 0 && opts.minPrecision <= 1))
      throw new UsageError("--min-precision expects a number in (0, 1]");
    await withReader(opts, async (engine) => {
      const answer = await engine.resolve(opts.user, request, {
        candidates: opts.candidate.length ? opts.candidate : undefined,
        context: contextOf(opts),
        minPrecision: opts.minPrecision,
      });
      if (opts.json) {
        console.log(JSON.stringify(answer));
        return;
      }
      console.log(`"${request}" for ${answer.user} (${answer.source}, model ${answer.model})`);
      if (answer.rewritten) console.log(`  rewritten to "${answer.rewritten.to}" (${answer.rewritten.by})`);
      if (answer.candidates.length === 0) console.log("  no catalogue item matches");
      for (const c of answer.candidates) {
        console.log(
          `  ${c.confidence.toFixed(3)}  ${c.title} by ${c.creators.join(", ") || "?"}  [${c.item}]`,
        );
        for (const r of c.reasons) console.log(`         ${r.factor}: ${r.detail}`);
      }
      for (const c of answer.blocked ?? []) console.log(`  blocked: ${c.title} [${c.item}]`);
      if (answer.decision)
        console.log(
          answer.decision === "play"
            ? `  decision: play ${answer.candidates[0].title} (P* ${answer.decisionBasis.minPrecision}, ${answer.decisionBasis.thresholds} thresholds)`
            : `  decision: ask "${answer.question ?? "which one?"}" (P* ${answer.decisionBasis.minPrecision}, ${answer.decisionBasis.thresholds} thresholds)`,
        );
    });
  });
}

export function recommendCommand(program: Command): void {
  const cmd = program
    .command("recommend")
    .description("top items for a user (unknown users get the most played items)")
    .requiredOption("--user <id>", "user id")
    .option("-n <n>", "how many", number("n"), 10)
    .option("--include-played", "also recommend what the user has played")
    .option("--kind <kind>", "only this kind (song, video, podcast, ...)")
    .option("--tags <tags>", "only items with any of these tags (comma separated)")
    .option("--creators <names>", "only items by any of these creators (comma separated)")
    .option("--json", "print JSON");
  addContextOptions(cmd);
  addStoreOptions(cmd).action(async (opts) => {
    if (!Number.isInteger(opts.n) || opts.n < 1 || opts.n > 1000)
      throw new UsageError("-n expects a whole number from 1 to 1000");
    await withReader(opts, async (engine) => {
      const answer = await engine.recommend(opts.user, {
        n: opts.n,
        exclude: opts.includePlayed ? "none" : "played",
        filter: { kind: opts.kind, tags: commaList(opts.tags), creators: commaList(opts.creators) },
        context: contextOf(opts),
      });
      if (opts.json) {
        console.log(JSON.stringify(answer));
        return;
      }
      console.log(`for ${answer.user} (${answer.source}, ${answer.recommender}, model ${answer.model})`);
      for (const r of answer.items) {
        console.log(
          `  ${Number(r.affinity).toFixed(3)}  ${r.title} by ${r.creators.join(", ") || "?"}  [${r.item}]`,
        );
        for (const why of (r.preferences as string[] | undefined) ?? []) console.log(`         ${why}`);
      }
      for (const p of answer.preferences ?? []) console.log(`  preference: ${p.reason}`);
    });
  });
}

export function similarCommand(program: Command): void {
  const cmd = program
    .command("similar")
    .description("items like this one")
    .requiredOption("--item <id>", "item id")
    .option("-n <n>", "how many", number("n"), 10)
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    await withReader(opts, async (engine) => {
      const answer = await engine.similar(opts.item, { n: opts.n });
      if (opts.json) {
        console.log(JSON.stringify(answer));
        return;
      }
      console.log(`like ${answer.item} (${answer.source}, ${answer.recommender}, model ${answer.model})`);
      for (const r of answer.items) {
        const s = r.similarity === null ? "    -" : Number(r.similarity).toFixed(3);
        console.log(`  ${s}  ${r.title} by ${r.creators.join(", ") || "?"}  [${r.item}]`);
      }
    });
  });
}

export function explainCommand(program: Command): void {
  const cmd = program
    .command("explain")
    .description(
      "why a user gets an item's affinity: own history, the factorization, and the plays that pulled it up",
    )
    .requiredOption("--user <id>", "user id")
    .requiredOption("--item <id>", "item id")
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    await withReader(opts, async (engine) => {
      const e = await engine.explain(opts.user, opts.item);
      if (opts.json) {
        console.log(JSON.stringify(e));
        return;
      }
      console.log(`${e.user} x ${e.item}: affinity ${e.affinity.toFixed(3)} (${e.source})`);
      console.log(
        `  own history: ${e.history.plays} plays, mean ${e.history.mean.toFixed(3)}; factorization ${e.mf ?? "-"}`,
      );
      for (const b of e.becauseOf) {
        console.log(
          `  because of ${b.item}: similarity ${b.similarity.toFixed(2)} x history ${b.history.toFixed(2)}`,
        );
      }
    });
  });
}

/** --device-type, --screen/--no-screen, --device-state, --activity: where the request is made. */
function addContextOptions(cmd: Command): Command {
  return cmd
    .option("--device-type <type>", "context: the device asking (tv, speaker, phone, car, ...)")
    .option("--screen", "context: the device has a screen")
    .option("--no-screen", "context: the device has no screen")
    .option("--device-state <state>", "context: what the device is doing (idle, playing, timer, ...)")
    .option("--activity <activity>", "context: what the user is doing (cooking, workout, ...)");
}

function contextOf(opts: {
  deviceType?: string;
  screen?: boolean;
  deviceState?: string;
  activity?: string;
}): PlayContext | undefined {
  return contextOfParts({ ...opts, hasScreen: opts.screen });
}
