import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { buildRewriteTable } from "./markov.js";
import { RewriteTable, type RewriteTableOptions } from "./rewrite-table.js";
import type { ChainOutcome, LabelledTurn, ReformulationChain } from "./sessions.js";

const chain = (user: string, states: string[], outcome: ChainOutcome, byRewrite: number[] = []) => ({
  user,
  steps: states.map((state, i) => ({ state, byRewrite: byRewrite.includes(i) })),
  outcome,
});

/** Everything allowed: each source with any successful successor gets a rule. */
const open: Partial<RewriteTableOptions> = {
  minSupportUsers: 1,
  minPathUsers: 0,
  minDefectRate: 0,
  minFailureProbability: 0,
  minRewriteSuccess: 0,
  minGain: -1,
  prune: 0,
  tolerance: 1e-15,
};

/**
 * Four transient states, one user:
 *   s: SUCCESS 1/5, a 3/5, b 1/5      a: SUCCESS 2/3, c 1/3
 *   b: s 1/2, FAILURE 1/2             c: SUCCESS 1/2, FAILURE 1/2
 * Row s of N = (I - Q)^-1 by hand: x_s = 1 + x_b/2, x_b = x_s/5, x_a = 3x_s/5, x_c = x_a/3, so
 * x_s = 10/9, x_a = 2/3, x_b = 2/9, x_c = 2/9; B_s = (7/9 SUCCESS, 2/9 FAILURE); contributions
 * N_sa R_a = 4/9 (the rewrite), N_sc R_c = 1/9, N_sb R_b = 0.
 */
const handChains = (user = "u") => [
  chain(user, ["s"], "SUCCESS"),
  chain(user, ["s", "a"], "SUCCESS"),
  chain(user, ["s", "a", "c"], "SUCCESS"),
  chain(user, ["s", "b", "s", "a"], "SUCCESS"),
  chain(user, ["b"], "FAILURE"),
  chain(user, ["c"], "FAILURE"),
];

/** Dense reference: counts -> Q, R, then (I - Q)^-1 by Gauss-Jordan; one user, so weighting is moot. */
function denseReference(chains: ReformulationChain[]) {
  const names = [...new Set(chains.flatMap((c) => c.steps.map((s) => s.state)))].sort();
  const id = new Map(names.map((s, i) => [s, i]));
  const n = names.length;
  const counts = names.map(() => new Array(n + 2).fill(0)); // n: SUCCESS, n + 1: FAILURE
  for (const c of chains) {
    c.steps.forEach((st, i) => {
      const to = i + 1 < c.steps.length ? id.get(c.steps[i + 1].state)! : c.outcome === "SUCCESS" ? n : n + 1;
      counts[id.get(st.state)!][to]++;
    });
  }
  const P = counts.map((row) => row.map((x) => x / row.reduce((a, b) => a + b, 0)));
  // Gauss-Jordan on [I - Q | I].
  const m = names.map((_, i) => [
    ...names.map((__, j) => (i === j ? 1 : 0) - P[i][j]),
    ...names.map((__, j) => (i === j ? 1 : 0)),
  ]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
    [m[col], m[piv]] = [m[piv], m[col]];
    const d = m[col][col];
    for (let k = 0; k < 2 * n; k++) m[col][k] /= d;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col];
      for (let k = 0; k < 2 * n; k++) m[r][k] -= f * m[col][k];
    }
  }
  const N = m.map((row) => row.slice(n));
  return { names, id, P, N, success: (i: number) => P[i][n], failure: (i: number) => P[i][n + 1] };
}

describe("buildRewriteTable: the absorbing chain", () => {
  it("matches the hand-computed fundamental-matrix row of a four-state example", () => {
    const table = buildRewriteTable(handChains(), { ...open, minPathUsers: 1 });
    const rule = table.lookup("s")!;
    expect(rule.rewrite).toBe("a");
    expect(rule.visits).toBeCloseTo(2 / 3, 12);
    expect(rule.contribution).toBeCloseTo(4 / 9, 12);
    expect(rule.sourceSuccess).toBeCloseTo(7 / 9, 12);
    expect(rule.sourceFailure).toBeCloseTo(2 / 9, 12);
    expect(rule.sourceDirectSuccess).toBeCloseTo(1 / 5, 12);
    expect(rule.rewriteSuccess).toBeCloseTo(2 / 3, 12);
    expect(rule.gain).toBeCloseTo(2 / 3 - 1 / 5, 12);
    expect(rule.pathUsers).toBe(1);
    // The dense inverse agrees.
    const ref = denseReference(handChains());
    const s = ref.id.get("s")!;
    expect(ref.N[s][ref.id.get("s")!]).toBeCloseTo(10 / 9, 12);
    expect(ref.N[s][ref.id.get("a")!]).toBeCloseTo(2 / 3, 12);
    expect(ref.N[s][ref.id.get("b")!]).toBeCloseTo(2 / 9, 12);
    expect(ref.N[s][ref.id.get("c")!]).toBeCloseTo(2 / 9, 12);
    expect(table.stats).toMatchObject({ chains: 6, steps: 12, users: 1, states: 4 });
    expect(table.stats.maxResidual).toBeLessThan(1e-9);
  });

  it("agrees with the dense inverse on random graphs with cycles and repeats", () => {
    const rng = new Random(11);
    for (let trial = 0; trial < 30; trial++) {
      const k = 3 + rng.int(6);
      const states = Array.from({ length: k }, (_, i) => `q${i}`);
      const chains: ReformulationChain[] = [];
      for (let c = 0; c < 40; c++) {
        const len = 1 + rng.int(5);
        const path = Array.from({ length: len }, () => states[rng.int(k)]);
        chains.push(chain("u", path, rng.next() < 0.6 ? "SUCCESS" : "FAILURE"));
      }
      const table = buildRewriteTable(chains, open);
      const ref = denseReference(chains);
      for (const s of ref.names) {
        const i = ref.id.get(s)!;
        let best = -1;
        let bestC = 0;
        ref.names.forEach((r, j) => {
          const c = ref.N[i][j] * ref.success(j);
          if (
            j !== i &&
            (c > bestC + 1e-12 || (Math.abs(c - bestC) <= 1e-12 && best >= 0 && r < ref.names[best]))
          ) {
            if (c === 0) return;
            best = j;
            bestC = c;
          }
        });
        const rule = table.lookup(s);
        if (best < 0) {
          expect(rule).toBeUndefined();
          continue;
        }
        expect(rule?.rewrite).toBe(ref.names[best]);
        expect(rule!.contribution).toBeCloseTo(bestC, 8);
        const bS = ref.names.reduce((a, _, j) => a + ref.N[i][j] * ref.success(j), 0);
        const bF = ref.names.reduce((a, _, j) => a + ref.N[i][j] * ref.failure(j), 0);
        expect(rule!.sourceSuccess).toBeCloseTo(bS, 8);
        expect(rule!.sourceFailure).toBeCloseTo(bF, 8);
      }
    }
  });

  it("handles a -> b -> a cycles and never rewrites a source to itself", () => {
    const chains = [
      chain("u", ["a", "b", "a", "b", "a", "c"], "SUCCESS"),
      chain("u", ["a", "a", "a"], "FAILURE"),
      chain("u", ["b", "a"], "FAILURE"),
      chain("u", ["c"], "SUCCESS"),
    ];
    const table = buildRewriteTable(chains, open);
    for (const r of table.rules) expect(r.rewrite).not.toBe(r.source);
    expect(table.lookup("a")!.rewrite).toBe("c");
    const ref = denseReference(chains);
    const a = ref.id.get("a")!;
    expect(table.lookup("a")!.visits).toBeCloseTo(ref.N[a][ref.id.get("c")!], 10);
    // A state that only ever repeats itself has nothing to be rewritten to.
    const alone = buildRewriteTable(
      [chain("u", ["x", "x", "x"], "FAILURE"), chain("u", ["x"], "SUCCESS")],
      open,
    );
    expect(alone.size).toBe(0);
  });

  it("counts each user's behaviour at a state as one vote, or raw transitions if asked", () => {
    const chains: ReformulationChain[] = [];
    // One heavy user goes s -> x fifty times; three others go s -> y once each.
    for (let k = 0; k < 50; k++) chains.push(chain("heavy", ["s", "x"], "SUCCESS"));
    for (const u of ["u1", "u2", "u3"]) chains.push(chain(u, ["s", "y"], "SUCCESS"));
    expect(buildRewriteTable(chains, open).lookup("s")!.rewrite).toBe("y");
    expect(buildRewriteTable(chains, { ...open, weighting: "count" }).lookup("s")!.rewrite).toBe("x");
    const rule = buildRewriteTable(chains, open).lookup("s")!;
    expect(rule.support).toBe(4);
    expect(rule.pathUsers).toBe(3);
    expect(rule.visits).toBeCloseTo(3 / 4, 12);
  });

  it("takes labelled turns as well as chains", () => {
    const turns: LabelledTurn[] = [];
    for (let u = 0; u < 4; u++) {
      const t0 = u * 3_600_000;
      turns.push({ user: `u${u}`, timeMs: t0, text: "Play Serious Chill", defective: true });
      turns.push({ user: `u${u}`, timeMs: t0 + 20_000, text: "play sirius chill station", defective: false });
      turns.push({ user: `u${u}`, timeMs: t0 + 600_000, text: "play serious chill", defective: u === 0 });
    }
    const table = buildRewriteTable(turns, { sessionGapMs: 60_000 });
    expect(table.lookup("PLAY serious chill!")?.rewrite).toBe("play sirius chill station");
    expect(table.lookup("play sirius chill station")).toBeUndefined();
  });
});

describe("buildRewriteTable: guardrails", () => {
  // Three users with the hand example's chains: support 3, path users 3, defect rate 0.8, B_FAILURE 2/9,
  // R_a = 2/3, gain 7/15. Each guardrail set just above its value rejects, and only it.
  const chains = ["u1", "u2", "u3"].flatMap((u) => handChains(u));
  const passing: Partial<RewriteTableOptions> = {
    minSupportUsers: 3,
    minPathUsers: 3,
    minDefectRate: 0.79,
    minFailureProbability: 0.2,
    minRewriteSuccess: 0.66,
    minGain: 0.46,
  };

  it("admits the rule when every guardrail is met", () => {
    const table = buildRewriteTable(chains, passing);
    expect(table.lookup("s")).toMatchObject({ rewrite: "a", support: 3, pathUsers: 3 });
  });

  it.each([
    ["minSupportUsers", 4, "support"],
    ["minPathUsers", 4, "pathUsers"],
    ["minDefectRate", 0.81, "defectRate"],
    ["minFailureProbability", 0.23, "failureProbability"],
    ["minRewriteSuccess", 0.67, "rewriteSuccess"],
    ["minGain", 0.47, "gain"],
  ] as const)("%s = %s rejects it", (key, value, reason) => {
    const table = buildRewriteTable(chains, { ...passing, [key]: value });
    expect(table.lookup("s")).toBeUndefined();
    expect(table.stats.rejected[reason]).toBeGreaterThanOrEqual(1);
  });

  it("judges only the best route: a weaker route passing the guardrails is not taken instead", () => {
    const cs = [
      // s -> a is the main route but only one user took it; s -> b is rarer and taken by two.
      ...Array.from({ length: 6 }, () => chain("u1", ["s", "a"], "SUCCESS")),
      ...["u2", "u3"].flatMap((u) => [
        chain(u, ["s", "b"], "SUCCESS"),
        ...Array.from({ length: 3 }, () => chain(u, ["s"], "FAILURE")),
      ]),
    ];
    const table = buildRewriteTable(cs, { ...open, minPathUsers: 2 });
    expect(table.lookup("s")).toBeUndefined();
    expect(table.stats.rejected.pathUsers).toBe(1);
  });
});

describe("buildRewriteTable: rewrites served (superposition, methods.md 2b)", () => {
  const day = 86_400_000;
  /** Users said "play serious chill" (misheard), failed, then said "play sirius chill" and succeeded. */
  function preDeployment(users: number): LabelledTurn[] {
    return Array.from({ length: users }, (_, u) => [
      { user: `u${u}`, timeMs: u * day, text: "play serious chill", defective: true },
      { user: `u${u}`, timeMs: u * day + 15_000, text: "play sirius chill", defective: false },
    ]).flat();
  }
  /** After deployment: most requests rewritten and successful; a few held out, failing and rephrased. */
  function postDeployment(users: number, rewriteWorks: boolean): LabelledTurn[] {
    const out: LabelledTurn[] = [];
    for (let u = 0; u < users; u++) {
      const t = 100 * day + u * day;
      if (u % 10 === 0) {
        // Hold-out: served as said.
        out.push({ user: `u${u}`, timeMs: t, text: "play serious chill", defective: rewriteWorks });
        if (rewriteWorks)
          out.push({ user: `u${u}`, timeMs: t + 15_000, text: "play sirius chill", defective: false });
      } else if (rewriteWorks) {
        out.push({
          user: `u${u}`,
          timeMs: t,
          text: "play sirius chill",
          rewrittenFrom: "play serious chill",
          defective: false,
        });
      } else {
        // "serious chill" now means a new song: the rewrite fails and users ask again, more clearly.
        out.push({
          user: `u${u}`,
          timeMs: t,
          text: "play sirius chill",
          rewrittenFrom: "play serious chill",
          defective: true,
        });
        out.push({
          user: `u${u}`,
          timeMs: t + 15_000,
          text: "play the song serious chill",
          defective: false,
        });
      }
    }
    return out;
  }

  it("keeps a working rewrite when rebuilt from logs where it was served", () => {
    const logs = postDeployment(20, true);
    const table = buildRewriteTable(logs);
    expect(table.lookup("play serious chill")).toMatchObject({ rewrite: "play sirius chill", support: 20 });
    // The source as-is is judged on the hold-out alone: it keeps failing there.
    expect(table.lookup("play serious chill")!.sourceDirectSuccess).toBe(0);
    // Without crediting rewritten turns to the source, only the hold-out's 2 users are left at it.
    const naive = buildRewriteTable(logs.map(({ rewrittenFrom, ...t }) => t));
    expect(naive.lookup("play serious chill")).toBeUndefined();
    expect(buildRewriteTable(preDeployment(10)).lookup("play serious chill")?.rewrite).toBe(
      "play sirius chill",
    );
  });

  it("drops a rewrite once served rewrites fail and the held-out source succeeds", () => {
    const table = buildRewriteTable(postDeployment(20, false));
    expect(table.lookup("play serious chill")).toBeUndefined();
    // Judged as-is (the hold-out), the source now succeeds: nothing to fix.
    expect(table.stats.rejected.defectRate).toBeGreaterThanOrEqual(1);
  });
});

describe("RewriteTable", () => {
  it("looks up normalized text and survives a JSON round trip", () => {
    const table = buildRewriteTable(handChains(), { ...open, minPathUsers: 1 });
    const again = RewriteTable.fromJSON(JSON.parse(JSON.stringify(table)));
    expect(again.rules).toEqual(table.rules);
    expect(again.stats).toEqual(table.stats);
    expect(again.options).toEqual(table.options);
    expect(again.lookup(" S! ")?.rewrite).toBe("a");
    expect(() => RewriteTable.fromJSON({ format: "other" })).toThrow(/not a tastebud rewrite table/);
    const bad = { ...table.toJSON(), rules: [{ ...table.rules[0], rewrite: table.rules[0].source }] };
    expect(() => RewriteTable.fromJSON(bad)).toThrow(/bad rewrite rule/);
  });
});

describe("buildRewriteTable: scale", () => {
  it("100k turns from 2,000 users in well under a couple of seconds", () => {
    // Chains rephrase one intent (20k intents, skewed popularity) with an occasional jump elsewhere.
    const rng = new Random(5);
    const phrasings = ["play #", "play the song #", "put on #", "play # by the band", "i want to hear #"];
    const chains: ReformulationChain[] = [];
    let steps = 0;
    while (steps < 100_000) {
      const intent = Math.floor(20_000 * rng.next() ** 2);
      const len = rng.next() < 0.75 ? 1 : 2 + rng.int(3);
      const path = Array.from({ length: len }, () => {
        const k = rng.next() < 0.05 ? Math.floor(20_000 * rng.next() ** 2) : intent;
        return phrasings[rng.int(phrasings.length)].replace("#", `title ${k}`);
      });
      chains.push(chain(`u${rng.int(2000)}`, path, rng.next() < 0.85 ? "SUCCESS" : "FAILURE"));
      steps += len;
    }
    // CPU time, not wall time: the test machine's cores are shared.
    const t0 = process.cpuUsage();
    const table = buildRewriteTable(chains);
    const { user, system } = process.cpuUsage(t0);
    const ms = (user + system) / 1000;
    expect(table.stats.steps).toBeGreaterThanOrEqual(100_000);
    expect(table.stats.rules).toBeGreaterThan(100);
    expect(table.stats.maxResidual).toBeLessThan(1e-3);
    expect(ms).toBeLessThan(2000); // ~0.2-0.5 s
  });
});
