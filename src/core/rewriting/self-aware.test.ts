import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { RewriteTable } from "./rewrite-table.js";
import { defaultMonitorOptions, probabilityGreater, RewriteMonitor } from "./self-aware.js";

/** Monte Carlo reference: X = G(a) / (G(a) + G(b)). */
function monteCarlo(a1: number, b1: number, a2: number, b2: number, draws = 100_000): number {
  const rng = new Random(99);
  const beta = (a: number, b: number) => {
    const x = rng.gamma(a);
    return x / (x + rng.gamma(b));
  };
  let wins = 0;
  for (let k = 0; k < draws; k++) if (beta(a1, b1) > beta(a2, b2)) wins++;
  return wins / draws;
}

describe("probabilityGreater", () => {
  it("is exact where the answer is known", () => {
    expect(probabilityGreater(1, 1, 1, 1)).toBeCloseTo(0.5, 4);
    expect(probabilityGreater(2, 1, 1, 1)).toBeCloseTo(2 / 3, 3); // ∫ 2x · x dx
    expect(probabilityGreater(1, 2, 1, 1)).toBeCloseTo(1 / 3, 3);
    expect(probabilityGreater(500, 10, 10, 500)).toBeCloseTo(1, 9);
  });

  it.each([
    [3, 7, 5, 5],
    [10.5, 2.2, 30.1, 9.7],
    [400, 100, 40, 12],
    [1.3, 1, 2, 5.5],
    [900, 120, 880, 118],
  ])("Beta(%s, %s) > Beta(%s, %s) agrees with Monte Carlo and with its complement", (a1, b1, a2, b2) => {
    const p = probabilityGreater(a1, b1, a2, b2);
    expect(Math.abs(p - monteCarlo(a1, b1, a2, b2))).toBeLessThan(0.006);
    expect(p + probabilityGreater(a2, b2, a1, b1)).toBeCloseTo(1, 3);
  });
});

/** Plays `n` requests of one source: outcome probabilities of the rewrite and of the source as said. */
function play(
  m: RewriteMonitor,
  rng: Random,
  n: number,
  pRewrite: number,
  pOriginal: number,
  source = "play serious chill",
) {
  let firstWithdrawn = -1;
  for (let k = 0; k < n; k++) {
    const d = m.decide(source, rng);
    if (d === "original") {
      if (firstWithdrawn < 0) firstWithdrawn = k;
      continue;
    }
    const served = d === "rewrite";
    m.record(source, served, rng.next() < (served ? pRewrite : pOriginal));
  }
  return firstWithdrawn;
}

describe("RewriteMonitor", () => {
  it("holds out about ε of a live rewrite's requests, reproducibly from the seed", () => {
    const m = new RewriteMonitor();
    m.add("Play Serious Chill", "play sirius chill");
    const draw = (seed: number) => {
      const rng = new Random(seed);
      return Array.from({ length: 20_000 }, () => m.decide("play serious chill!", rng));
    };
    const a = draw(1);
    const share = a.filter((d) => d === "holdout").length / a.length;
    expect(Math.abs(share - defaultMonitorOptions.holdout)).toBeLessThan(0.005);
    expect(draw(1)).toEqual(a);
    expect(m.decide("something else", new Random(1))).toBe("original");
  });

  it("keeps a rewrite that keeps winning, and confirms it", () => {
    const m = new RewriteMonitor();
    m.add("play serious chill", "play sirius chill");
    expect(play(m, new Random(2), 20_000, 0.85, 0.5)).toBe(-1);
    const st = m.status("play serious chill")!;
    expect(st.state).toBe("confirmed");
    expect(st.pWin).toBeGreaterThan(0.99);
    expect(m.withdrawn()).toEqual([]);
  });

  it("does not withdraw a fresh rewrite on its first few bad outcomes", () => {
    const m = new RewriteMonitor();
    m.add("play serious chill", "play sirius chill");
    for (let k = 0; k < 5; k++) m.record("play serious chill", true, false);
    for (let k = 0; k < 3; k++) m.record("play serious chill", false, true);
    const st = m.status("play serious chill")!;
    expect(st.pWin).toBeLessThan(defaultMonitorOptions.withdrawBelow);
    expect(st.state).toBe("trial");
  });

  it("withdraws a rewrite within a bounded number of requests after users change what they mean", () => {
    // Until the change "serious chill" means the station the rewrite names; then a new song of that name
    // comes out and people mean the song, which the original request finds and the rewrite does not.
    const delays: number[] = [];
    for (const seed of [3, 4, 5, 6, 7]) {
      const m = new RewriteMonitor();
      m.add("play serious chill", "play sirius chill");
      const rng = new Random(seed);
      expect(play(m, rng, 5000, 0.9, 0.3)).toBe(-1);
      expect(m.status("play serious chill")!.state).toBe("confirmed");
      const delay = play(m, rng, 5000, 0.2, 0.85);
      expect(delay).toBeGreaterThan(0);
      delays.push(delay);
      const [w] = m.withdrawn();
      expect(w.source).toBe("play serious chill");
      expect(w.pWin).toBeLessThan(defaultMonitorOptions.withdrawBelow);
      expect(w.original.mean).toBeGreaterThan(w.rewritten.mean);
      expect(w.withdrawnAt).toBe(5000 + delay);
    }
    // About one half-life (1000 requests) for the decayed evidence to turn; never more than two.
    expect(Math.max(...delays)).toBeLessThan(2 * defaultMonitorOptions.halfLife);

    // Without forgetting, five thousand requests of old evidence hold the rewrite much longer.
    const m = new RewriteMonitor({ halfLife: Infinity });
    m.add("play serious chill", "play sirius chill");
    const rng = new Random(3);
    play(m, rng, 5000, 0.9, 0.3);
    const slow = play(m, rng, 20_000, 0.2, 0.85);
    expect(slow).toBeGreaterThan(2 * Math.max(...delays));
  });

  it("stops rewriting once withdrawn and ignores later outcomes; a rebuild does not revive it", () => {
    const m = new RewriteMonitor({ minRewritten: 5, minHoldout: 5 });
    m.add("a b", "c d");
    for (let k = 0; k < 40; k++) m.record("a b", true, false);
    for (let k = 0; k < 8; k++) m.record("a b", false, true);
    expect(m.status("a b")!.state).toBe("withdrawn");
    const before = m.status("a b");
    m.record("a b", true, true);
    expect(m.status("a b")).toEqual(before);
    expect(m.decide("a b", new Random(1))).toBe("original");
    m.add("A B!", "c d");
    expect(m.status("a b")!.state).toBe("withdrawn");
    m.add("a b", "e f"); // a different rewrite starts afresh
    expect(m.status("a b")).toMatchObject({ state: "trial", rewrite: "e f", requests: 0 });
  });

  it("serves from a table, as a lookup, and survives a JSON round trip", () => {
    const table = RewriteTable.fromJSON({
      format: "tastebud-rewrites",
      version: 1,
      options: {},
      stats: {},
      rules: [{ source: "play serious chill", rewrite: "play sirius chill" }],
    });
    const m = RewriteMonitor.fromTable(table, { holdout: 0.1 });
    const rng = new Random(8);
    const served = Array.from({ length: 1000 }, () => m.serve("Play Serious Chill", rng));
    expect(served.filter((s) => s.decision === "rewrite").every((s) => s.text === "play sirius chill")).toBe(
      true,
    );
    expect(served.find((s) => s.decision === "rewrite")!.rewrittenFrom).toBe("Play Serious Chill");
    expect(served.filter((s) => s.decision === "holdout").every((s) => s.text === "Play Serious Chill")).toBe(
      true,
    );
    const lookup = m.asLookup(new Random(8));
    const hits = Array.from({ length: 1000 }, () => lookup.lookup("play serious chill"));
    expect(hits.filter((h) => h === undefined).length).toBe(
      served.filter((s) => s.decision === "holdout").length,
    );

    play(m, rng, 300, 0.9, 0.2);
    const restored = RewriteMonitor.fromJSON(JSON.parse(JSON.stringify(m)));
    expect(restored.statuses()).toEqual(m.statuses());
    play(m, new Random(9), 300, 0.9, 0.2);
    play(restored, new Random(9), 300, 0.9, 0.2);
    expect(restored.statuses()).toEqual(m.statuses());
    expect(() => RewriteMonitor.fromJSON({})).toThrow(/not a tastebud rewrite monitor/);
  });

  it("rejects options it cannot work with", () => {
    expect(() => new RewriteMonitor({ holdout: 1 })).toThrow(RangeError);
    expect(() => new RewriteMonitor({ withdrawBelow: 0.95, promoteAt: 0.9 })).toThrow(RangeError);
    expect(() => new RewriteMonitor().add("same", "SAME")).toThrow(/not a rewrite/);
  });
});
