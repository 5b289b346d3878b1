/**
 * Fold-in (`engine.affinity.foldIn`, `tastebud serve --fold-in`): what one call costs, and how close a
 * folded-in user's affinities come to what retraining with their plays would give.
 *
 * Per world seed: a simulated world of 400 listeners and 2,000 items; every fourth listener is a newcomer
 * whose first 50 plays are held back. The model (50 factors, the default rules) is trained on the others,
 * each newcomer is folded in one after another (timed; the first call, which computes the model's YᵀY
 * once, apart), and their affinities over every item are taken. Then their 50 plays are stored, the model
 * is retrained with the same settings and seed, and the same affinities are taken again. The figure is
 * Spearman's rank correlation, per newcomer, of folded-in against retrained affinities, next to that of
 * the popularity prior an unknown user got before (the baseline fold-in has to beat) and that of a second
 * retraining with another seed (how far two trainings on the same plays agree: no fold-in can do better).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toTrainConfig, trainSettingsSchema } from "../src/config.js";
import { spearman } from "../src/core/metrics/correlation.js";
import { simulateWorld } from "../src/core/simulate/world.js";
import { Engine } from "../src/engine.js";
import { catalogueItemSchema, type PlayEvent } from "../src/schema/events.js";
import { OccurrenceCounter } from "../src/store/event-key.js";
import { median, percentiles } from "./record.js";

const SEEDS = [1, 2, 3];
const PLAYS_PER_NEWCOMER = 50;

export interface FoldInSeedResult {
  seed: number;
  trainedUsers: number;
  newcomers: number;
  items: number;
  firstCallMs: number;
  /** Per newcomer: Spearman of folded-in (and of the popularity prior's) affinities with retrained ones. */
  spearmanFoldedVsRetrained: { median: number; p10: number; p90: number };
  spearmanPriorVsRetrained: { median: number; p10: number; p90: number };
  spearmanRetrainedOtherSeedVsRetrained: { median: number; p10: number; p90: number };
}

function spread(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return { median: r(median(s)), p10: r(at(0.1)), p90: r(at(0.9)) };
}

async function oneSeed(seed: number, callMs: number[]): Promise<FoldInSeedResult> {
  const world = simulateWorld({ users: 400, items: 2000, days: 30, seed });
  const newcomers = new Set(world.truth.users.filter((_, k) => k % 4 === 3));
  const held = new Map<string, PlayEvent[]>();
  const base: PlayEvent[] = [];
  for (const e of world.events) {
    if (!newcomers.has(e.user)) base.push(e);
    else {
      const list = held.get(e.user) ?? [];
      if (list.length < PLAYS_PER_NEWCOMER) list.push(e);
      held.set(e.user, list);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "tastebud-bench-foldin-"));
  const engine = await Engine.open({ store: ":memory:", models: dir });
  try {
    await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
    const counter = new OccurrenceCounter();
    const store = (events: PlayEvent[]) =>
      engine.store.appendPlays(
        events.map((event) => ({ key: counter.keyFor(event), event, source: "bench" })),
      );
    await store(base);
    // topN off: recommend's top-N model plays no part in affinities, and selecting it would double the time.
    const config = toTrainConfig(trainSettingsSchema.parse({ seed, topN: false }));
    const first = await engine.affinity.train(config);
    const items = (await engine.models.current())!.model.items;
    const prior = (await engine.affinity.score("a stranger", items)).items.map((r) => r.affinity);
    const folded = new Map<string, number[]>();
    let firstCallMs = Number.NaN;
    for (const [user, plays] of held) {
      const t0 = performance.now();
      await engine.affinity.foldIn(user, plays);
      const ms = performance.now() - t0;
      if (Number.isNaN(firstCallMs)) firstCallMs = ms;
      else callMs.push(ms);
      folded.set(
        user,
        (await engine.affinity.score(user, items)).items.map((r) => r.affinity),
      );
    }
    await store([...held.values()].flat());
    const scoresAfterTraining = async (trainSeed: number) => {
      await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ seed: trainSeed, topN: false })));
      const out = new Map<string, number[]>();
      for (const user of held.keys())
        out.set(
          user,
          (await engine.affinity.score(user, items)).items.map((r) => r.affinity),
        );
      return out;
    };
    const otherSeed = await scoresAfterTraining(seed + 1000);
    const retrained = await scoresAfterTraining(seed);
    const foldedVsRetrained: number[] = [];
    const priorVsRetrained: number[] = [];
    const otherVsRetrained: number[] = [];
    for (const [user, scores] of retrained) {
      foldedVsRetrained.push(spearman(folded.get(user)!, scores));
      priorVsRetrained.push(spearman(prior, scores));
      otherVsRetrained.push(spearman(otherSeed.get(user)!, scores));
    }
    return {
      seed,
      trainedUsers: first.users,
      newcomers: held.size,
      items: items.length,
      firstCallMs: Math.round(firstCallMs * 100) / 100,
      spearmanFoldedVsRetrained: spread(foldedVsRetrained),
      spearmanPriorVsRetrained: spread(priorVsRetrained),
      spearmanRetrainedOtherSeedVsRetrained: spread(otherVsRetrained),
    };
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function foldInBench(log: (text: string) => void) {
  const callMs: number[] = [];
  const seeds: FoldInSeedResult[] = [];
  for (const seed of SEEDS) {
    log(`foldin: seed ${seed}`);
    seeds.push(await oneSeed(seed, callMs));
  }
  const p = percentiles(callMs);
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    setup: `400 simulated listeners x 2,000 items x 30 days; every 4th listener a newcomer with ${PLAYS_PER_NEWCOMER} plays; 50 factors; seeds ${SEEDS.join(", ")}`,
    foldInMs: { p50: r(p.p50), p99: r(p.p99), max: r(p.max), calls: p.samples },
    firstCallMs: seeds.map((s) => s.firstCallMs),
    seeds,
  };
}
