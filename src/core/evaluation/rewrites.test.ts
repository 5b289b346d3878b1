import { describe, expect, it } from "vitest";
import { evaluateRewrites } from "./rewrites.js";

describe("evaluateRewrites on a small simulated voice assistant", () => {
  // Measured: Markov -6.5% defects (win/loss 56/16), global -13.4%, global + personal -16.4%.
  const r = evaluateRewrites({ seed: 3, users: 150, days: 20, heldOutDays: 6, items: 800 });

  it("detects defects and rephrases against the simulator's truth", () => {
    expect(r.detection.defects.precision).toBeGreaterThan(0.75);
    expect(r.detection.defects.recall).toBeGreaterThan(0.85);
    expect(r.detection.rephrases.precision).toBeGreaterThan(0.95);
    expect(r.detection.rephrases.recall).toBeGreaterThan(0.95);
  });

  it("mined rewrites cut held-out defects and win far more often than they lose", () => {
    expect(r.markov.rules).toBeGreaterThan(5);
    expect(r.markov.defectChange).toBeLessThan(-0.03);
    expect(r.markov.wins).toBeGreaterThan(2 * r.markov.losses);
    expect(r.markov.defectRate).toBeLessThan(r.markov.defectRateWithout);
  });

  it("the online layers cut defects, the personal layer further", () => {
    expect(r.online.global.defectChange).toBeLessThan(-0.08);
    expect(r.online.global.wins).toBeGreaterThan(2 * r.online.global.losses);
    expect(r.online.globalPersonal.defectChange).toBeLessThan(r.online.global.defectChange);
  });

  it("withdraws rewrites only after meanings change", () => {
    expect(r.selfAware.liveRules).toBeGreaterThan(0);
    expect(r.selfAware.withdrawnBeforeDrift).toBe(0);
  });
});
