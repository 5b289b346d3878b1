import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import {
  busiestUser,
  type SimulatedWorld,
  simulateVoice,
  simulateWorld,
  spotifyExport,
  summarizeVoiceWorld,
  truthToJson,
  voiceWorldToFiles,
} from "../../core/simulate/index.js";
import { UsageError } from "../errors.js";
import { number } from "../options.js";

/** Writes a simulated world as files `ingest` reads: events.jsonl, catalogue.jsonl and truth.json. */
export function writeWorld(
  world: SimulatedWorld,
  outDir: string,
): { events: string; catalogue: string; truth: string } {
  mkdirSync(outDir, { recursive: true });
  const events = join(outDir, "events.jsonl");
  const catalogue = join(outDir, "catalogue.jsonl");
  const truth = join(outDir, "truth.json");
  writeFileSync(events, `${world.events.map((e) => JSON.stringify(e)).join("\n")}\n`);
  writeFileSync(catalogue, `${world.catalogue.map((e) => JSON.stringify(e)).join("\n")}\n`);
  writeFileSync(truth, JSON.stringify(truthToJson(world.truth)));
  return { events, catalogue, truth };
}

export function simulateCommand(program: Command): void {
  program
    .command("simulate")
    .description("write a seeded simulated world with known true affinities (events, catalogue, truth)")
    .option("--users <n>", "users", number("users"), 300)
    .option("--items <n>", "catalogue items", number("items"), 2000)
    .option("--days <n>", "days of listening", number("days"), 60)
    .option("--seed <n>", "random seed", number("seed"), 1)
    .option(
      "--voice",
      "simulate a voice assistant instead: requests.jsonl (turns), plays.jsonl, catalogue.jsonl, truth.json (defaults 700 users, 28 days)",
    )
    .option("--drift-day <n>", "voice: from this day on some utterances change meaning", number("drift-day"))
    .option("--out <dir>", "output folder")
    .option(
      "--spotify-export <dir>",
      "instead: one simulated listener's plays as Spotify's extended streaming history (Streaming_History_Audio_*.json), to try --preset spotify without an export",
    )
    .option("--listener <id>", "spotify-export: whose plays (default the listener with the most)")
    .option("--json", "print a JSON summary")
    .action((opts, cmd: Command) => {
      if ((opts.out === undefined) === (opts.spotifyExport === undefined))
        throw new UsageError("give either --out <dir> or --spotify-export <dir>");
      if (opts.spotifyExport !== undefined) {
        if (opts.voice) throw new UsageError("--spotify-export writes listening plays, not --voice turns");
        writeSpotifyExport(opts);
        return;
      }
      if (opts.voice) {
        const given = (name: string) => cmd.getOptionValueSource(name) === "cli";
        const world = simulateVoice({
          seed: opts.seed,
          ...(given("users") ? { users: opts.users } : {}),
          ...(given("items") ? { items: opts.items } : {}),
          ...(given("days") ? { days: opts.days } : {}),
          ...(opts.driftDay !== undefined ? { driftDay: opts.driftDay } : {}),
        });
        const out = resolve(opts.out);
        mkdirSync(out, { recursive: true });
        const files: Record<string, string> = {};
        for (const [name, text] of Object.entries(voiceWorldToFiles(world))) {
          files[name] = join(out, name);
          writeFileSync(files[name], text);
        }
        const summary = { ...summarizeVoiceWorld(world), files };
        if (opts.json) console.log(JSON.stringify(summary));
        else
          console.log(
            `simulated ${world.requests.length} voice turns and ${world.plays.length} plays -> ${out}\ningest with: tastebud ingest ${files["plays.jsonl"]} --catalogue ${files["catalogue.jsonl"]} && tastebud ingest --requests ${files["requests.jsonl"]}`,
          );
        return;
      }
      const world = simulateWorld({ users: opts.users, items: opts.items, days: opts.days, seed: opts.seed });
      const files = writeWorld(world, resolve(opts.out));
      const summary = {
        events: world.events.length,
        items: world.catalogue.length,
        users: world.truth.users.length,
        requests: world.truth.requests.length,
        files,
      };
      if (opts.json) console.log(JSON.stringify(summary));
      else
        console.log(
          `simulated ${summary.events} plays by ${summary.users} users over ${opts.days} days (${summary.requests} spoken requests) -> ${files.events}\ningest with: tastebud ingest ${files.events} --catalogue ${files.catalogue}`,
        );
    });
}

function writeSpotifyExport(opts: {
  users: number;
  items: number;
  days: number;
  seed: number;
  spotifyExport: string;
  listener?: string;
  json?: boolean;
}): void {
  const world = simulateWorld({ users: opts.users, items: opts.items, days: opts.days, seed: opts.seed });
  const listener = opts.listener ?? busiestUser(world);
  const files = spotifyExport(world, listener);
  if (files.length === 0) throw new UsageError(`the simulated world has no listener "${listener}"`);
  const out = resolve(opts.spotifyExport);
  mkdirSync(out, { recursive: true });
  for (const f of files) writeFileSync(join(out, f.name), `${JSON.stringify(f.rows, null, 2)}\n`);
  const plays = files.reduce((n, f) => n + f.rows.length, 0);
  if (opts.json) console.log(JSON.stringify({ listener, plays, files: files.map((f) => join(out, f.name)) }));
  else
    console.log(
      `wrote ${plays} plays of simulated listener ${listener} as a Spotify export -> ${out}\ningest with: tastebud ingest ${out} --preset spotify --user me`,
    );
}
