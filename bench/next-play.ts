/**
 * Plays-next evaluation (issue 17): does the directed model predict the next played item better than symmetric
 * factors, co-occurrence (item-kNN cosine) and popularity, and than a plain table of transition counts? Each
 * listener's "plays next" transitions are cut by time: the latest 20% are the test, the latest 20% of the rest
 * choose epochs and L2 (validation, training side only), every model learns from the rest. A test transition
 * A -> B ranks B among all items with a training edge.
 *   npm run bench -- next-play [--seeds 3] [--only spotify,sim] [--max-epochs 40] [--models blade,transition-counts]
 *                              [--batch-size 256 [--refreshes 1]] [--lr 0.02]
 * To fit a shared 2-core machine the embedding models try one L2 penalty (1e-4) and at most 40 epochs (the
 * epoch count still chosen on validation, every 10 epochs); `tastebud eval --graph` searches wider.
 * Data: the shared Spotify histories (8 people; seeds vary the initialisation and the 3,000 ranked test
 * transitions) and the simulated world with a "what follows" order (followShare 0.3: after a listened play the
 * session goes on to the creator's next item 30% of the time; 300 users x 2,000 items, 60 days; seeds vary
 * the world too).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type NextPlayModelName,
  type NextPlayReport,
  nextPlayModels,
  type PlayTransitions,
  playsNextTransitions,
  runNextPlayExperiment,
} from "../src/core/directed/index.js";
import { simulateWorld } from "../src/core/simulate/world.js";
import { Engine } from "../src/engine.js";
import { OccurrenceCounter } from "../src/store/event-key.js";

const shared = new URL("../../shared/data/", import.meta.url).pathname;
const log = (text: string) => process.stderr.write(`${text}\n`);

export interface NextPlayBenchOptions {
  seeds?: number;
  only?: string[];
  maxEpochs?: number;
  /** A subset of nextPlayModels (default all), in their table order. */
  models?: NextPlayModelName[];
  /** Embedding models in mini-batches of this many edges (default: full-batch), and their learning rate. */
  batchSize?: number;
  refreshesPerPass?: number;
  learningRate?: number;
}

async function transitionsOf(
  load: (engine: Engine, scratch: string) => Promise<void>,
): Promise<{ items: number; transitions: PlayTransitions; plays: number }> {
  const scratch = mkdtempSync(join(tmpdir(), "tastebud-next-play-"));
  const engine = await Engine.open({ store: ":memory:", models: join(scratch, "models") });
  try {
    await load(engine, scratch);
    const plays = await engine.store.scanPlays();
    return {
      items: plays.items.length,
      transitions: playsNextTransitions(plays),
      plays: plays.userIndex.length,
    };
  } finally {
    await engine.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

type Loaded = { items: number; transitions: PlayTransitions; plays: number };

/** The plays-next transitions of the shared Spotify histories (ingested into a scratch in-memory store). */
export function spotifyTransitions(): Promise<Loaded> {
  return transitionsOf(async (engine, scratch) => {
    await engine.events.ingest([join(shared, "spotify-personal-streaming-history/plays.csv.gz")], {
      preset: "spotify",
      rejectsPath: join(scratch, "r.jsonl"),
    });
  });
}

const dataSets: Record<
  string,
  (seed: number) => Promise<{ items: number; transitions: PlayTransitions; plays: number }>
> = {
  spotify: spotifyTransitions,
  sim: async (seed) =>
    transitionsOf(async (engine) => {
      const world = simulateWorld({ users: 300, items: 2000, days: 60, followShare: 0.3, seed });
      const counter = new OccurrenceCounter();
      await engine.store.appendPlays(
        world.events.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })),
      );
    }),
};

export async function nextPlayBench(options: NextPlayBenchOptions = {}): Promise<Record<string, unknown>> {
  const seeds = options.seeds ?? 3;
  const unknown = options.models?.filter((m) => !(nextPlayModels as readonly string[]).includes(m));
  if (unknown?.length)
    throw new Error(`unknown models ${unknown.join(", ")}; known: ${nextPlayModels.join(", ")}`);
  const out: Record<string, unknown> = {};
  for (const [name, load] of Object.entries(dataSets)) {
    if (options.only && !options.only.includes(name)) continue;
    const reports: NextPlayReport[] = [];
    let cached: Loaded | null = null;
    for (let seed = 1; seed <= seeds; seed++) {
      // The Spotify data is the same for every seed; the simulated world is drawn again per seed.
      const data: Loaded = name === "spotify" && cached ? cached : await load(seed);
      cached = data;
      log(
        `${name} seed ${seed}: ${data.plays} plays, ${data.items} items, ${data.transitions.sources.length} transitions`,
      );
      const report = runNextPlayExperiment(data.items, data.transitions, {
        seed,
        maxEpochs: options.maxEpochs ?? 40,
        checkEvery: 10,
        l2Values: [1e-4],
        models: options.models,
        train: {
          ...(options.batchSize
            ? { miniBatch: { batchSize: options.batchSize, refreshesPerPass: options.refreshesPerPass ?? 1 } }
            : {}),
          ...(options.learningRate ? { learningRate: options.learningRate } : {}),
        },
        onProgress: (phase, done, total) => log(`${name} seed ${seed}: ${phase} ${done}/${total}`),
      });
      for (const r of report.results)
        log(
          `  ${r.model}: HR@10 ${r.overall.hitRate10.toFixed(3)} MRR ${r.overall.mrr.toFixed(3)} ` +
            `(seen ${r.seen.mrr.toFixed(3)}, unseen ${r.unseen.mrr.toFixed(3)}) epochs ${r.epochs} ${r.trainSeconds.toFixed(1)} s`,
        );
      reports.push(report);
    }
    out[name] = { seeds: reports, summary: summarise(reports) };
  }
  return out;
}

/** Mean and standard deviation over seeds of each model's figures. */
function summarise(reports: NextPlayReport[]): Record<string, Record<string, string>> {
  const table: Record<string, Record<string, string>> = {};
  const models = reports[0]?.results.map((r) => r.model) ?? [];
  for (const model of models) {
    const rows = reports.map((rep) => rep.results.find((r) => r.model === model)!);
    const stat = (get: (r: (typeof rows)[number]) => number) => {
      const xs = rows.map(get);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
      return `${mean.toFixed(3)} ± ${sd.toFixed(3)}`;
    };
    table[model] = {
      hitRate10: stat((r) => r.overall.hitRate10),
      hitRate50: stat((r) => r.overall.hitRate50),
      mrr: stat((r) => r.overall.mrr),
      seenMrr: stat((r) => r.seen.mrr),
      unseenMrr: stat((r) => r.unseen.mrr),
      unseenHitRate10: stat((r) => r.unseen.hitRate10),
      trainSeconds: stat((r) => r.trainSeconds),
    };
  }
  return table;
}
