import type { RequestEvent } from "../../schema/events.js";
import { CatalogueIndex } from "../matching/catalogue-index.js";
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
  /** The offline table (methods.md 2a) mined from the training days and applied by exact match. */
  markov: PolicyOutcome & {
    rules: number;
    guardrails: Record<string, number>;
    rejected: Record<string, number>;
    defectRateWithout: number;
    top: Array<{ source: string; rewrite: string; support: number; gain: number }>;
  };
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
function minedTableOptions(o: RewriteEvaluationOptions): { minSupportUsers?: number } {
  return o.minSupportUsers !== undefined ? { minSupportUsers: o.minSupportUsers } : {};
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
  const progress = (phase: string, done: number) => o.onProgress?.(phase, done, 6);
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

  progress("markov table", 1);
  const byId = new Map(control.catalogue.map((c) => [c.id, c]));
  const entities = (id: string) => byId.get(id);
  const mined = mineRewrites(trainTurns, {
    plays: trainPlays,
    table: minedTableOptions(o),
    entities,
  });
  const table = mined.table;
  const markovWorld = simulateVoice({
    ...base,
    policy: {
      rewrite: (turn) => (turn.timeMs >= split ? (table.lookup(turn.text)?.rewrite ?? null) : null),
    },
  });

  progress("online rewriter", 2);
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
  progress("online rewriter, personal layer", 3);
  const personalWorld = online(true);

  progress("self-awareness under drift", 4);
  const selfAware = driftRun(o, trainDays);

  progress("done", 6);
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
      top: top.map((r) => ({
        source: r.source,
        rewrite: r.rewrite,
        support: r.support,
        gain: round(r.gain),
      })),
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
