import { describe, expect, it } from "vitest";
import {
  blendWeights,
  chooseBlendWeight,
  chooseSettings,
  runDirectedExperiment,
  splitForEvaluation,
} from "./experiment.js";
import { buildDirectedGraph, edgesOf, hasEdge } from "./graph.js";
import { evaluateDirected } from "./metrics.js";
import { embeddingScorer } from "./scorers.js";
import { criterionOf, searchOnValidation, type ValidationScore, ValidationWatch } from "./search.js";
import { simulateFollowGraph } from "./synthetic.js";

/** Feeds checks at 20, 40, ... epochs until the watch says stop; returns where it stopped and its best. */
function watchRun(checks: Array<[mrr: number, auc: number]>, patience = 3) {
  const watch = new ValidationWatch(patience);
  let stoppedAt = 0;
  for (const [i, [mrr, directionAuc]] of checks.entries()) {
    stoppedAt = 20 * (i + 1);
    if (!watch.check(stoppedAt, { mrr, directionAuc })) break;
  }
  return { stoppedAt, best: watch.best()! };
}

describe("the validation rule of one run", () => {
  it("does not stop on the direction the biases bring at the start while ranking still climbs", () => {
    // Biases from the counts: AUC high at once and dipping as the vectors learn to rank; MRR + AUC stays below
    // its first check until 100 epochs. A stop on the sum with patience 3 would end at 80 and keep epoch 20.
    const run = watchRun([
      [0.05, 0.86], // 0.91
      [0.06, 0.84], // 0.90
      [0.07, 0.83], // 0.90
      [0.09, 0.8], // 0.89
      [0.15, 0.8], // 0.95
      [0.2, 0.81], // 1.01, the best
      [0.19, 0.8],
      [0.19, 0.79],
      [0.18, 0.79], // third check with neither gaining: stop
      [0.3, 0.9], // never reached
    ]);
    expect(run.stoppedAt).toBe(180);
    expect(run.best).toMatchObject({ epochs: 120, mrr: 0.2, directionAuc: 0.81, stoppedAt: 180 });
  });

  it("does not stop in the MRR dip while the biases learn direction from zero", () => {
    // From zero: MRR falls for two checks while AUC rises (the sum gains at 40), then both recover. A stop on
    // MRR alone with patience 3 would end at 80.
    const run = watchRun([
      [0.21, 0.78], // 0.99
      [0.18, 0.84], // 1.02: the sum gains
      [0.16, 0.83],
      [0.18, 0.83],
      [0.2, 0.84], // 1.04: the sum gains
      [0.22, 0.8], // MRR gains (sum 1.02)
      [0.21, 0.8],
      [0.21, 0.79],
      [0.2, 0.79], // stop
    ]);
    expect(run.stoppedAt).toBe(180);
    expect(run.best.epochs).toBe(100);
  });

  it("stops after `patience` checks in a row without a gain, and chooses on MRR alone without direction pairs", () => {
    const flat = watchRun(
      [
        [0.1, Number.NaN],
        [0.12, Number.NaN],
        [0.11, Number.NaN],
        [0.12, Number.NaN], // a tie is no gain
        [0.5, Number.NaN],
      ],
      2,
    );
    expect(flat.stoppedAt).toBe(80);
    expect(flat.best.epochs).toBe(40);
    expect(flat.best.criterion).toBeCloseTo(0.62, 12);
    expect(() => new ValidationWatch(0)).toThrow(RangeError);
  });

  it("counts a direction AUC below chance as chance, so below 0.5 MRR alone decides", () => {
    expect(criterionOf({ mrr: 0.02, directionAuc: 0.41 })).toBeCloseTo(0.52, 12);
    expect(criterionOf({ mrr: 0.02, directionAuc: 0.5 })).toBeCloseTo(0.52, 12);
    expect(criterionOf({ mrr: 0.02, directionAuc: 0.7 })).toBeCloseTo(0.72, 12);
    expect(criterionOf({ mrr: 0.02, directionAuc: Number.NaN })).toBeCloseTo(0.52, 12);
    // Spotify seed 1's shape: the first check has the less-wrong direction, a later one ranks five times
    // better. The raw sum would keep the first (0.4404 against 0.4317); counted at chance, the later one wins
    // on its MRR.
    const belowChance = watchRun([
      [0.0034, 0.437], // raw 0.4404, the raw sum's best
      [0.009, 0.42],
      [0.0177, 0.414], // raw 0.4317; the best MRR
      [0.015, 0.41],
      [0.014, 0.4],
    ]);
    expect(belowChance.best).toMatchObject({ epochs: 60, mrr: 0.0177 });
    expect(belowChance.best.criterion).toBeCloseTo(0.5177, 12);
    // One check above chance still earns its direction over a better-ranking one below it.
    const mixed = watchRun([
      [0.01, 0.56], // 0.57
      [0.03, 0.45], // 0.53
      [0.02, 0.4],
      [0.02, 0.4],
    ]);
    expect(mixed.best.epochs).toBe(20);
  });
});

describe("the search over bias starts and L2", () => {
  const sim = simulateFollowGraph({ nodes: 300, sequenceLength: 10, meanOutDegree: 3, noise: 0.05, seed: 3 });
  const split = splitForEvaluation(300, sim, { seed: 2 });
  const settings = { maxEpochs: 40, checkEvery: 20, patience: 3, l2Values: [1e-6, 1e-4] };
  const validate = (e: Parameters<typeof embeddingScorer>[0]): ValidationScore => {
    const m = evaluateDirected(embeddingScorer(e), split.fit, split.train, split.validation).overall;
    return { mrr: m.mrr, directionAuc: m.directionAuc };
  };

  it("tries both starts by default, keeps the best criterion, and lets an explicit start force one", () => {
    const both = searchOnValidation(split.fit, { dim: 8, seed: 1 }, settings, validate);
    expect(both.tried.map((t) => [t.biasInit, t.l2])).toEqual([
      ["zero", 1e-6],
      ["zero", 1e-4],
      ["log-degree", 1e-6],
      ["log-degree", 1e-4],
    ]);
    const top = Math.max(...both.tried.map((t) => t.criterion));
    expect(both.chosen.criterion).toBe(top);
    expect(both.tried.find((t) => t.criterion === top)).toEqual(both.chosen);
    // The log-degree start starts as a degree score: its first check differs from the zero start's.
    expect(both.tried[2].criterion).not.toBe(both.tried[0].criterion);

    const forced = searchOnValidation(
      split.fit,
      { dim: 8, seed: 1, biasInit: "log-degree" },
      settings,
      validate,
    );
    expect(forced.tried.map((t) => t.biasInit)).toEqual(["log-degree", "log-degree"]);
    expect(forced.tried).toEqual(both.tried.slice(2));
    const tied = searchOnValidation(
      split.fit,
      { dim: 8, seed: 1, tied: true, layers: 0 },
      settings,
      validate,
    );
    expect(tied.tried.map((t) => t.biasInit)).toEqual(["zero", "zero"]);
  });

  it("chooses from the training side only: the test edges never reach the chooser", () => {
    const { full, train, testEdges, fit, validation } = split;
    // The cuts: the test is disjoint from the training edges, and fit + validation are the training edges.
    expect(train.edgeCount + testEdges.sources.length).toBe(full.edgeCount);
    for (let k = 0; k < testEdges.sources.length; k++)
      expect(hasEdge(train, testEdges.sources[k], testEdges.targets[k])).toBe(false);
    for (let k = 0; k < validation.sources.length; k++) {
      expect(hasEdge(train, validation.sources[k], validation.targets[k])).toBe(true);
      expect(hasEdge(fit, validation.sources[k], validation.targets[k])).toBe(false);
    }
    expect(fit.edgeCount + validation.sources.length).toBe(train.edgeCount);

    // The evaluation's choice is exactly the chooser run on those training-side cuts.
    const options = { seed: 2, maxEpochs: 40, checkEvery: 20, l2Values: [1e-4], train: { dim: 8 } };
    const report = runDirectedExperiment(300, sim, { ...options, models: ["blade"] });
    const blade = { dim: 8, seed: 2, layers: 2, sampling: { mode: "biased" } } as const;
    const chooseWith = (fitGraph: typeof fit) => chooseSettings(fitGraph, train, validation, blade, options);
    const direct = chooseWith(fit);
    expect(report.results[0].validation).toEqual(direct.tried);
    expect(report.results[0].biasInit).toBe(direct.chosen.biasInit);
    expect(report.results[0].epochs).toBe(direct.chosen.epochs);

    // Had the test edges reached the chooser (in the graph it trains on), the record would differ, so the
    // equality above is a real check.
    const e = edgesOf(fit);
    const leaked = buildDirectedGraph(300, {
      sources: Int32Array.from([...e.sources, ...testEdges.sources]),
      targets: Int32Array.from([...e.targets, ...testEdges.targets]),
      weights: Float32Array.from([...e.weights, ...testEdges.weights]),
    });
    expect(chooseWith(leaked).tried).not.toEqual(direct.tried);
  });

  it("blade-plus-knn: BLADE's own fit, the cosine weight chosen on the training side, BLADE's direction AUC", () => {
    const { fit, train, validation } = split;
    const options = { seed: 2, maxEpochs: 40, checkEvery: 20, l2Values: [1e-4], train: { dim: 8 } };
    const report = runDirectedExperiment(300, sim, { ...options, models: ["blade", "blade-plus-knn"] });
    const [blade, blend] = report.results;
    expect(blend.validation).toEqual(blade.validation);
    expect(blend.blend!.tried.map((t) => t.weight)).toEqual([...blendWeights]);
    const bladeSide = { dim: 8, seed: 2, layers: 2, sampling: { mode: "biased" } } as const;
    const onFit = chooseSettings(fit, train, validation, bladeSide, options, true).embeddings!;
    expect(blend.blend).toEqual(chooseBlendWeight(embeddingScorer(onFit), fit, train, validation));
    const best = Math.max(...blend.blend!.tried.map((t) => t.mrr));
    expect(blend.blend!.tried.find((t) => t.weight === blend.blend!.weight)!.mrr).toBe(best);
    // The cosine is the same both ways, so it cancels in every direction pair.
    expect(blend.report.overall.directionPairs).toBe(blade.report.overall.directionPairs);
    expect(blend.report.overall.directionAuc).toBeCloseTo(blade.report.overall.directionAuc, 6);
    // At weight 0 the blend is BLADE itself; at the largest the cosine decides wherever it differs.
    const zero = blend.blend!.tried.find((t) => t.weight === 0)!;
    const bladeAlone = evaluateDirected(embeddingScorer(onFit), fit, train, validation).overall.mrr;
    expect(zero.mrr).toBe(bladeAlone);
  });
});
