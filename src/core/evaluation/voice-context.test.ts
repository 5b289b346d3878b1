import { describe, expect, it } from "vitest";
import { turnLabels } from "../voice/turn.js";
import { evaluateVoiceContext, type VoiceContextReport } from "./voice-context.js";

/**
 * A small world (200 users, 10 training days, 4 held out) and a small affinity model keep this to a few
 * seconds. Measured on seed 1: context lifts cross-kind accuracy 0.631 -> 0.737 and ambiguous accuracy
 * 0.592 -> 0.665; classifier macro-F1 0.895 vs 0.783 for the rules. Seeds 2-5 gave similar gaps.
 */
const SMALL = { seed: 1, users: 200, days: 14, heldOutDays: 4, blendFitDays: 3, factors: 16, epochs: 15 };

describe("evaluateVoiceContext", () => {
  let report: VoiceContextReport;
  it("runs on a small world and reports the split", () => {
    report = evaluateVoiceContext(SMALL);
    expect(report.world).toMatchObject({ seed: 1, users: 200, days: 14, trainDays: 10, heldOutDays: 4 });
    expect(report.world.trainTurns + report.world.heldOutTurns).toBe(report.world.turns);
    expect(report.world.contextObservations).toBeGreaterThan(1000);
    // tv and screen say the same thing: the fitted scale discounts the double count.
    expect(report.world.contextScale).toBeGreaterThan(0.2);
    expect(report.world.contextScale).toBeLessThan(0.9);
    // Everything is plain JSON.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("resolves same-title requests better with context, most where another kind shares the title", () => {
    const { ambiguous, crossKind, sameKind, all, byScreen } = report.resolution;
    expect(crossKind.cases).toBeGreaterThan(300);
    expect(ambiguous.cases).toBe(crossKind.cases + sameKind.cases);
    expect(byScreen.screen.cases + byScreen.noScreen.cases).toBe(ambiguous.cases);
    expect(crossKind.withContext - crossKind.withoutContext).toBeGreaterThan(0.06);
    expect(ambiguous.withContext - ambiguous.withoutContext).toBeGreaterThan(0.04);
    expect(byScreen.screen.withContext).toBeGreaterThan(byScreen.screen.withoutContext);
    expect(byScreen.noScreen.withContext).toBeGreaterThan(byScreen.noScreen.withoutContext);
    // Context must not cost the unambiguous majority what it gains on the rest.
    expect(all.withContext).toBeGreaterThan(all.withoutContext);
    expect(crossKind.popularityWithContext).toBeGreaterThan(crossKind.popularity + 0.05);
  });

  it("fits resolve's evidence weights on the last training days, with a model of the days before", () => {
    const { blendFit, blend } = report.resolution;
    expect(blendFit.days).toBe(3);
    // Turns of the 3 fit days only: far fewer than the training side's first attempts.
    expect(blendFit.turns).toBeGreaterThan(200);
    expect(blendFit.turns).toBeLessThan(report.world.trainTurns / 2);
    // The prior is on the grid, so the chosen blend is at least as good on the fit days.
    expect(blendFit.accuracy).toBeGreaterThanOrEqual(blendFit.priorAccuracy);
    expect(blend.taste).toBeGreaterThanOrEqual(0);
  });

  it("isolates failure points clearly better than the rule baseline", () => {
    const { classifier, ruleBaseline, macroF1, f1ByClass } = report.failurePoints;
    expect(ruleBaseline.macroF1).toBe(macroF1.ruleBaseline);
    expect(classifier.labels).toEqual([...turnLabels]);
    expect(macroF1.classifier).toBeGreaterThan(0.85);
    expect(macroF1.classifier).toBeGreaterThan(macroF1.ruleBaseline + 0.05);
    // A fair baseline, not a straw man.
    expect(macroF1.ruleBaseline).toBeGreaterThan(0.65);
    for (const label of turnLabels) {
      expect(classifier.perClass[label].support).toBeGreaterThan(20);
      expect(f1ByClass[label].classifier).toBeGreaterThan(0.6);
    }
    const total = Object.values(classifier.confusion).reduce(
      (sum, row) => sum + Object.values(row).reduce((a, b) => a + b, 0),
      0,
    );
    expect(total).toBe(report.world.heldOutTurns);
  });

  it("finds the stage that fails most, as the truth has it", () => {
    const { predicted, truth } = report.failures;
    expect(predicted.turns).toBe(report.world.heldOutTurns);
    expect(predicted.worstStage).toBe(truth.worstStage);
    expect(Math.abs(predicted.failures - truth.failures)).toBeLessThan(0.15 * truth.failures);
  });

  it("is deterministic for a seed and checks its options", () => {
    const tiny = {
      seed: 3,
      users: 40,
      days: 5,
      heldOutDays: 2,
      blendFitDays: 1,
      factors: 8,
      epochs: 4,
      fpiEpochs: 4,
    };
    expect(evaluateVoiceContext(tiny)).toEqual(evaluateVoiceContext(tiny));
    expect(() => evaluateVoiceContext({ ...tiny, heldOutDays: 5 })).toThrow(/heldOutDays/);
    expect(() => evaluateVoiceContext({ ...tiny, factors: 0 })).toThrow(/factors/);
    expect(() => evaluateVoiceContext({ ...tiny, blendFitDays: 3 })).toThrow(/blendFitDays/);
  });
});
