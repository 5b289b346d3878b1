import { describe, expect, it } from "vitest";
import { Random } from "../../random.js";
import { requestContent } from "../rephrase.js";
import {
  candidateFeatures,
  featureCount,
  featureIndex,
  passesGuard,
  type QueryInfo,
  type RewriteCandidate,
  RewriteRanker,
  type TrainingGroup,
} from "./ranker.js";

function query(text: string, catalogue?: QueryInfo["catalogue"]): QueryInfo {
  return { text, content: requestContent(text), kindHint: null, catalogue };
}
function personal(text: string, item: string): RewriteCandidate {
  return {
    layer: "personal",
    source: "utterance",
    text,
    keyContent: requestContent(text),
    content: requestContent(text),
    item,
    similarity: 0.6,
    personal: { weight: 0.9, count: 20 },
    affinity: 0.95,
  };
}

describe("passesGuard", () => {
  const fan = personal("play we don't talk anymore", "wdta");

  it("does not let a fan's favourite replace a real title they did not ask for", () => {
    const bruno = query("play we don't talk about bruno", {
      bestScore: 1,
      items: new Set(["bruno"]),
      scores: new Map([["bruno", 1]]),
    });
    expect(passesGuard(bruno, fan)).toBe(false);
  });

  it("lets it fix a request that matches nothing well and sounds like it", () => {
    const misheard = query("play we dont tuck any more", {
      bestScore: 0.7,
      items: new Set(["wdta"]),
      scores: new Map([["wdta", 0.7]]),
    });
    expect(passesGuard(misheard, fan)).toBe(true);
    // Too far in sound and spelling, even without a catalogue.
    expect(passesGuard(query("play something by charlie"), fan)).toBe(false);
  });
});

describe("RewriteRanker", () => {
  it("learns to prefer close rewrites of unmatched requests and to keep matched ones", () => {
    const rng = new Random(3);
    const groups: TrainingGroup[] = [];
    for (let g = 0; g < 400; g++) {
      const keep = rng.next() < 0.5;
      const q: QueryInfo = {
        text: "q",
        content: "q",
        kindHint: null,
        catalogue: {
          bestScore: keep ? 0.9 + 0.1 * rng.next() : 0.4 + 0.3 * rng.next(),
          items: new Set(),
          scores: new Map(),
        },
      };
      const features = [
        candidateFeatures(q, {
          layer: "original",
          source: "original",
          text: "q",
          keyContent: "q",
          content: "q",
          item: null,
          similarity: 1,
        }),
      ];
      const positive = [keep];
      for (let c = 0; c < 3; c++) {
        const right = !keep && c === 0;
        const x = new Float64Array(featureCount);
        x[featureIndex["bias-rewrite"]] = 1;
        x[featureIndex.cosine] = right ? 0.7 + 0.3 * rng.next() : 0.3 + 0.4 * rng.next();
        x[featureIndex.edit] = x[featureIndex.cosine];
        features.push(x);
        positive.push(right);
      }
      groups.push({ features, positive });
    }
    const untrained = new RewriteRanker(new Float64Array(featureCount));
    const ranker = RewriteRanker.train(groups);
    expect(ranker.logLikelihood(groups)).toBeGreaterThan(untrained.logLikelihood(groups) + 0.5);
    expect(ranker.weights[featureIndex["keep-catalogue-score"]]).toBeGreaterThan(0); // a good catalogue match argues for keeping
    expect(ranker.weights[featureIndex.cosine] + ranker.weights[featureIndex.edit]).toBeGreaterThan(0); // closeness argues for the rewrite
  });
});
