import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { Command } from "commander";
import { toTrainConfig, trainSettingsSchema } from "../../config.js";
import { simulateVoice, simulateWorld, trueAffinity } from "../../core/simulate/index.js";
import { catalogueItemSchema, songId } from "../../schema/events.js";
import { EdgeFileError } from "../../services/directed.js";
import { UsageError } from "../errors.js";
import { formatEvaluation } from "../format.js";
import { number } from "../options.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";
import { commandLine } from "./eval.js";
import { writeWorld } from "./simulate.js";

/** Days of the demo's voice request log: enough for defect trends and rewrites, quick to simulate. */
const demoVoiceDays = 14;

export function demoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "the whole loop in one go: simulate a world (or read your export), ingest, evaluate, train, answer",
    )
    .argument("[path]", "your own export (file or folder) instead of the simulated world")
    .option("--preset <name>", "format of your export (default spotify)", "spotify")
    .option("--user <name>", "your user name, for exports without one", "me")
    .option("--store <path>", "store for the demo", "./tastebud-demo.duckdb")
    .option("--out <dir>", "where the simulated world is written", "./tastebud-demo")
    .option("--users <n>", "simulated users", number("users"), 300)
    .option("--items <n>", "simulated items", number("items"), 2000)
    .option("--days <n>", "simulated days", number("days"), 60)
    .option("--seed <n>", "random seed", number("seed"), 1)
    .option(
      "--no-evidence",
      "skip the last step: the small runs of eval --delayed, eval --resolve-decision, bandit simulate and privacy stats that fill the dashboard's Favourites, Home and Privacy pages",
    )
    .action(async (path: string | undefined, opts) => {
      const started = Date.now();
      const progress = new Progress();
      const say = (text: string) => {
        progress.stop();
        console.log(text);
      };
      let truth: ReturnType<typeof simulateWorld>["truth"] | undefined;
      let doneLine = "";
      await withEngine({ store: opts.store }, async (engine) => {
        if (path) {
          say(`1. reading ${path} (preset ${opts.preset}) into ${opts.store}`);
          const s = await engine.events.ingest([path], {
            preset: opts.preset,
            user: opts.user,
            rejectsPath: `${opts.store}.rejects.jsonl`,
            onProgress: (p) => progress.update("ingest (bytes read)", p.bytesRead, p.bytesTotal),
          });
          say(`   ${s.accepted} new plays, ${s.duplicates} already stored, ${s.rejected} rejected`);
        } else {
          say(
            `1. simulating ${opts.users} listeners x ${opts.items} songs over ${opts.days} days (seed ${opts.seed}) -> ${opts.out}`,
          );
          const world = simulateWorld({
            users: opts.users,
            items: opts.items,
            days: opts.days,
            seed: opts.seed,
          });
          truth = world.truth;
          const files = writeWorld(world, resolve(opts.out));
          const s = await engine.events.ingest([files.events], {
            rejectsPath: `${opts.store}.rejects.jsonl`,
            onProgress: (p) => progress.update("ingest rows", p.rowsRead, world.events.length),
          });
          await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
          say(`   ${s.accepted} new plays stored, ${s.duplicates} already there (ingest is idempotent)`);
        }
        const config = toTrainConfig(trainSettingsSchema.parse({}));
        say("2. evaluating: train on each user's first 80% of plays, score the rest against play durations");
        const report = await engine.affinity.evaluate({ splitPerUser: 0.8 }, config, {
          truth,
          onProgress: (phase, done, total) => progress.update(phase, done, total),
        });
        engine.insights.recordEvaluation("affinity", commandLine(), report);
        say(formatEvaluation(report));
        const served = report.recommender;
        const popular = report.baselines.popularity;
        if (served && popular && served["ndcg@10"] !== null && popular["ndcg@10"] !== null) {
          // The line a new user reads first: what recommend serves, against "most played", on the held-out plays.
          const verdict = (a: number, b: number) => (a > b ? "above" : a === b ? "level with" : "BELOW");
          say(
            `\n   recommend serves ${served.name}: NDCG@10 ${served["ndcg@10"].toFixed(3)} vs popularity ${popular["ndcg@10"].toFixed(3)} (${verdict(served["ndcg@10"], popular["ndcg@10"])}), recall@10 ${(served["recall@10"] ?? 0).toFixed(3)} vs ${(popular["recall@10"] ?? 0).toFixed(3)} (${verdict(served["recall@10"] ?? 0, popular["recall@10"] ?? 0)})`,
          );
        }
        say("\n3. training on everything and publishing the model");
        const trained = await engine.affinity.train(config, {
          onProgress: (phase, done, total) => progress.update(phase, done, total),
        });
        say(
          `   model ${trained.version} (${trained.plays} plays, ${trained.seconds.toFixed(1)} s) -> ${trained.path}`,
        );
        const current = await engine.models.current();
        if (!current) throw new UsageError("training produced no model");
        const users = current.model.users;
        const sample = path ? [opts.user] : users.slice(0, 1);
        if (!path) {
          // Every simulated user's held-out requests, not a hand-picked few: the model learns from each user's
          // first 80% of plays and resolves the requests that started the rest.
          say('\n4. resolving every held-out request of all simulated users ("play <title>")');
          const r = await engine.voice.evaluateResolution({ splitPerUser: 0.8 }, config, {
            truth,
            onProgress: (phase, done, total) => progress.update(phase, done, total),
          });
          const row = (name: string, all: number, ambiguous: number) =>
            `   ${name.padEnd(11)} ${all.toFixed(3)}        ${ambiguous.toFixed(3)}`;
          say(
            [
              `   top-1 accuracy  all ${r.requests}   ambiguous titles ${r.ambiguous} (two or more items tie on the text, e.g. "play hello")`,
              row("tastebud", r.accuracy.tastebud, r.ambiguousAccuracy.tastebud),
              row("popularity", r.accuracy.popularity, r.ambiguousAccuracy.popularity),
              row("random", r.accuracy.random, r.ambiguousAccuracy.random),
            ].join("\n"),
          );
        }
        say(
          `\n${path ? "4." : "   one user, for example:"} "play Hello": Adele or Lionel Richie? (probability of a play past 30 s)`,
        );
        for (const user of sample) {
          const answer = await engine.affinity.score(user, [
            songId("Adele", "Hello"),
            songId("Lionel Richie", "Hello"),
          ]);
          const [a, l] = answer.items;
          const pick = a.affinity >= l.affinity ? "Adele" : "Lionel Richie";
          let truthNote = "";
          if (truth) {
            const world = { truth };
            const u = truth.users.indexOf(user);
            const [ta, tl] = [songId("Adele", "Hello"), songId("Lionel Richie", "Hello")].map((id) =>
              trueAffinity(world, u, world.truth.items.indexOf(id)),
            );
            truthNote = `; true affinity ${ta.toFixed(3)} vs ${tl.toFixed(3)} -> ${ta >= tl ? "Adele" : "Lionel Richie"}`;
          }
          say(
            `   ${user}: Adele ${a.affinity.toFixed(3)} (${a.source}), Lionel Richie ${l.affinity.toFixed(3)} (${l.source}) -> ${pick}${truthNote}`,
          );
        }
        if (!path) {
          // The self-learning loop (defects per day, failure points, the rewrite table) reads request turns:
          // a voice assistant's log over the same listeners. Only the turns are stored, not the assistant's
          // own catalogue or plays, so the listening model above is trained on the listening world alone.
          say(
            `\n5. a voice assistant's request log: ${opts.users} users talking to it for ${demoVoiceDays} days (seed ${opts.seed}), and the rewrite table mined from it`,
          );
          const voice = simulateVoice({
            users: opts.users,
            items: opts.items,
            days: demoVoiceDays,
            seed: opts.seed,
          });
          const stored = await engine.store.appendRequests(
            voice.requests.map((event) => ({ event, source: "demo-voice" })),
          );
          const table = await engine.rewrites.build();
          say(
            `   ${stored.inserted} request turns stored (${stored.duplicates} already there), ${table.defective} defective; ${table.rules} rewrite rules (table ${table.version})`,
          );
        }
        // The directed "what follows" model (as `tastebud train --graph --max-epochs 40 --batch-size 0`), from the order of the
        // plays stored above: without it the dashboard's What follows page and GET /v1/items/{id}/next have
        // nothing to say. At most 40 epochs (train --graph searches up to 300): on the default world the search
        // alone took most of the demo's time.
        say(`\n${path ? "5." : "6."} what follows what: the directed model from the order of the plays`);
        try {
          const directed = await engine.directed.train(
            { kind: "plays" },
            {
              seed: opts.seed,
              maxEpochs: 40,
              // Full-batch, as before mini-batches became train --graph's default: in mini-batches of 256 this
              // step took 124 s of the demo's 160 on the default world, and a plays-next model answers from
              // the observed follow-ups first, the embeddings only filling in.
              tuning: { miniBatch: null },
              onProgress: (phase, done, total) => progress.update(phase, done, total),
            },
          );
          say(
            `   directed model ${directed.version}: ${directed.nodes} items, ${directed.edges} edges, ${directed.epochs} epochs, ${directed.seconds.toFixed(1)} s`,
          );
        } catch (err) {
          // An export where no play follows another has nothing to learn the order from: say so, go on.
          if (!(err instanceof EdgeFileError)) throw err;
          say(`   skipped: ${err.message}`);
        }
        doneLine = `store ${opts.store}. Try: npx tastebud affinity --store ${opts.store} --user ${sample[0]} --item "Adele|Hello" --json`;
      });
      if (opts.evidence) {
        say(
          `\n${path ? "6." : "7."} evidence for the dashboard's Favourites, Home and Privacy pages: small runs of the commands that fill them`,
        );
        await runEvidenceCommands(opts.store, say);
      }
      say(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s; ${doneLine}`);
    });
}

/**
 * The commands whose kept reports the dashboard's Favourites and decisions, Home shelves and Privacy pages
 * show (each page names its command when the store has none), at sizes that take seconds: simulated
 * histories and assistants, the listener world's shelves, and deniability on the shipped embedding table.
 * They are run as the commands themselves, in child processes after the demo has closed its store, so
 * what the pages show is what a reader running the same line would get, and says which line made it.
 */
const evidenceCommands = (store: string): string[][] =>
  [
    ["eval", "--delayed", "--simulated", "--seeds", "1", "--sim-users", "200"],
    ["eval", "--resolve-decision", "--seeds", "1", "--sim-users", "100", "--sim-days", "7"],
    [
      ...["bandit", "simulate", "--env", "world", "--world-users", "40", "--world-items", "300"],
      ...["--world-days", "5", "--rounds", "5", "--users-per-round", "100", "--segments", "4"],
      ...["--seeds", "1,2", "--policies", "random,greedy,linear-ts"],
    ],
    ["privacy", "stats", "--laplace", "5,10,20", "--gumbel", "70,140", "--words", "30", "--draws", "30"],
  ].map((args) => [...args, "--store", store, "--json"]);

async function runEvidenceCommands(store: string, say: (text: string) => void): Promise<void> {
  const runOne = (args: string[]) =>
    new Promise<void>((done, fail) => {
      const t0 = Date.now();
      // This same CLI (dist/cli/main.js, or src under tsx), with the same Node flags.
      const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let errors = "";
      child.stderr.on("data", (chunk) => {
        errors += chunk;
      });
      child.on("error", fail);
      child.on("close", (code) => {
        const shown = args.slice(0, args.indexOf("--store")).join(" ");
        if (code === 0) {
          say(`   tastebud ${shown}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
          done();
        } else fail(new Error(`tastebud ${args.join(" ")} exited ${code}: ${errors.trim()}`));
      });
    });
  // One after another: they write the same store's evaluations folder, and a store opens in one process at a time.
  for (const args of evidenceCommands(store)) await runOne(args);
}
