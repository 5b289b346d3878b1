import { describe, expect, it } from "vitest";
import { evaluateResolveDecision } from "./resolve-decision.js";

describe("play or ask on the simulated assistant", () => {
  it("fitted thresholds keep precision near P* on held-out requests and play more than raw confidence", () => {
    const r = evaluateResolveDecision({ seed: 2, users: 250, days: 21, epochs: 10, precisions: [0.9] });
    expect(r.testRequests).toBeGreaterThan(500);
    const at = r.byPrecision["0.9"];
    for (const m of ["single", "mist", "ewDpmt"] as const) {
      expect(at[m].precision).toBeGreaterThan(0.86);
      // The softmax share is underconfident: a threshold fitted on calibration requests plays far more.
      expect(at[m].played).toBeGreaterThan(at.confidence.played + 0.1);
    }
    expect(at.confidence.precision).toBeGreaterThan(0.9);
  });
});
