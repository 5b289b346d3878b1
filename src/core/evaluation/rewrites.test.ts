import { describe, expect, it } from "vitest";
import { evaluateRewrites } from "./rewrites.js";

describe("evaluateRewrites on a small simulated voice assistant", () => {
  // Measured: Markov gated -6.9% defects (win/loss 49/4; to everyone -6.4%, 55/16), global -15.3%,
  // global + personal -18.0%.
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
    expect(r.markov.wins).toBeGreaterThan(5 * r.markov.losses);
    expect(r.markov.defectRate).toBeLessThan(r.markov.defectRateWithout);
  });

  it("gates make the table precise: far fewer losses than applying each rule to everyone", () => {
    expect(r.markov.gatedOut).toBeGreaterThan(0);
    expect(r.markov.losses).toBeLessThan(r.markovUngated.losses / 2);
    expect(r.markov.winLossRatio!).toBeGreaterThan(2 * r.markovUngated.winLossRatio!);
    expect(r.validation.candidates.map((c) => c.z)).toContain(r.validation.gateZ);
    // The rewrite resolves to what the user meant more often where the gates let it apply.
    expect(r.meaning.gated.sameEntityShare).toBeGreaterThan(r.meaning.ungated.sameEntityShare + 0.1);
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
