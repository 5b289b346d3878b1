import type { Command } from "commander";
import { addStoreOptions } from "../options.js";
import { withEngine } from "../run.js";

export function modelsCommand(program: Command): void {
  const cmd = program
    .command("models")
    .description("list the model versions recorded in the store")
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    await withEngine(opts, async (engine) => {
      const models = await engine.store.listModels();
      if (opts.json) console.log(JSON.stringify(models));
      else if (models.length === 0) console.log("no models yet: run `tastebud train`");
      else
        for (const m of models)
          console.log(`${m.isCurrent ? "*" : " "} ${m.version}  ${m.createdAt.toISOString()}  ${m.path}`);
    });
  });
}
