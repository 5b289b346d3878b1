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

  it("with a bootstrap ensemble, fits MIST and EW-DPMT on its spread, on the same requests and halves", () => {
    const base = { seed: 3, users: 150, days: 14, epochs: 10, precisions: [0.9] };
    const plain = evaluateResolveDecision(base);
    const r = evaluateResolveDecision({ ...base, bootstrap: 3 });
    expect(plain.bootstrap).toBeUndefined();
    // The ensemble adds a report; it changes nothing of the one without it.
    expect(r.byPrecision).toEqual(plain.byPrecision);
    expect(r.bootstrap?.members).toBe(3);
    expect(Math.abs(r.bootstrap?.spearmanWithEvidence ?? 2)).toBeLessThanOrEqual(1);
    for (const m of ["mist", "ewDpmt"] as const) {
      const q = r.bootstrap?.byPrecision["0.9"][m];
      expect(q?.played).toBeGreaterThan(0.5);
      expect(q?.precision).toBeGreaterThan(0.85);
    }
  });
});
