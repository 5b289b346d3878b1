/** The rewrite table's shape: guardrails and options, rules, statistics, and the table served by exact match. */

import type { PlayContext } from "../../schema/events.js";
import { normalizeText } from "../matching/normalize.js";
import {
  type BinnedThresholds,
  decide as decideBinned,
  thresholdsFromJson,
  thresholdsToJson,
} from "../thresholds/index.js";
import type { MeaningReason } from "./meaning.js";
import {
  contextKey,
  defaultGateOptions,
  estimateGain,
  type GainEstimate,
  gateAllows,
  observeGate,
  type RuleGate,
} from "./precision.js";
import { estimateSuccess, type SuccessEstimate } from "./success-estimate.js";

export interface RewriteGuardrails {
  /** Distinct users seen at the source. */
  minSupportUsers: number;
  /** Distinct users whose chain went from the source to the rewrite (directly or not). */
  minPathUsers: number;
  /** 1 - R_s,SUCCESS from the source served as-is: how often the source itself fails. */
  minDefectRate: number;
  /** B_s,FAILURE, the source's absorption into FAILURE when served as-is. */
  minFailureProbability: number;
  /** R_r,SUCCESS: how often the rewrite succeeds at once. */
  minRewriteSuccess: number;
  /** R_r,SUCCESS - R_s,SUCCESS. */
  minGain: number;
}

export interface RewriteTableOptions extends RewriteGuardrails {
  /**
   * "user": each user's transitions out of a state add up to one vote, so P(a -> b) is the mean over the
   * users seen at a of their own transition shares. "count": raw transition counts.
   */
  weighting: "user" | "count";
  /** Cap on the Neumann terms e_s Q^k summed per source (K). */
  maxSteps: number;
  /** Stop summing once the probability mass still in transit falls below this. */
  tolerance: number;
  /**
   * A transition carrying less mass than this is not followed (its mass is dropped and counted in
   * `maxResidual`): keeps the work per source bounded when hubs ("google", "play music") have thousands of
   * successors. 0 follows everything.
   */
  prune: number;
  /**
   * Standard errors a rule's estimated gain for a user in a context must clear before it is applied
   * (precision.ts); only used for rules that carry a gate.
   */
  gateZ: number;
}

/**
 * Defaults scaled to hundreds of users, not millions (the paper: support >= 10 customers, B_FAILURE >= 0.5,
 * R_r >= 0.7, gain >= 0.2, path users >= 3). Three users at a source and two who went on to the rewrite
 * still rule out one person's habit (the personal layer's business); R_r >= 0.6 instead of 0.7 because
 * rates from a handful of users are noisy, while the gain of 0.2 over the source is kept. Weighting
 * "user": heavy users (search logs have users with thousands of queries) must not outvote the rest.
 */
export const defaultRewriteOptions: RewriteTableOptions = {
  minSupportUsers: 3,
  minPathUsers: 2,
  minDefectRate: 0.5,
  // Off by default: users who rephrase until they succeed leave a broken source with a low B_FAILURE, so
  // it is the source's own defect rate that says it needs fixing; raise this where giving up is common.
  minFailureProbability: 0,
  minRewriteSuccess: 0.6,
  minGain: 0.2,
  weighting: "user",
  maxSteps: 200,
  tolerance: 1e-9,
  prune: 1e-6,
  gateZ: defaultGateOptions.z,
};

export interface RewriteRule {
  source: string;
  rewrite: string;
  /** Distinct users seen at the source. */
  support: number;
  /** Distinct users who went from the source to the rewrite within one chain. */
  pathUsers: number;
  /** B_s,SUCCESS with the source served as-is. */
  sourceSuccess: number;
  /** B_s,FAILURE with the source served as-is. */
  sourceFailure: number;
  /** R_s,SUCCESS with the source served as-is. */
  sourceDirectSuccess: number;
  /** R_r,SUCCESS. */
  rewriteSuccess: number;
  /** R_r,SUCCESS - R_s,SUCCESS. */
  gain: number;
  /** N_sr: expected visits to the rewrite starting from the source. */
  visits: number;
  /** N_sr * R_r,SUCCESS: the rewrite's share of the source's success absorption. */
  contribution: number;
  /** Why the rewrite keeps the source's meaning (absent when the table was built without the check). */
  meaning?: MeaningReason;
}

export type RejectionReason =
  | "support"
  | "defectRate"
  | "failureProbability"
  | "noCandidate"
  | "pathUsers"
  | "rewriteSuccess"
  | "gain"
  /** The best route out of the source (and every other that passed) changes what the source asks for. */
  | "meaning";

export interface RewriteStats {
  chains: number;
  steps: number;
  users: number;
  states: number;
  /** Distinct transient -> transient transitions. */
  edges: number;
  /** Sources with at least one transition to another state, i.e. something to rewrite to. */
  sources: number;
  rules: number;
  /**
   * Sources turned down, by the first guardrail that stopped them (when no successor of a source could
   * pass, by the furthest any got: path users, then rewrite success, then gain).
   */
  rejected: Record<RejectionReason, number>;
  /** Largest probability mass left in transit when a source's sum stopped: bounds the error of B and N. */
  maxResidual: number;
  /**
   * With the meaning check: per source whose strongest route changed its meaning, that route and why it
   * was refused (the source may still have a rule, to a weaker route that keeps the meaning).
   */
  changedMeaning?: Array<{
    source: string;
    rewrite: string;
    reason: MeaningReason;
    pathUsers: number;
    rewriteSuccess: number;
    sourceDirectSuccess: number;
  }>;
}

export interface RewriteTableJson {
  format: "tastebud-rewrites";
  version: 1;
  options: RewriteTableOptions;
  stats: RewriteStats;
  rules: RewriteRule[];
  /** Per source, who the rule helps (precision.ts); absent for tables built without gates. */
  gates?: Record<string, RuleGate>;
  /** The success policy's thresholds, when the table was given one (JSON: ±Infinity as null). */
  successPolicy?: { minPrecision: number; thresholds: ReturnType<typeof thresholdsToJson> };
}

/**
 * Apply a rule only where the rewrite is right with probability >= minPrecision: thresholds on (success
 * estimate, its spread), fitted on labelled requests (single threshold, MIST or EW-DPMT; eval
 * --rewrite-decision fits them on the simulator, where the right rewrite is known). Replaces the gain gate.
 */
export interface SuccessPolicy {
  minPrecision: number;
  thresholds: BinnedThresholds;
}

/** A table's answer for one request: the rule, and whether its gate lets it apply here. */
export interface RuleDecision {
  rule: RewriteRule;
  apply: boolean;
  /** The gate's estimate for this user and context (absent when the rule has no gate). */
  estimate?: GainEstimate;
  /** With a success policy: the success estimate it decided on. */
  success?: SuccessEstimate;
}

/** Source -> rewrite, exact match on the normalized utterance, applied once before resolution. */
export class RewriteTable {
  private readonly bySource: Map<string, RewriteRule>;

  constructor(
    readonly rules: readonly RewriteRule[],
    readonly stats: RewriteStats,
    readonly options: RewriteTableOptions,
    /** Per source, the evidence of who the rule helps; a rule without a gate applies to everyone. */
    readonly gates: ReadonlyMap<string, RuleGate> = new Map(),
    /** When set, decides instead of the gain gate wherever a rule's gate has success evidence. */
    readonly successPolicy: SuccessPolicy | null = null,
  ) {
    this.bySource = new Map(rules.map((r) => [r.source, r]));
  }

  /**
   * The rule for an utterance and whether to apply it for this user in this context: always when the
   * rule has no gate; with a success policy, when the thresholds pass its success estimate and spread
   * here; else when its estimated gain here clears `gateZ` standard errors.
   */
  decide(text: string, user?: string, context?: PlayContext): RuleDecision | undefined {
    const rule = this.lookup(text);
    if (!rule) return undefined;
    const gate = this.gates.get(rule.source);
    if (!gate) return { rule, apply: true };
    const estimate = estimateGain(gate, user, contextKey(context));
    if (this.successPolicy && gate.success) {
      const success = estimateSuccess(gate.success, user, contextKey(context));
      const apply =
        success.level !== "none" && decideBinned(this.successPolicy.thresholds, success.mean, success.spread);
      return { rule, apply, estimate, success };
    }
    return { rule, apply: gateAllows(estimate, { z: this.options.gateZ }), estimate };
  }

  /** The same rules and gates deciding by a success policy (null: back to the gain gate). */
  withSuccessPolicy(policy: SuccessPolicy | null): RewriteTable {
    return new RewriteTable(this.rules, this.stats, this.options, this.gates, policy);
  }

  /**
   * Teaches the gate of the rule whose source `said` is one served turn: rewritten or not, whether it
   * worked (immediate signals), and what it played.
   */
  observe(said: string, turn: { user: string; rewritten: boolean; worked: boolean; item?: string }): boolean {
    const rule = this.lookup(said);
    const gate = rule && this.gates.get(rule.source);
    if (!rule || !gate) return false;
    observeGate(gate, rule, turn);
    return true;
  }

  get size(): number {
    return this.rules.length;
  }

  /** The rule for an utterance, if any; the text is normalized first. */
  lookup(text: string): RewriteRule | undefined {
    return this.bySource.get(normalizeText(text));
  }

  toJSON(): RewriteTableJson {
    return {
      format: "tastebud-rewrites",
      version: 1,
      options: this.options,
      stats: this.stats,
      rules: [...this.rules],
      ...(this.gates.size ? { gates: Object.fromEntries(this.gates) } : {}),
      ...(this.successPolicy
        ? {
            successPolicy: {
              minPrecision: this.successPolicy.minPrecision,
              thresholds: thresholdsToJson(this.successPolicy.thresholds),
            },
          }
        : {}),
    };
  }

  static fromJSON(json: unknown): RewriteTable {
    const j = json as Partial<RewriteTableJson> | null;
    if (j?.format !== "tastebud-rewrites" || j.version !== 1 || !Array.isArray(j.rules)) {
      throw new Error("not a tastebud rewrite table (format tastebud-rewrites, version 1)");
    }
    for (const r of j.rules) {
      if (typeof r?.source !== "string" || typeof r.rewrite !== "string" || r.source === r.rewrite) {
        throw new Error(`bad rewrite rule: ${JSON.stringify(r)}`);
      }
    }
    return new RewriteTable(
      j.rules,
      j.stats as RewriteStats,
      { ...defaultRewriteOptions, ...j.options },
      new Map(Object.entries(j.gates ?? {})),
      j.successPolicy
        ? {
            minPrecision: j.successPolicy.minPrecision,
            thresholds: thresholdsFromJson(j.successPolicy.thresholds),
          }
        : null,
    );
  }
}
