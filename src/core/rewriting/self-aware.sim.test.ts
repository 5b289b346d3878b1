/**
 * Self-awareness on the voice simulator (methods.md 2b): rewrites are mined from the first week of logs,
 * then served live under a RewriteMonitor; halfway through, new songs named after ASR's systematic
 * mishearings come out ("Hey Dude"), so what users mean by those words changes. Rewrites that undid the
 * mishearing start losing to the hold-out and must be withdrawn, after the change and not before.
 */
import { describe, expect, it } from "vitest";
import { monitoredRewritePolicy } from "../evaluation/rewrites.js";
import { normalizeText } from "../matching/normalize.js";
import { Random } from "../random.js";
import { simulateVoice } from "../simulate/voice/index.js";
import { detectDefects } from "./defects.js";
import { buildRewriteTable } from "./markov.js";

const days = 20;
const buildDay = 7;
const driftDay = 10;

describe("RewriteMonitor on the voice simulator, meaning changed halfway", () => {
  it("withdraws the rewrites the change broke, only after the change", () => {
    const start = Date.parse("2024-01-01T00:00:00Z");
    const requestsAfterDrift = new Map<string, number>();
    const run = monitoredRewritePolicy({
      startMs: start,
      buildDay,
      rng: new Random(4),
      // Offline build on the logs so far, labelled by the defect detector.
      build: (seen) => {
        const verdicts = detectDefects(seen);
        return buildRewriteTable(seen.map((t, k) => ({ ...t, defective: verdicts[k].defective })));
      },
      onOutcome: (source, day) => {
        if (day >= driftDay) requestsAfterDrift.set(source, (requestsAfterDrift.get(source) ?? 0) + 1);
      },
    });
    const { policy, withdrawnDay } = run;
    const world = simulateVoice({ users: 400, days, seed: 8, driftDay, driftShare: 0.3, policy });
    const table = run.table;
    const monitor = run.monitor;

    expect(table!.size).toBeGreaterThan(20);
    const released = world.driftItems.map((id) =>
      normalizeText(world.catalogue.find((c) => c.id === id)!.title),
    );
    const broken = table!.rules.filter((r) => released.some((t) => ` ${r.source} `.includes(` ${t} `)));
    for (const r of broken) {
      if (withdrawnDay.has(r.source))
        expect(withdrawnDay.get(r.source), r.source).toBeGreaterThanOrEqual(driftDay);
    }
    // Those with enough traffic after the change to judge are all withdrawn, on the original's evidence.
    const tested = broken.filter((r) => (requestsAfterDrift.get(r.source) ?? 0) >= 10);
    expect(tested.length).toBeGreaterThanOrEqual(1);
    for (const r of tested) {
      const st = monitor!.status(r.source)!;
      expect(st.state, r.source).toBe("withdrawn");
      expect(st.original.mean).toBeGreaterThan(st.rewritten.mean);
    }
    // Most rewrites were not hit by the change and stay live.
    expect(monitor!.withdrawn().length).toBeLessThan(table!.size / 3);
  });
});
