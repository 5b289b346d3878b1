/**
 * Self-aware rewriting (methods.md 2b; Ponnusamy et al., NAACL 2022 industry): once a rewrite is live its
 * own outcomes decide whether it stays. Per rewrite two Beta posteriors, θ_r for the rewrite as served and
 * θ_s for the source served unrewritten to a small random hold-out (the induced stochasticity that keeps
 * θ_s learnable), and P(θ_r > θ_s) decides:
 * - a fresh rewrite is on trial: it was admitted on offline evidence, so it is served until there is
 *   enough online evidence against it (minimum observations in both arms);
 * - it is confirmed once P(θ_r > θ_s) >= promoteAt, and withdrawn once P(θ_r > θ_s) < withdrawBelow.
 *   The gap between the two thresholds keeps a rewrite whose hold-out is noisy from flapping; the paper's
 *   single κ ≈ 0.9 would withdraw a fresh or modestly better rewrite on hold-out noise alone.
 * Counts decay with a half-life in requests of the source, so that after users change what they mean the
 * posteriors follow within a bounded number of requests instead of being anchored by all history.
 */
import { normalizeText } from "../matching/normalize.js";
import type { Random } from "../random.js";
import type { RewriteTable } from "./rewrite-table.js";

export interface MonitorOptions {
  /** Share of a live rewrite's requests served as said, to keep learning θ_s (ε). */
  holdout: number;
  /** P(θ_r > θ_s) at which a trial rewrite counts as confirmed. */
  promoteAt: number;
  /** P(θ_r > θ_s) below which a rewrite is withdrawn (once the minimum observations are in). */
  withdrawBelow: number;
  /** Fewest rewritten outcomes before a withdrawal. */
  minRewritten: number;
  /** Fewest hold-out outcomes before a withdrawal. */
  minHoldout: number;
  /** Requests of the source after which an outcome weighs half; Infinity never forgets. */
  halfLife: number;
}

/**
 * ε = 5% costs little traffic and still gives ~70 effective hold-out outcomes per half-life of 1000
 * requests; withdrawing at 0.2 means the evidence favours the original 4:1.
 */
export const defaultMonitorOptions: MonitorOptions = {
  holdout: 0.05,
  promoteAt: 0.9,
  withdrawBelow: 0.2,
  minRewritten: 20,
  minHoldout: 10,
  halfLife: 1000,
};

export type RewriteState = "trial" | "confirmed" | "withdrawn";
export type ServeDecision = "rewrite" | "holdout" | "original";

export interface ArmPosterior {
  /** Decayed success and failure counts; the posterior is Beta(1 + successes, 1 + failures). */
  successes: number;
  failures: number;
  /** Outcomes recorded, not decayed. */
  observations: number;
  /** Posterior mean. */
  mean: number;
}

export interface RewriteStatus {
  source: string;
  rewrite: string;
  state: RewriteState;
  /** P(θ_rewrite > θ_original) under the current posteriors. */
  pWin: number;
  rewritten: ArmPosterior;
  original: ArmPosterior;
  /** Outcomes recorded for this source (both arms). */
  requests: number;
  /** `requests` when the rewrite was withdrawn. */
  withdrawnAt?: number;
}

interface Arm {
  s: number;
  f: number;
  n: number;
}

interface Entry {
  source: string;
  rewrite: string;
  state: RewriteState;
  rewritten: Arm;
  original: Arm;
  requests: number;
  pWin: number;
  withdrawnAt?: number;
}

export interface RewriteMonitorJson {
  format: "tastebud-rewrite-monitor";
  version: 1;
  options: MonitorOptions;
  entries: Entry[];
}

export class RewriteMonitor {
  readonly options: MonitorOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly decay: number;

  constructor(options: Partial<MonitorOptions> = {}) {
    this.options = { ...defaultMonitorOptions, ...options };
    const o = this.options;
    if (!(o.holdout >= 0 && o.holdout < 1)) throw new RangeError("holdout must be within [0, 1)");
    if (!(o.withdrawBelow <= o.promoteAt)) throw new RangeError("withdrawBelow must not exceed promoteAt");
    if (!(o.halfLife > 0)) throw new RangeError("halfLife must be positive");
    this.decay = Number.isFinite(o.halfLife) ? 2 ** (-1 / o.halfLife) : 1;
  }

  /** Monitors every rule of a table. */
  static fromTable(table: RewriteTable, options: Partial<MonitorOptions> = {}): RewriteMonitor {
    const m = new RewriteMonitor(options);
    for (const r of table.rules) m.add(r.source, r.rewrite);
    return m;
  }

  /**
   * Puts a rewrite live, on trial. Re-adding the same rewrite keeps its history, a withdrawal included, so
   * a daily rebuild that mines the same rule again does not revive it; a different rewrite starts afresh.
   */
  add(source: string, rewrite: string): void {
    const key = normalizeText(source);
    const target = normalizeText(rewrite);
    if (key === "" || key === target) throw new Error(`not a rewrite: "${source}" -> "${rewrite}"`);
    if (this.entries.get(key)?.rewrite === target) return;
    this.entries.set(key, {
      source: key,
      rewrite: target,
      state: "trial",
      rewritten: { s: 0, f: 0, n: 0 },
      original: { s: 0, f: 0, n: 0 },
      requests: 0,
      pWin: 0.5,
    });
  }

  /** How to serve an utterance: its live rewrite, the hold-out (as said, probability ε), or as said. */
  decide(source: string, rng: Random): ServeDecision {
    const e = this.entries.get(normalizeText(source));
    if (!e || e.state === "withdrawn") return "original";
    return rng.next() < this.options.holdout ? "holdout" : "rewrite";
  }

  /** The text to serve for a request and whether it was rewritten (`rewrittenFrom` for the event). */
  serve(text: string, rng: Random): { text: string; rewrittenFrom?: string; decision: ServeDecision } {
    const decision = this.decide(text, rng);
    if (decision !== "rewrite") return { text, decision };
    return { text: this.entries.get(normalizeText(text))!.rewrite, rewrittenFrom: text, decision };
  }

  /** A `{ lookup }` view (what the online rewriter takes as its table) that applies the hold-out. */
  asLookup(rng: Random): { lookup(text: string): { source: string; rewrite: string } | undefined } {
    return {
      lookup: (text) => {
        if (this.decide(text, rng) !== "rewrite") return undefined;
        const e = this.entries.get(normalizeText(text))!;
        return { source: e.source, rewrite: e.rewrite };
      },
    };
  }

  /**
   * An outcome of a request for `source`: served rewritten or as said (hold-out), successful or not.
   * Ignored for sources not monitored and once withdrawn.
   */
  record(source: string, servedRewrite: boolean, success: boolean): void {
    const e = this.entries.get(normalizeText(source));
    if (!e || e.state === "withdrawn") return;
    for (const arm of [e.rewritten, e.original]) {
      arm.s *= this.decay;
      arm.f *= this.decay;
    }
    const arm = servedRewrite ? e.rewritten : e.original;
    if (success) arm.s++;
    else arm.f++;
    arm.n++;
    e.requests++;
    e.pWin = probabilityGreater(1 + e.rewritten.s, 1 + e.rewritten.f, 1 + e.original.s, 1 + e.original.f);
    const o = this.options;
    if (e.rewritten.n >= o.minRewritten && e.original.n >= o.minHoldout && e.pWin < o.withdrawBelow) {
      e.state = "withdrawn";
      e.withdrawnAt = e.requests;
    } else if (e.state === "trial" && e.pWin >= o.promoteAt) {
      e.state = "confirmed";
    }
  }

  status(source: string): RewriteStatus | undefined {
    const e = this.entries.get(normalizeText(source));
    return e && toStatus(e);
  }

  statuses(): RewriteStatus[] {
    return [...this.entries.values()].map(toStatus);
  }

  /** Rewrites taken out of service, with the posteriors that decided it. */
  withdrawn(): RewriteStatus[] {
    return this.statuses().filter((s) => s.state === "withdrawn");
  }

  toJSON(): RewriteMonitorJson {
    return {
      format: "tastebud-rewrite-monitor",
      version: 1,
      options: this.options,
      entries: [...this.entries.values()].map((e) => structuredClone(e)),
    };
  }

  static fromJSON(json: unknown): RewriteMonitor {
    const j = json as Partial<RewriteMonitorJson> | null;
    if (j?.format !== "tastebud-rewrite-monitor" || j.version !== 1 || !Array.isArray(j.entries)) {
      throw new Error("not a tastebud rewrite monitor (format tastebud-rewrite-monitor, version 1)");
    }
    const m = new RewriteMonitor(j.options);
    for (const e of j.entries) m.entries.set(e.source, structuredClone(e));
    return m;
  }
}

function toStatus(e: Entry): RewriteStatus {
  const arm = (a: Arm): ArmPosterior => ({
    successes: a.s,
    failures: a.f,
    observations: a.n,
    mean: (1 + a.s) / (2 + a.s + a.f),
  });
  const out: RewriteStatus = {
    source: e.source,
    rewrite: e.rewrite,
    state: e.state,
    pWin: e.pWin,
    rewritten: arm(e.rewritten),
    original: arm(e.original),
    requests: e.requests,
  };
  if (e.withdrawnAt !== undefined) out.withdrawnAt = e.withdrawnAt;
  return out;
}

/**
 * P(X > Y) for independent X ~ Beta(a1, b1), Y ~ Beta(a2, b2), real parameters >= 1 (decayed counts are
 * not integers, so the closed form for integer parameters does not apply). E[F_Y(X)] by the midpoint rule
 * on a grid of 128 cells spanning both densities (means ± 12 sd, clipped to [0, 1]), normalized on the grid;
 * deterministic, within 1e-3 of the exact value, some microseconds.
 */
export function probabilityGreater(a1: number, b1: number, a2: number, b2: number, points = 128): number {
  const span = (a: number, b: number): [number, number] => {
    const mean = a / (a + b);
    const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
    return [Math.max(0, mean - 12 * sd), Math.min(1, mean + 12 * sd)];
  };
  const [lo1, hi1] = span(a1, b1);
  const [lo2, hi2] = span(a2, b2);
  const lo = Math.min(lo1, lo2);
  const hi = Math.max(hi1, hi2);
  const h = (hi - lo) / points;
  // Offsets: each log density at its mode, so every exp() is <= 1.
  const peak = (a: number, b: number) => {
    if (a + b <= 2) return 0;
    const m = (a - 1) / (a + b - 2);
    return (a > 1 ? (a - 1) * Math.log(m) : 0) + (b > 1 ? (b - 1) * Math.log1p(-m) : 0);
  };
  const m1 = peak(a1, b1);
  const m2 = peak(a2, b2);
  let z1 = 0;
  let z2 = 0;
  let acc = 0;
  let below = 0;
  for (let i = 0; i < points; i++) {
    const x = lo + (i + 0.5) * h;
    const lx = Math.log(x);
    const l1x = Math.log1p(-x);
    const p1 = Math.exp((a1 - 1) * lx + (b1 - 1) * l1x - m1);
    const p2 = Math.exp((a2 - 1) * lx + (b2 - 1) * l1x - m2);
    // Y in the same cell as X counts half: the two are continuous.
    acc += p1 * (below + 0.5 * p2);
    below += p2;
    z1 += p1;
    z2 += p2;
  }
  return Math.min(1, Math.max(0, acc / (z1 * z2)));
}
