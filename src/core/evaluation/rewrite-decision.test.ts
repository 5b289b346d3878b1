import { describe, expect, it } from "vitest";
import { evaluateRewriteDecision } from "./rewrite-decision.js";

describe("the rewrite decision on the simulated assistant", () => {
  it("fits thresholds on (success estimate, spread) and keeps precision near P* on held-out requests", () => {
    const r = evaluateRewriteDecision({ seed: 2, users: 300, days: 24, heldOutDays: 10, bootstrap: 20 });
    expect(r.requests).toBeGreaterThan(200);
    const t = r.thresholds;
    expect(t.calibrationExamples + t.testExamples).toBe(r.requests);
    // Rewriting everyone is right only as often as the rewrite is meant; the gain gate is more precise.
    expect(r.always.rewritten).toBe(1);
    expect(r.always.precision).toBeCloseTo(t.testPositiveRate, 12);
    expect(r.gainGate.precision).toBeGreaterThan(r.always.precision);
    // The analytic spread follows the bootstrap's.
    expect(r.spread.spearman).toBeGreaterThan(0.5);
    const at = t.byPrecision["0.8"];
    for (const q of [at.single, at.mist.analytic, at.ewDpmt.analytic]) {
      expect(q.selected).toBeGreaterThan(0);
      expect(q.precision).toBeGreaterThan(0.72);
    }
    // What a table serves: per-bin thresholds for each P*.
    expect(r.policies["0.9"].method).toBe("mist");
  });
});
