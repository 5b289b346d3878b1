/**
 * Follow-up turns of the voice simulator (issue 19): "play the next one", "play it again", "something like
 * this", their own slice (simulateFollowUps) so the voice figures elsewhere stay comparable. Each turn is
 * classified from its text (followUpKind) and answered from the previous play: "again" is that item, "like
 * this" the symmetric factors' nearest item, and "next" by each model under comparison. A turn is right when
 * the answer is one of the truth's acceptable items; unclassified turns count as wrong (what the assistant
 * did before: the words name no title).
 *   npm run bench -- follow-ups [--seeds 3] [--max-epochs 40]
 * Per seed: simulateVoice({ seed }) (700 users, 2,000 items, 28 days) and a listening world over the same
 * catalogue and users (simulateWorld, 30 days, followShare 0.3) whose plays-next graph trains the models;
 * epochs of the embedding models are chosen on a validation cut of that graph's edges (trainDirectedModel).
 */
import {
  buildDirectedGraph,
  type DirectedScorer,
  nextPlayModels,
  playsNextTransitions,
  popularityScorer,
  transitionCountScorer,
} from "../src/core/directed/index.js";
import { cosineScorer } from "../src/core/directed/scorers.js";
import { simulateFollowUps } from "../src/core/simulate/voice/follow-ups.js";
import { simulateVoice } from "../src/core/simulate/voice/simulate.js";
import { simulateWorld } from "../src/core/simulate/world.js";
import { answerFollowUp, type FollowUpKind, followUpKind } from "../src/core/voice/follow-up.js";

import { directedTrainers } from "./directed-trainers.js";

const log = (text: string) => process.stderr.write(`${text}\n`);

const nextModels = nextPlayModels;

export async function followUpsBench(options: { seeds?: number; maxEpochs?: number } = {}) {
  const seeds = options.seeds ?? 3;
  const perSeed: Array<Record<string, unknown>> = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const voice = simulateVoice({ seed });
    const turns = simulateFollowUps(voice);
    const o = voice.options;
    const listening = simulateWorld({ users: o.users, items: o.items, days: 30, followShare: 0.3, seed });
    if (listening.truth.items.some((id, i) => voice.model.items[i] !== id))
      throw new Error("the listening world's catalogue differs from the voice world's");
    const nodes = voice.model.items.length;
    const itemIndex = new Map(voice.model.items.map((id, i) => [id, i]));
    const userIndex = new Map(listening.truth.users.map((id, i) => [id, i]));
    const ev = listening.events;
    const edges = playsNextTransitions({
      userIndex: Int32Array.from(ev, (e) => userIndex.get(e.user)!),
      itemIndex: Int32Array.from(ev, (e) => itemIndex.get(e.item)!),
      endTimeMs: Float64Array.from(ev, (e) => Date.parse(e.endTime)),
      playedMs: Float64Array.from(ev, (e) => e.playedMs),
      itemLengthMs: Float64Array.from(ev, (e) => e.itemLengthMs ?? 0),
    });
    const graph = buildDirectedGraph(nodes, edges);
    log(`seed ${seed}: ${turns.length} follow-up turns, listening graph ${graph.edgeCount} edges`);
    const { embeddings: train, countsFirst } = directedTrainers(
      nodes,
      edges,
      edges,
      { seed, maxEpochs: options.maxEpochs },
      log,
    );
    const symmetric = train({ layers: 0, tied: true }, true);
    const scorers: Record<(typeof nextModels)[number], DirectedScorer> = {
      blade: train({ layers: 2 }),
      "source-target-factors": train({ layers: 0 }),
      "transition-counts": transitionCountScorer(graph),
      "symmetric-factors": symmetric,
      "item-knn-cosine": cosineScorer(graph),
      popularity: popularityScorer(graph),
      // Counts first, a prior filling in: alpha (and BLADE's epochs) chosen on each listener's latest 20% of
      // the listening world's transitions, then refitted on all of them.
      "counts-then-blade": countsFirst("blade"),
      "counts-then-popularity": countsFirst("popularity"),
    };
    const scores = new Float64Array(nodes);
    const best = (scorer: DirectedScorer, item: number) => {
      scorer.scoreAll(item, scores);
      let top = -1;
      for (let v = 0; v < nodes; v++) if (v !== item && (top < 0 || scores[v] > scores[top])) top = v;
      return top;
    };
    const likeThis = (item: number) => best(symmetric, item);
    const result: Record<string, unknown> = { seed, turns: turns.length };
    const kinds: FollowUpKind[] = ["next", "again", "like-this"];
    const classified = turns.filter((t) => followUpKind(t.text) === t.kind).length;
    result.classifiedRight = classified / turns.length;
    for (const model of nextModels) {
      const right: Record<string, [number, number]> = { next: [0, 0], again: [0, 0], "like-this": [0, 0] };
      for (const t of turns) {
        const kind = followUpKind(t.text);
        const answer =
          kind === null
            ? null
            : answerFollowUp(kind, itemIndex.get(t.previousItem) ?? null, {
                next: (i) => best(scorers[model], i),
                likeThis,
              });
        right[t.kind][1]++;
        if (answer !== null && t.acceptable.includes(voice.model.items[answer])) right[t.kind][0]++;
      }
      result[model] = Object.fromEntries(
        kinds.map((k) => [
          k,
          { turns: right[k][1], rightShare: right[k][1] ? right[k][0] / right[k][1] : null },
        ]),
      );
      log(`  ${model}: next ${(right.next[0] / right.next[1]).toFixed(3)} (${right.next[1]} turns)`);
    }
    perSeed.push(result);
  }
  return { seeds: perSeed };
}
