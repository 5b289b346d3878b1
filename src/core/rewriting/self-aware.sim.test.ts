/**
 * Self-awareness on the voice simulator (methods.md 2b): rewrites are mined from the first week of logs,
 * then served live under a RewriteMonitor; halfway through, new songs named after ASR's systematic
 * mishearings come out ("Hey Dude"), so what users mean by those words changes. Rewrites that undid the
 * mishearing start losing to the hold-out and must be withdrawn, after the change and not before.
 */
import { describe, expect, it } from "vitest";
import type { RequestEvent } from "../../schema/events.js";
import { normalizeText } from "../matching/normalize.js";
import { Random } from "../random.js";
import { simulateVoice, type VoicePolicy } from "../simulate/voice/index.js";
import { turnFromEvent, type VoiceTurn } from "../voice/turn.js";
import { detectDefects } from "./defects.js";
import { buildRewriteTable, type RewriteTable } from "./markov.js";
import { signalReasons } from "./rephrase.js";
import { RewriteMonitor } from "./self-aware.js";

const DAY = 86_400_000;
const days = 20;
const buildDay = 7;
const driftDay = 10;

describe("RewriteMonitor on the voice simulator, meaning changed halfway", () => {
  it("withdraws the rewrites the change broke, only after the change", () => {
    const start = Date.parse("2024-01-01T00:00:00Z");
    const seen: VoiceTurn[] = [];
    const rng = new Random(4);
    let table: RewriteTable | null = null;
    let monitor: RewriteMonitor | null = null;
    const withdrawnDay = new Map<string, number>();
    const requestsAfterDrift = new Map<string, number>();

    const policy: VoicePolicy = {
      rewrite(turn) {
        if (table === null && turn.timeMs >= start + buildDay * DAY) {
          // Offline build on the logs so far, labelled by the defect detector.
          const verdicts = detectDefects(seen);
          table = buildRewriteTable(seen.map((t, k) => ({ ...t, defective: verdicts[k].defective })));
          // Scaled to a rule's few requests a day here: a larger hold-out, fewer outcomes, short memory.
          monitor = RewriteMonitor.fromTable(table, {
            holdout: 0.2,
            minRewritten: 10,
            minHoldout: 4,
            halfLife: 60,
          });
        }
        if (!monitor) return null;
        const served = monitor.serve(turn.text, rng);
        return served.decision === "rewrite" ? served.text : null;
      },
      observe(event: RequestEvent) {
        const turn = turnFromEvent(event);
        seen.push(turn);
        const source = event.rewrittenFrom ?? event.text;
        const before = monitor?.status(source);
        if (!monitor || !before || before.state === "withdrawn") return;
        const day = Math.floor((turn.timeMs - start) / DAY);
        if (day >= driftDay)
          requestsAfterDrift.set(before.source, (requestsAfterDrift.get(before.source) ?? 0) + 1);
        // Online outcome: no barge-in, error or short play (a rephrase is only known later).
        monitor.record(
          source,
          event.rewrittenFrom !== undefined,
          signalReasons(turn, undefined).length === 0,
        );
        if (monitor.status(source)!.state === "withdrawn") withdrawnDay.set(before.source, day);
      },
    };
    const world = simulateVoice({ users: 400, days, seed: 8, driftDay, driftShare: 0.3, policy });

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
