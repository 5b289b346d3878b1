/**
 * Home shelves: how long one page of 12 slots from 1,000 candidate shelves takes in process, the target
 * being under 5 ms at p99. Three figures: the policy's choice alone (epsilon-greedy, exact propensities),
 * Thompson sampling with its Monte Carlo propensities (200 draws), and a whole logged page (the choice plus
 * writing its 12 impressions to DuckDB). Both policies first learn from 20,000 simulated pages so the
 * ranking is not a 1,000-way tie.
 */
import { EpsilonGreedyPolicy, ThompsonSegmentPolicy } from "../src/core/bandits/policies.js";
import { Random } from "../src/core/random.js";
import { Engine } from "../src/engine.js";
import { catalogueItemSchema } from "../src/schema/events.js";
import { HomeService } from "../src/services/home.js";
import { percentiles } from "./record.js";

const candidates = 1000;
const slots = 12;
const segments = 16;

function timePolicy(choose: (k: number) => void, n: number): ReturnType<typeof percentiles> {
  for (let k = 0; k < 200; k++) choose(k);
  const ms: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    choose(k);
    ms.push(performance.now() - t);
  }
  return percentiles(ms);
}

export async function homeBench(): Promise<Record<string, unknown>> {
  const rng = new Random(5);
  const eg = new EpsilonGreedyPolicy(candidates, segments, 0.1);
  const ts = new ThompsonSegmentPolicy(candidates, segments, 1, 99);
  for (let k = 0; k < 20_000; k++) {
    const segment = k % segments;
    const arms = Array.from({ length: 3 }, () => rng.int(candidates));
    const rewards = arms.map((a) => (rng.next() < (a % 50) / 500 ? 1 : 0));
    eg.update({ segment }, arms, rewards);
    ts.update({ segment }, arms, rewards);
  }
  const epsilonGreedy = timePolicy((k) => eg.choose({ segment: k % segments }, slots, rng), 5000);
  const thompsonMc200 = timePolicy((k) => ts.choose({ segment: k % segments }, slots, rng, 200), 200);
  const thompsonNoPropensity = timePolicy((k) => ts.choose({ segment: k % segments }, slots, rng, 0), 2000);

  const engine = await Engine.open({ store: ":memory:", seed: 1 });
  try {
    await engine.store.upsertItems(
      Array.from({ length: candidates }, (_, k) =>
        catalogueItemSchema.parse({ id: `shelf-${k}`, title: `Shelf ${k}`, tags: [`tag${k % 20}`] }),
      ),
    );
    const home = new HomeService({
      store: engine.store,
      modelsDir: engine.modelsDir,
      models: engine.models,
      draws: new Random(2),
    });
    await home.page("warm");
    const chooseOnly: number[] = [];
    const logged: number[] = [];
    for (let k = 0; k < 1000; k++) {
      let t = performance.now();
      await home.choose(`u${k}`, { slots, context: `ctx${k % segments}` });
      chooseOnly.push(performance.now() - t);
      t = performance.now();
      await home.page(`u${k}`, { slots, context: `ctx${k % segments}` });
      logged.push(performance.now() - t);
    }
    return {
      candidates,
      slots,
      targetP99Ms: 5,
      policyOnlyMs: {
        epsilonGreedy,
        thompsonMonteCarlo200: thompsonMc200,
        thompsonWithoutPropensities: thompsonNoPropensity,
      },
      serviceMs: { chooseOnly: percentiles(chooseOnly), chooseAndLogToDuckDb: percentiles(logged) },
    };
  } finally {
    await engine.close();
  }
}
