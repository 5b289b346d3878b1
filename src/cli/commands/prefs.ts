import type { Command } from "commander";
import { exitCodes } from "../errors.js";
import { addStoreOptions } from "../options.js";
import { withEngine } from "../run.js";

/** `tastebud prefs add|list|rm|moments`: what users teach in words, applied from the next answer on. */
export function prefsCommand(program: Command): void {
  const prefs = program
    .command("prefs")
    .description('taught preferences: "I don\'t like country", "more Adele", "never play Christmas songs"');

  const add = prefs
    .command("add")
    .description("teach a preference in words; a newer statement about the same thing replaces the older")
    .argument("<user>", "user id")
    .argument("<statement...>", "what the user said")
    .option("--json", "print JSON");
  addStoreOptions(add).action(async (user: string, words: string[], opts) => {
    await withEngine(opts, async (engine) => {
      const result = await engine.preferences.teach(user, words.join(" "));
      if ("error" in result) {
        if (opts.json) console.log(JSON.stringify(result));
        else console.error(`not stored: ${result.error}`);
        process.exitCode = exitCodes.failure;
        return;
      }
      if (opts.json) console.log(JSON.stringify(result));
      else {
        for (const f of result.facts) console.log(`remembered ${f.id}: ${f.description}`);
        if (result.replaced.length) console.log(`replaced ${result.replaced.join(", ")}`);
      }
    });
  });

  const list = prefs
    .command("list")
    .description("a user's taught preferences, newest first")
    .argument("<user>", "user id")
    .option("--all", "include expired ones")
    .option("--json", "print JSON");
  addStoreOptions(list).action(async (user: string, opts) => {
    await withEngine(opts, async (engine) => {
      const facts = await engine.preferences.list(user, { includeExpired: Boolean(opts.all) });
      if (opts.json) console.log(JSON.stringify({ user, preferences: facts }));
      else if (facts.length === 0) console.log(`${user} has taught no preferences`);
      else for (const f of facts) console.log(`${f.id}${f.active ? "" : " (expired)"}  ${f.description}`);
    });
  });

  const rm = prefs
    .command("rm")
    .description("forget one taught preference")
    .argument("<user>", "user id")
    .argument("<id>", "preference id (from prefs list)");
  addStoreOptions(rm).action(async (user: string, id: string, opts) => {
    await withEngine(opts, async (engine) => {
      if (await engine.preferences.remove(user, id)) console.log(`forgot ${id}`);
      else {
        console.error(`${user} has no preference ${id}`);
        process.exitCode = exitCodes.failure;
      }
    });
  });

  const moments = prefs
    .command("moments")
    .description('recent turns worth asking "should I remember that?" about')
    .argument("<user>", "user id")
    .option("--at <time>", "look back from this time (ISO 8601; default now)")
    .option("--json", "print JSON");
  addStoreOptions(moments).action(async (user: string, opts) => {
    await withEngine(opts, async (engine) => {
      const nowMs = opts.at ? Date.parse(opts.at) : Date.now();
      const found = await engine.preferences.teachableMoments(user, { nowMs });
      if (opts.json) console.log(JSON.stringify({ user, moments: found }));
      else if (found.length === 0) console.log("nothing to ask about");
      else for (const m of found) console.log(`${m.kind}: ${m.suggestion}`);
    });
  });
}
