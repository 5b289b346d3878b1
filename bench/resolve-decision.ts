/**
 * What play-or-ask adds to resolve, in process (issue 18's target: under 0.2 ms p99): for held-out requests
 * of a simulated assistant, the time of ranking the candidates (what resolve did before) and of the decision
 * on top (uncertainty from the user's history, the threshold look-up, the question when asking), both
 * timed per request in the same loop.
 */
import { userState } from "../src/core/affinity/affinity-model.js";
import { evaluateResolveDecision } from "../src/core/evaluation/resolve-decision.js";
import { trainOnPlays, voiceWorldView } from "../src/core/evaluation/voice-context.js";
import { CatalogueIndex } from "../src/core/matching/catalogue-index.js";
import { rankCandidates, textCandidates } from "../src/core/serving/resolve.js";
import { resolveDecision, resolveUncertainty } from "../src/core/serving/resolve-decision.js";
import { simulateVoice } from "../src/core/simulate/voice/index.js";
import { thresholdsFromJson } from "../src/core/thresholds/index.js";
import { turnFromEvent } from "../src/core/voice/turn.js";

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export function resolveDecisionBench(): Record<string, unknown> {
  const policy = thresholdsFromJson(
    evaluateResolveDecision({ seed: 1, users: 300, days: 14, epochs: 10, precisions: [0.9] }).policies["0.9"]
      .mist,
  );
  const world = simulateVoice({ seed: 2, users: 300, days: 14 });
  const turns = world.requests.map(turnFromEvent);
  const model = trainOnPlays(world, new Set(turns.map((t) => t.requestId)), {
    factors: 50,
    epochs: 10,
    seed: 2,
  });
  const view = voiceWorldView(model, world);
  const matcher = new CatalogueIndex(view.all);
  const userIndex = new Map(model.users.map((u, k) => [u, k]));
  const rankMs: number[] = [];
  const decideMs: number[] = [];
  let asked = 0;
  for (let pass = 0; pass < 3; pass++) {
    for (let k = 0; k < world.truth.length; k++) {
      const ui = userIndex.get(turns[k].user);
      const user = ui === undefined ? null : userState(model, ui);
      const t0 = performance.now();
      const ranked = rankCandidates(
        model,
        view,
        user,
        textCandidates(matcher, world.truth[k].spokenText),
        "personal",
      );
      const t1 = performance.now();
      const decision = resolveDecision(ranked, resolveUncertainty(view, user, ranked), 0.9, policy);
      const question =
        decision === "ask"
          ? ranked
              .slice(0, 3)
              .map((c) => `${c.title} by ${c.creators.join(" & ")}`)
              .join(" or ")
          : "";
      const t2 = performance.now();
      if (pass === 0) continue; // warm-up
      if (question) asked++;
      rankMs.push(t1 - t0);
      decideMs.push(t2 - t1);
    }
  }
  return {
    requests: rankMs.length,
    askedShare: asked / rankMs.length,
    rankMs: { p50: quantile(rankMs, 0.5), p99: quantile(rankMs, 0.99) },
    decisionMs: { p50: quantile(decideMs, 0.5), p99: quantile(decideMs, 0.99) },
  };
}
