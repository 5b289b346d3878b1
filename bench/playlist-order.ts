/**
 * Playlist ordering by the directed model (issue 17): a playlist's items ordered so each next item follows
 * well (orderByFollows: greedy, the opener given), against baseline orders. Playlists are real listening
 * sessions of the test period (each listener's latest 20% of plays-next transitions; sessions of 4-20 listened
 * items), their items shuffled behind the opener; an ordering is scored by the share of its consecutive pairs
 * the listener also played in that order, and, on the simulated world, the share where the next item is what
 * truly follows (the creator's next item). Models learn from the earlier transitions only (epochs chosen on a
 * validation cut of them).
 *   npm run bench -- playlist-order [--seeds 2] [--max-epochs 40]
 * World per seed: simulateWorld (300 users x 2,000 items, 60 days, followShare 0.3).
 */
import {
  buildDirectedGraph,
  type DirectedScorer,
  playsNextTransitions,
  popularityScorer,
  splitByTime,
  transitionCountScorer,
} from "../src/core/directed/index.js";
import { evaluateOrdering, listeningSessions, orderByFollows } from "../src/core/directed/order.js";
import { Random } from "../src/core/random.js";
import { simulateWorld } from "../src/core/simulate/world.js";

import { directedTrainers } from "./directed-trainers.js";

const log = (text: string) => process.stderr.write(`${text}\n`);

export async function playlistOrderBench(options: { seeds?: number; maxEpochs?: number } = {}) {
  const seeds = options.seeds ?? 2;
  const perSeed: Array<Record<string, unknown>> = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const world = simulateWorld({ users: 300, items: 2000, days: 60, followShare: 0.3, seed });
    const users = new Map(world.truth.users.map((id, i) => [id, i]));
    const items = new Map(world.truth.items.map((id, i) => [id, i]));
    const ev = world.events;
    const plays = {
      userIndex: Int32Array.from(ev, (e) => users.get(e.user)!),
      itemIndex: Int32Array.from(ev, (e) => items.get(e.item)!),
      endTimeMs: Float64Array.from(ev, (e) => Date.parse(e.endTime)),
      playedMs: Float64Array.from(ev, (e) => e.playedMs),
      itemLengthMs: Float64Array.from(ev, (e) => e.itemLengthMs ?? 0),
    };
    const t = playsNextTransitions(plays);
    const { early, late } = splitByTime(t, 0.2);
    const cut = new Float64Array(users.size).fill(Number.POSITIVE_INFINITY);
    for (const k of late) cut[t.userIndex[k]] = Math.min(cut[t.userIndex[k]], t.endTimeMs[k]);
    const trainEdges = {
      sources: Int32Array.from(early, (k) => t.sources[k]),
      targets: Int32Array.from(early, (k) => t.targets[k]),
      weights: Float32Array.from(early, (k) => t.weights[k]),
    };
    const n = items.size;
    const graph = buildDirectedGraph(n, trainEdges);
    const sessions = listeningSessions(plays, {}, (row) => plays.endTimeMs[row] >= cut[plays.userIndex[row]]);
    const random = new Random(seed);
    const sample =
      sessions.length > 500 ? sessions.filter(() => random.next() < 500 / sessions.length) : sessions;
    log(
      `seed ${seed}: ${graph.edgeCount} training edges, ${sample.length} of ${sessions.length} test sessions`,
    );
    // Counts first with a prior filling in: alpha (and BLADE's epochs) chosen on each listener's latest 20%
    // of the training transitions, then refitted on all of them.
    const trainTransitions = {
      ...trainEdges,
      userIndex: Int32Array.from(early, (k) => t.userIndex[k]),
      endTimeMs: Float64Array.from(early, (k) => t.endTimeMs[k]),
      sessionIndex: Int32Array.from(early, (k) => t.sessionIndex[k]),
    };
    const { embeddings: train, countsFirst } = directedTrainers(
      n,
      trainEdges,
      trainTransitions,
      { seed, maxEpochs: options.maxEpochs },
      log,
    );
    const scorers: Record<string, DirectedScorer> = {
      "directed embeddings (BLADE)": train({ layers: 2 }),
      "transition counts": transitionCountScorer(graph),
      "counts first, BLADE fills": countsFirst("blade"),
      "counts first, popularity fills": countsFirst("popularity"),
      "symmetric factors": train({ layers: 0, tied: true }, true),
      popularity: popularityScorer(graph),
    };
    const result: Record<string, unknown> = { seed, sessions: sample.length };
    for (const [name, scorer] of Object.entries(scorers)) {
      const m = evaluateOrdering(
        sample,
        (list, first) => orderByFollows(list, scorer, first),
        new Random(seed),
        world.truth.follows,
      );
      result[name] = m;
      log(`  ${name}: adjacent ${m.adjacentPairs.toFixed(3)} true follows ${m.trueFollows.toFixed(3)}`);
    }
    // The baseline order: the items as handed over (shuffled behind the opener), as a playlist without ordering.
    result["given order (shuffled)"] = evaluateOrdering(
      sample,
      (list) => list,
      new Random(seed),
      world.truth.follows,
    );
    perSeed.push(result);
  }
  return { seeds: perSeed };
}
