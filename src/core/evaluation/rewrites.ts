import type { RequestEvent } from "../../schema/events.js";
import { CatalogueIndex } from "../matching/catalogue-index.js";
import { normalizeText } from "../matching/normalize.js";
import { Random } from "../random.js";
import { type DefectVerdict, detectDefects, detectionQuality } from "../rewriting/defects.js";
import { mineRewrites } from "../rewriting/mine.js";
import type { OnlineRewriter } from "../rewriting/online/online-rewriter.js";
import { trainOnlineRewriter } from "../rewriting/online/train.js";
import { signalReasons } from "../rewriting/rephrase.js";
import type { RewriteTable } from "../rewriting/rewrite-table.js";
import { RewriteMonitor } from "../rewriting/self-aware.js";
import {
  defaultVoiceOptions,
  type SimulateVoiceOptions,
  simulateVoice,
  type VoicePolicy,
  type VoiceWorld,
} from "../simulate/voice/index.js";
import type { PolicyTurn } from "../simulate/voice/options.js";
import { turnFromEvent, type VoiceTurn } from "../voice/turn.js";

const DAY_MS = 86_400_000;

export interface RewriteEvaluationOptions {
  seed: number;
  users: number;
  days: number;
  /** Days at the end that nothing is trained on (default half of `days`). */
  heldOutDays?: number;
  items: number;
  /** Drift world: from this day on, some utterances change meaning (default 3/4 of `days`). */
  driftDay?: number;
  /** Drift world: share of song requests for the new releases after the drift (default 0.3). */
  driftShare: number;
  /** Guardrails of the Markov table (defaults of buildRewriteTable when absent). */
  minSupportUsers?: number;
  /** Users who went from the source to the rewrite (the table's default 2). */
  minPathUsers?: number;
  /** The source's own defect rate below which it gets no rule (the table's default 0.5). */
  minDefectRate?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export const defaultRewriteEvaluationOptions: RewriteEvaluationOptions = {
  seed: 1,
  users: 300,
  days: 28,
  items: 1500,
  driftShare: 0.3,
};

/** A policy's effect on the held-out days, against the same world without it (paired by seed). */
export interface PolicyOutcome {
  /** Share of held-out turns that were defective (simulator truth). */
  defectRate: number;
  /** defectRate / defectRate without rewriting − 1 (negative = fewer defects). */
  defectChange: number;
  /** Held-out turns the policy rewrote. */
  rewritten: number;
  /** Rewritten turns defective without the policy and not with it, and the reverse (paired by requestId). */
  wins: number;
  losses: number;
  /** wins / losses (Infinity reported as null when there were no losses). */
  winLossRatio: number | null;
}

export interface RewriteEvaluationReport {
  world: {
    seed: number;
    users: number;
    days: number;
    trainDays: number;
    heldOutDays: number;
    turns: number;
    heldOutTurns: number;
  };
  /** Defect and rephrase detection on the held-out days of the run without rewriting, against the truth. */
  detection: {
    defects: { precision: number; recall: number; f1: number };
    rephrases: { precision: number; recall: number; f1: number };
  };
  /**
   * The offline table (methods.md 2a) mined from the training days, each rule applied by exact match where
   * its gate says it is precise for this user and context (precision.ts), the gates learning on from
   * served turns; `gateZ` chosen on the last training days (`validation`).
   */
  markov: PolicyOutcome & {
    rules: number;
    guardrails: Record<string, number>;
    rejected: Record<string, number>;
    defectRateWithout: number;
    /** Held-out turns at a rule's source that its gate kept as they were. */
    gatedOut: number;
    top: Array<{ source: string; rewrite: string; support: number; gain: number }>;
  };
  /** The same table applied to everyone who says a source (no gates): the first round's policy. */
  markovUngated: PolicyOutcome;
  /**
   * How z (the standard errors a rule's gain must clear) was chosen: on the training days only, rules
   * mined from their first part and served in the loop on the rest; the lowest defect rate among the
   * candidates winning at least 5 times per loss (else the best ratio).
   */
  validation: {
    days: number;
    candidates: Array<{ z: number; defectChange: number; wins: number; losses: number }>;
    gateZ: number;
  };
  /**
   * Does a rule mean the same entity as its source for the users who said it (simulator truth)? Over the
   * held-out turns a table rewrote: the share whose rewrite resolved to the item the user meant, and the
   * share of rules for which that held for at least 80% of their turns; for the table applied to everyone
   * who says a source and for the gated one. `refused`: sources whose best route changed the meaning.
   */
  meaning: { refused: number; ungated: EntityAgreement; gated: EntityAgreement };
  /** The online rewriter (methods.md 2e), trained on the training days and learning on. */
  online: {
    global: PolicyOutcome;
    globalPersonal: PolicyOutcome;
    /** The further change the personal layer brings, in points of defect-rate change. */
    personalExtra: number;
  };
  /** The table served under a RewriteMonitor in a world whose meanings change at driftDay. */
  selfAware: {
    driftDay: number;
    driftShare: number;
    liveRules: number;
    withdrawn: Array<{
      source: string;
      rewrite: string;
      day: number;
      rewrittenSuccess: number;
      originalSuccess: number;
      afterDrift: boolean;
    }>;
    withdrawnBeforeDrift: number;
  };
  seconds: number;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The Markov guardrails the options override (none when absent). */
function minedTableOptions(
  o: RewriteEvaluationOptions,
): Partial<Pick<RewriteEvaluationOptions, "minSupportUsers" | "minPathUsers" | "minDefectRate">> {
  return Object.fromEntries(
    (["minSupportUsers", "minPathUsers", "minDefectRate"] as const)
      .filter((k) => o[k] !== undefined)
      .map((k) => [k, o[k]]),
  );
}

/** Share of the turns at or after `split` (epoch ms) that were defective (simulator truth), and their count. */
export function heldOutRate(world: VoiceWorld, split: number): { rate: number; n: number } {
  let n = 0;
  let defects = 0;
  world.requests.forEach((r, i) => {
    if (Date.parse(r.time) < split) return;
    n++;
    if (world.truth[i].defective) defects++;
  });
  return { rate: n ? defects / n : 0, n };
}

function outcome(control: VoiceWorld, treated: VoiceWorld, split: number): PolicyOutcome {
  const base = heldOutRate(control, split).rate;
  const rate = heldOutRate(treated, split).rate;
  const before = new Map(control.truth.map((t) => [t.requestId, t.defective]));
  let rewritten = 0;
  let wins = 0;
  let losses = 0;
  treated.requests.forEach((r, i) => {
    if (r.rewrittenFrom === undefined || Date.parse(r.time) < split) return;
    rewritten++;
    const was = before.get(r.requestId);
    if (was === true && !treated.truth[i].defective) wins++;
    if (was === false && treated.truth[i].defective) losses++;
  });
  return {
    defectRate: round(rate),
    defectChange: round(base ? rate / base - 1 : 0),
    rewritten,
    wins,
    losses,
    winLossRatio: losses ? round(wins / losses) : null,
  };
}

/**
 * The table as served: a rule applies where its gate allows it (or everywhere, `gated` false); served
 * turns of a rule's source teach its gate from immediate signals.
 */
function tablePolicy(
  table: RewriteTable,
  fromMs: number,
  gated: boolean,
): VoicePolicy & { gatedOut: number } {
  const policy = {
    gatedOut: 0,
    rewrite(turn: PolicyTurn) {
      if (turn.timeMs < fromMs) return null;
      const d = table.decide(turn.text, turn.user, turn.context);
      if (!d) return null;
      if (gated && !d.apply) {
        policy.gatedOut++;
        return null;
      }
      return d.rule.rewrite;
    },
    observe(event: RequestEvent) {
      if (!gated) return;
      const t = turnFromEvent(event);
      if (t.timeMs < fromMs) return;
      table.observe(normalizeText(event.rewrittenFrom ?? event.text), {
        user: t.user,
        rewritten: event.rewrittenFrom !== undefined,
        worked: signalReasons(t, undefined).length === 0,
        ...(t.resolvedItem !== undefined ? { item: t.resolvedItem } : {}),
      });
    },
  };
  return policy;
}

/** Candidate z for the gates, from "apply whenever the estimate is positive" to cautious. */
const GATE_Z_CANDIDATES = [0, 0.5, 1, 1.5, 2];
/** The win/loss a candidate must reach in validation before its defect rate counts (issue 19's floor). */
const VALIDATION_MIN_RATIO = 5;

/**
 * Chooses gateZ on the training side only: a world of the training days, rules mined from its first 70%
 * and served in the loop on the rest under each candidate z.
 */
function chooseGateZ(
  base: SimulateVoiceOptions,
  trainDays: number,
  o: RewriteEvaluationOptions,
  entities: (id: string) => { title: string; creators?: string[] } | undefined,
): RewriteEvaluationReport["validation"] {
  const days = Math.max(1, Math.round(trainDays * 0.3));
  const world = { ...base, days: trainDays };
  const control = simulateVoice(world);
  const split = Date.parse(control.startDate) + (trainDays - days) * DAY_MS;
  const turns = control.requests.map(turnFromEvent).filter((t) => t.timeMs < split);
  const plays = control.plays.filter((p) => Date.parse(p.endTime) < split);
  const candidates = GATE_Z_CANDIDATES.map((z) => {
    const { table } = mineRewrites(turns, { plays, table: { ...minedTableOptions(o), gateZ: z }, entities });
    const r = outcome(control, simulateVoice({ ...world, policy: tablePolicy(table, split, true) }), split);
    return { z, defectChange: r.defectChange, wins: r.wins, losses: r.losses };
  });
  const ratio = (c: (typeof candidates)[number]) => c.wins / Math.max(c.losses, 0.5);
  const passing = candidates.filter((c) => ratio(c) >= VALIDATION_MIN_RATIO);
  const chosen = passing.length
    ? passing.reduce((a, b) => (b.defectChange < a.defectChange ? b : a))
    : candidates.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
  return { days, candidates, gateZ: chosen.z };
}

/**
 * Per rule, over the held-out turns it rewrote: did the rewrite resolve to what the user meant?
 */
export interface EntityAgreement {
  rewrittenTurns: number;
  sameEntityShare: number;
  rulesSameEntity: number;
}

function entityAgreement(world: VoiceWorld, split: number): EntityAgreement {
  const byRule = new Map<string, { n: number; same: number }>();
  world.requests.forEach((r, i) => {
    if (r.rewrittenFrom === undefined || Date.parse(r.time) < split) return;
    const key = normalizeText(r.rewrittenFrom);
    const e = byRule.get(key) ?? { n: 0, same: 0 };
    e.n++;
    if (r.resolvedItem !== undefined && r.resolvedItem === world.truth[i].intendedItem) e.same++;
    byRule.set(key, e);
  });
  let n = 0;
  let same = 0;
  let rulesSame = 0;
  for (const e of byRule.values()) {
    n += e.n;
    same += e.same;
    if (e.same >= 0.8 * e.n) rulesSame++;
  }
  return {
    rewrittenTurns: n,
    sameEntityShare: round(n ? same / n : 0),
    rulesSameEntity: round(byRule.size ? rulesSame / byRule.size : 0),
  };
}

/**
 * `tastebud eval --rewrites`: the self-learning loop of methods.md section 2 on the voice simulator. The
 * world's first days are the logs everything is learned from; on the held-out days each policy runs in the
 * loop (the simulator's users react to what it does) and is compared with the same world without it.
 */
export function evaluateRewrites(options: Partial<RewriteEvaluationOptions> = {}): RewriteEvaluationReport {
  const started = Date.now();
  const o = { ...defaultRewriteEvaluationOptions, ...options };
  const heldOutDays = o.heldOutDays ?? Math.floor(o.days / 2);
  const trainDays = o.days - heldOutDays;
  if (trainDays < 1 || heldOutDays < 1)
    throw new RangeError("need at least one training and one held-out day");
  const progress = (phase: string, done: number) => o.onProgress?.(phase, done, 7);
  const base: SimulateVoiceOptions = { seed: o.seed, users: o.users, days: o.days, items: o.items };

  progress("simulate without rewriting", 0);
  const control = simulateVoice(base);
  const split = Date.parse(control.startDate) + trainDays * DAY_MS;
  const turns = control.requests.map(turnFromEvent);
  const trainTurns = turns.filter((t) => t.timeMs < split);
  const trainPlays = control.plays.filter((p) => Date.parse(p.endTime) < split);

  // Detection quality on the held-out days (needs the whole log: a rephrase follows its turn).
  const verdicts = detectDefects(turns, { plays: control.plays });
  const heldIdx = turns.map((t, i) => (t.timeMs >= split ? i : -1)).filter((i) => i >= 0);
  const quality = detectionQuality(
    heldIdx.map((i) => verdicts[i]),
    heldIdx.map((i) => control.truth[i]),
  );

  progress("markov table: choosing the gates' z on the training days", 1);
  const byId = new Map(control.catalogue.map((c) => [c.id, c]));
  const entities = (id: string) => byId.get(id);
  const validation = chooseGateZ(base, trainDays, o, entities);
  progress("markov table", 2);
  const mine = () =>
    mineRewrites(trainTurns, {
      plays: trainPlays,
      table: { ...minedTableOptions(o), gateZ: validation.gateZ },
      entities,
    }).table;
  const table = mine();
  const served = tablePolicy(table, split, true);
  const markovWorld = simulateVoice({ ...base, policy: served });
  const ungatedWorld = simulateVoice({ ...base, policy: tablePolicy(mine(), split, false) });

  progress("online rewriter", 3);
  const items = control.catalogue.map((c) => ({
    id: c.id,
    title: c.title,
    creators: c.creators ?? [],
    kind: c.kind,
  }));
  const catalogue = new CatalogueIndex(items);
  const trainVerdicts: DefectVerdict[] = detectDefects(trainTurns, { plays: trainPlays });
  const online = (personal: boolean): VoiceWorld => {
    const rewriter: OnlineRewriter = trainOnlineRewriter(trainTurns, {
      plays: trainPlays,
      verdicts: trainVerdicts,
      catalogue,
      items,
      rewriter: { layers: { markov: false, global: true, personal } },
    }).rewriter;
    return simulateVoice({
      ...base,
      policy: {
        rewrite(turn) {
          if (turn.timeMs < split) return null;
          const r = rewriter.rewrite(turn);
          return r.rewritten ? r.text : null;
        },
        observe(event) {
          const t = turnFromEvent(event);
          if (t.timeMs >= split) rewriter.observe(t);
        },
      },
    });
  };
  const globalWorld = online(false);
  progress("online rewriter, personal layer", 4);
  const personalWorld = online(true);

  progress("self-awareness under drift", 5);
  const selfAware = driftRun(o, trainDays);

  progress("done", 7);
  const markovOutcome = outcome(control, markovWorld, split);
  const globalOutcome = outcome(control, globalWorld, split);
  const personalOutcome = outcome(control, personalWorld, split);
  const pr = (p: { precision: number; recall: number; f1: number }) => ({
    precision: round(p.precision),
    recall: round(p.recall),
    f1: round(p.f1),
  });
  const top = [...table.rules].sort((a, b) => b.support - a.support || b.gain - a.gain).slice(0, 10);
  return {
    world: {
      seed: o.seed,
      users: o.users,
      days: o.days,
      trainDays,
      heldOutDays,
      turns: turns.length,
      heldOutTurns: heldIdx.length,
    },
    detection: { defects: pr(quality.defects), rephrases: pr(quality.rephrases) },
    markov: {
      rules: table.size,
      guardrails: {
        minSupportUsers: table.options.minSupportUsers,
        minPathUsers: table.options.minPathUsers,
        minDefectRate: table.options.minDefectRate,
        minRewriteSuccess: table.options.minRewriteSuccess,
        minGain: table.options.minGain,
      },
      rejected: { ...(table.stats.rejected as unknown as Record<string, number>) },
      defectRateWithout: round(heldOutRate(control, split).rate),
      ...markovOutcome,
      gatedOut: served.gatedOut,
      top: top.map((r) => ({
        source: r.source,
        rewrite: r.rewrite,
        support: r.support,
        gain: round(r.gain),
      })),
    },
    markovUngated: outcome(control, ungatedWorld, split),
    validation,
    meaning: {
      refused: table.stats.rejected.meaning,
      ungated: entityAgreement(ungatedWorld, split),
      gated: entityAgreement(markovWorld, split),
    },
    online: {
      global: globalOutcome,
      globalPersonal: personalOutcome,
      personalExtra: round(personalOutcome.defectChange - globalOutcome.defectChange),
    },
    selfAware,
    seconds: round((Date.now() - started) / 1000),
  };
}

/** A rewrite table served live under a RewriteMonitor, built from the log once `buildDay` days have passed. */
export interface MonitoredRewrites {
  policy: VoicePolicy;
  /** The table built at buildDay (null before). */
  readonly table: RewriteTable | null;
  /** The monitor serving it (null before buildDay). */
  readonly monitor: RewriteMonitor | null;
  /** Day (since startMs) each withdrawn rule was withdrawn on, by source. */
  readonly withdrawnDay: Map<string, number>;
}

export interface MonitoredRewriteOptions {
  startMs: number;
  buildDay: number;
  rng: Random;
  /** Builds the table from the turns seen so far. */
  build: (seen: readonly VoiceTurn[]) => RewriteTable;
  /** Called for each live rule's outcome before the monitor records it: the rule's source and the day. */
  onOutcome?: (source: string, day: number) => void;
}

/**
 * The policy of self-awareness (methods.md 2b): until `buildDay` nothing is rewritten; then the table built
 * from the log so far is served under a RewriteMonitor, which learns each rewrite's success from immediate
 * signals (no barge-in, error or short play; a rephrase is only known later) and withdraws the losers.
 */
export function monitoredRewritePolicy(o: MonitoredRewriteOptions): MonitoredRewrites {
  const seen: VoiceTurn[] = [];
  let table: RewriteTable | null = null;
  let monitor: RewriteMonitor | null = null;
  const withdrawnDay = new Map<string, number>();
  const policy: VoicePolicy = {
    rewrite(turn) {
      if (monitor === null && turn.timeMs >= o.startMs + o.buildDay * DAY_MS) {
        table = o.build(seen);
        // Scaled to a rule's few requests a day in a small world: a larger hold-out and a short memory.
        monitor = RewriteMonitor.fromTable(table, {
          holdout: 0.2,
          minRewritten: 10,
          minHoldout: 4,
          halfLife: 60,
        });
      }
      if (!monitor) return null;
      const served = monitor.serve(turn.text, o.rng);
      return served.decision === "rewrite" ? served.text : null;
    },
    observe(event: RequestEvent) {
      const turn = turnFromEvent(event);
      seen.push(turn);
      if (!monitor) return;
      const source = event.rewrittenFrom ?? event.text;
      const before = monitor.status(source);
      if (!before || before.state === "withdrawn") return;
      const day = Math.floor((turn.timeMs - o.startMs) / DAY_MS);
      o.onOutcome?.(before.source, day);
      monitor.record(source, event.rewrittenFrom !== undefined, signalReasons(turn, undefined).length === 0);
      if (monitor.status(source)?.state === "withdrawn") withdrawnDay.set(before.source, day);
    },
  };
  return {
    policy,
    get table() {
      return table;
    },
    get monitor() {
      return monitor;
    },
    withdrawnDay,
  };
}

/**
 * The table mined from the first `buildDay` days is served under a RewriteMonitor; at driftDay new songs
 * named like ASR's systematic mishearings come out, so rewrites that undid the mishearing start to lose.
 */
function driftRun(o: RewriteEvaluationOptions, buildDay: number): RewriteEvaluationReport["selfAware"] {
  const driftDay = o.driftDay ?? Math.floor((o.days * 3) / 4);
  const run = monitoredRewritePolicy({
    startMs: Date.parse(defaultVoiceOptions.startDate),
    buildDay,
    rng: new Random(o.seed + 1),
    build: (seen) =>
      mineRewrites(seen, {
        table: minedTableOptions(o),
      }).table,
  });
  const { policy, withdrawnDay } = run;
  simulateVoice({
    seed: o.seed + 100,
    users: o.users,
    days: o.days,
    items: o.items,
    driftDay,
    driftShare: o.driftShare,
    policy,
  });
  const m = run.monitor;
  const withdrawn = (m?.withdrawn() ?? []).map((s) => ({
    source: s.source,
    rewrite: s.rewrite,
    day: withdrawnDay.get(s.source) ?? -1,
    rewrittenSuccess: round(s.rewritten.mean),
    originalSuccess: round(s.original.mean),
    afterDrift: (withdrawnDay.get(s.source) ?? -1) >= driftDay,
  }));
  return {
    driftDay,
    driftShare: o.driftShare,
    liveRules: m?.statuses().length ?? 0,
    withdrawn,
    withdrawnBeforeDrift: withdrawn.filter((w) => !w.afterDrift).length,
  };
}
