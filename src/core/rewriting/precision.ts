/**
 * Precise application of a rewrite rule (issue 19). A rule is mined from the users who failed at its source
 * and went on to the rewrite; it is served to everyone who says the source. Where the source means one
 * thing to some people and another to others ("play gone girl": the film for most, the audiobook for the
 * few who rephrased), rewriting helps the few and breaks the request for the rest. So each rule carries
 * the evidence of who it helps, per context (device type and screen) and per user, and is applied only
 * where its estimated gain stays positive after its uncertainty.
 *
 * The estimate, from the log: every chain that starts at the source says what its user meant (the entity
 * they finally got when the chain ended in success) and whether the source alone worked. Served the rule,
 * a user who meant the rewrite's entity succeeds about as often as the rewrite does (R_r); one who meant
 * something else fails. So a chain's gain is R_r - [source worked] when it meant the rewrite's entity, and
 * -[source worked] when it did not. Gains are averaged per user (one vote each), pooled by context and
 * shrunk towards the wider pool (user -> context -> everyone) with `priorWeight` pseudo-observations.
 * The rule applies when mean - z * sd / sqrt(n) > 0, with n the observations behind the estimate.
 *
 * Served turns keep teaching the user level (`GateStats.observe`): a rewritten turn that worked, or the
 * source served as-is that failed while the rewrite's entity is what they wanted, counts for; a rewritten
 * turn that failed, or the source working as-is for another entity, counts against.
 */
import type { PlayContext } from "../../schema/events.js";
import { normalizeText } from "../matching/normalize.js";
import type { VoiceTurn } from "../voice/turn.js";
import type { RewriteRule } from "./rewrite-table.js";
import { defaultSessionGapMs, splitSessions } from "./sessions.js";

/** Sums of per-unit gains: count, sum and sum of squares (JSON-safe, mergeable). */
export interface GainSums {
  n: number;
  sum: number;
  sumSq: number;
}

/** The evidence of one rule: everyone, per context key, per user. */
export interface RuleGate {
  /** What the rewrite resolves to when it works (null: unknown, the chain's states decide instead). */
  rewriteItem: string | null;
  overall: GainSums;
  contexts: Record<string, GainSums>;
  users: Record<string, GainSums>;
  /**
   * The same levels over whether each chain meant the rewrite's entity (0/1): the rewrite decision's
   * success estimate (success-estimate.ts). Absent in tables stored before it existed.
   */
  success?: Pick<RuleGate, "overall" | "contexts" | "users">;
}

export interface GateOptions {
  /** Pseudo-observations of the wider pool mixed into a narrower one. */
  priorWeight: number;
  /** Standard errors the mean must clear: the rule applies when mean - z * se > 0. */
  z: number;
  /** Longest pause inside a session, ms (the chain builder's). */
  sessionGapMs: number;
}

/**
 * priorWeight 2: a user's or context's own two observations count as much as the wider pool's estimate,
 * so one chain moves a user's estimate only part of the way. z 0: a rule applies where its shrunk gain
 * is positive; `tastebud eval --rewrites` chooses z on the training days among 0-2 and chose 0 on every
 * simulator seed (README): caution beyond the shrinkage cost more wins than it saved losses.
 */
export const defaultGateOptions: GateOptions = { priorWeight: 2, z: 0, sessionGapMs: defaultSessionGapMs };

/** The context a gate pools by: device type and whether it has a screen ("tv+screen", "speaker"). */
export function contextKey(context: PlayContext | undefined): string {
  if (!context) return "";
  return `${context.deviceType ?? ""}${context.hasScreen ? "+screen" : ""}`;
}

function add(s: GainSums, x: number): void {
  s.n++;
  s.sum += x;
  s.sumSq += x * x;
}

const empty = (): GainSums => ({ n: 0, sum: 0, sumSq: 0 });

/** A turn as the gate needs it: the verdict says whether it worked. */
interface GateTurn {
  user: string;
  device?: string;
  timeMs: number;
  /** Normalized: what was said (the source, when the assistant rewrote it). */
  said: string;
  /** Normalized: what was executed. */
  executed: string;
  /** The executed text (the session splitter's field). */
  text: string;
  rewritten: boolean;
  defective: boolean;
  item: string | undefined;
  context: string;
}

/** One chain that started at a rule's source: its context, its gain, and whether it meant the rewrite. */
export interface RuleChain {
  context: string;
  gain: number;
  /** 1 when the chain ended at the rewrite's entity (the rewrite would have been right), else 0. */
  meant: number;
}

/** Per rule source, per user, the chains of that user that started at the source (served as-is). */
export interface RuleChains {
  /** What each rewrite text resolves to when it works (its most frequent item among turns that worked). */
  rewriteItem: Map<string, string>;
  bySource: Map<string, Map<string, RuleChain[]>>;
}

/**
 * The chains that start at each rule's source in a log of turns with their defect verdicts (the same log
 * the rules were mined from). Chains are cut as the Markov builder cuts them: a session's turns up to the
 * first that worked. Chains that gave up are left out: what their user meant is unknown.
 */
export function collectRuleChains(
  turns: readonly VoiceTurn[],
  defective: readonly boolean[],
  rules: readonly RewriteRule[],
  options: Partial<GateOptions> = {},
): RuleChains {
  const o = { ...defaultGateOptions, ...options };
  const bySource = new Map(rules.map((r) => [r.source, r]));
  const gateTurns: GateTurn[] = turns.map((t, k) => ({
    user: t.user,
    device: t.device,
    timeMs: t.timeMs,
    said: normalizeText(t.rewrittenFrom ?? t.text),
    executed: normalizeText(t.text),
    text: t.text,
    rewritten: t.rewrittenFrom !== undefined && normalizeText(t.rewrittenFrom) !== normalizeText(t.text),
    defective: defective[k],
    item: t.resolvedItem,
    context: contextKey(t.context),
  }));
  // What each rewrite resolves to when it works: its most frequent item among turns that worked.
  const wanted = new Set(rules.map((r) => r.rewrite));
  const itemCounts = new Map<string, Map<string, number>>();
  for (const t of gateTurns) {
    if (t.defective || t.item === undefined || !wanted.has(t.executed)) continue;
    let m = itemCounts.get(t.executed);
    if (!m) {
      m = new Map();
      itemCounts.set(t.executed, m);
    }
    m.set(t.item, (m.get(t.item) ?? 0) + 1);
  }
  const rewriteItem = new Map<string, string>();
  for (const [text, m] of itemCounts) {
    let best: string | undefined;
    for (const [item, n] of m)
      if (best === undefined || n > m.get(best)! || (n === m.get(best) && item < best)) best = item;
    if (best !== undefined) rewriteItem.set(text, best);
  }

  const perUser = new Map<string, Map<string, RuleChain[]>>();
  for (const session of splitSessions(gateTurns, { gapMs: o.sessionGapMs })) {
    let start = 0;
    for (let k = 0; k < session.length; k++) {
      if (!session[k].defective || k === session.length - 1) {
        const chain = session.slice(start, k + 1);
        start = k + 1;
        const first = chain[0];
        const rule = bySource.get(first.said);
        // The source served as-is is the counterfactual the gain is measured against.
        if (!rule || first.rewritten) continue;
        const last = chain[chain.length - 1];
        if (last.defective) continue; // gave up: what they meant is unknown
        const item = rewriteItem.get(rule.rewrite);
        const meantRewrite =
          item !== undefined ? last.item === item : chain.some((t) => t.executed === rule.rewrite);
        const worked = first.defective ? 0 : 1;
        const gain = meantRewrite ? rule.rewriteSuccess - worked : -worked;
        let users = perUser.get(rule.source);
        if (!users) {
          users = new Map();
          perUser.set(rule.source, users);
        }
        let list = users.get(first.user);
        if (!list) {
          list = [];
          users.set(first.user, list);
        }
        list.push({ context: first.context, gain, meant: meantRewrite ? 1 : 0 });
      }
    }
  }
  return { rewriteItem, bySource: perUser };
}

/**
 * Sums of one per-chain value at the three levels the gate pools by: each user's chains at the user level,
 * the per-user mean (one vote each) overall, and the per-user mean within each context per context.
 */
export function levelSums(
  chainsByUser: Iterable<readonly [string, readonly RuleChain[]]>,
  value: (c: RuleChain) => number,
): Pick<RuleGate, "overall" | "contexts" | "users"> {
  const overall = empty();
  const contexts: Record<string, GainSums> = {};
  const users: Record<string, GainSums> = {};
  for (const [user, chains] of chainsByUser) {
    const u = empty();
    const byContext = new Map<string, number[]>();
    for (const c of chains) {
      const v = value(c);
      add(u, v);
      const list = byContext.get(c.context) ?? [];
      list.push(v);
      byContext.set(c.context, list);
    }
    // A user resampled twice (the bootstrap) adds to the user level twice.
    if (users[user]) {
      users[user].n += u.n;
      users[user].sum += u.sum;
      users[user].sumSq += u.sumSq;
    } else users[user] = u;
    add(overall, u.sum / u.n);
    for (const [ctx, values] of byContext) {
      contexts[ctx] ??= empty();
      add(contexts[ctx], values.reduce((a, b) => a + b, 0) / values.length);
    }
  }
  return { overall, contexts, users };
}

/**
 * The gate of every rule from a log of turns with their defect verdicts (the same log the rules were
 * mined from): the gains of the chains that start at its source, and (`success`) whether they meant the
 * rewrite's entity.
 */
export function buildRuleGates(
  turns: readonly VoiceTurn[],
  defective: readonly boolean[],
  rules: readonly RewriteRule[],
  options: Partial<GateOptions> = {},
): Map<string, RuleGate> {
  const { rewriteItem, bySource } = collectRuleChains(turns, defective, rules, options);
  const gates = new Map<string, RuleGate>();
  for (const rule of rules) {
    const chains = [...(bySource.get(rule.source) ?? [])];
    gates.set(rule.source, {
      rewriteItem: rewriteItem.get(rule.rewrite) ?? null,
      ...levelSums(chains, (c) => c.gain),
      success: levelSums(chains, (c) => c.meant),
    });
  }
  return gates;
}

/** An estimate of a rule's gain for one request: mean, its standard error, and the level it came from. */
export interface GainEstimate {
  mean: number;
  se: number;
  level: "user" | "context" | "overall" | "none";
}

/**
 * The rule's estimated gain for this user in this context: the overall mean, shrunk towards by the
 * context's, then by the user's own chains. The spread is the pooled one of the widest level with data.
 */
export function estimateGain(
  gate: RuleGate,
  user: string | undefined,
  context: string,
  options: Partial<GateOptions> = {},
): GainEstimate {
  const { priorWeight: k } = { ...defaultGateOptions, ...options };
  const all = gate.overall;
  if (all.n === 0 && !(user && gate.users[user]?.n)) return { mean: 0, se: 1, level: "none" };
  const variance = (s: GainSums) =>
    s.n > 1 ? Math.max(0, (s.sumSq - (s.sum * s.sum) / s.n) / (s.n - 1)) : 1;
  // Gains lie in [-1, 1]: a spread of at least 0.25 keeps one lucky pool from looking certain.
  const sd = Math.max(0.25, Math.sqrt(all.n > 1 ? variance(all) : 1));
  let mean = all.n ? all.sum / all.n : 0;
  let n = all.n;
  let level: GainEstimate["level"] = "overall";
  const ctx = gate.contexts[context];
  if (ctx && ctx.n > 0) {
    mean = (ctx.sum + k * mean) / (ctx.n + k);
    n = ctx.n + Math.min(k, n);
    level = "context";
  }
  const own = user ? gate.users[user] : undefined;
  if (own && own.n > 0) {
    mean = (own.sum + k * mean) / (own.n + k);
    n = own.n + Math.min(k, n);
    level = "user";
  }
  return { mean, se: sd / Math.sqrt(Math.max(n, 1)), level };
}

/** Whether to apply the rule: its gain's lower bound (mean - z * se) is above zero. */
export function gateAllows(estimate: GainEstimate, options: Partial<GateOptions> = {}): boolean {
  const { z } = { ...defaultGateOptions, ...options };
  return estimate.level !== "none" && estimate.mean - z * estimate.se > 0;
}

/**
 * Teaches a gate one served turn of its source, at the user level: the rewrite served and working (+ the
 * rule's gain), served and failing (-1); the source served as-is working for another entity than the
 * rewrite's (-1), or for the rewrite's own (R_r - 1). An as-is turn that failed says nothing yet (what was
 * meant shows only when the user's chain ends).
 */
export function observeGate(
  gate: RuleGate,
  rule: Pick<RewriteRule, "rewriteSuccess" | "gain">,
  turn: { user: string; rewritten: boolean; worked: boolean; item?: string },
): void {
  let gain: number | null;
  if (turn.rewritten) gain = turn.worked ? Math.max(rule.gain, 0) : -1;
  else if (!turn.worked) gain = null;
  else if (gate.rewriteItem !== null && turn.item === gate.rewriteItem) gain = rule.rewriteSuccess - 1;
  else gain = -1;
  if (gain === null) return;
  gate.users[turn.user] ??= empty();
  add(gate.users[turn.user], gain);
}
