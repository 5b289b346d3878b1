import type { Command } from "commander";
import { z } from "zod";
import { trainSettingsSchema } from "../../config.js";
import { preferenceFactSchema } from "../../core/preferences/index.js";
import { catalogueItemSchema, playEventSchema, requestEventSchema } from "../../schema/events.js";

export const jsonSchemas = () => ({
  playEvent: z.toJSONSchema(playEventSchema, { io: "input" }),
  catalogueItem: z.toJSONSchema(catalogueItemSchema, { io: "input" }),
  requestEvent: z.toJSONSchema(requestEventSchema, { io: "input" }),
  preferenceFact: z.toJSONSchema(preferenceFactSchema, { io: "input" }),
  trainSettings: z.toJSONSchema(trainSettingsSchema, { io: "input" }),
});

export function schemaCommand(program: Command): void {
  program
    .command("schema")
    .description(
      "print the JSON Schema of play events, catalogue items and train settings (generated from the zod schemas)",
    )
    .argument(
      "[name]",
      "playEvent, requestEvent, catalogueItem, preferenceFact or trainSettings (default all)",
    )
    .action((name?: string) => {
      const all = jsonSchemas();
      if (name && !(name in all))
        throw new Error(`unknown schema "${name}"; choose ${Object.keys(all).join(", ")}`);
      console.log(JSON.stringify(name ? all[name as keyof typeof all] : all, null, 2));
    });
}
