/** The rewrite table's shape: guardrails and options, rules, statistics, and the table served by exact match. */
import { normalizeText } from "../matching/normalize.js";
import type { MeaningReason } from "./meaning.js";

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
}

/** Source -> rewrite, exact match on the normalized utterance, applied once before resolution. */
export class RewriteTable {
  private readonly bySource: Map<string, RewriteRule>;

  constructor(
    readonly rules: readonly RewriteRule[],
    readonly stats: RewriteStats,
    readonly options: RewriteTableOptions,
  ) {
    this.bySource = new Map(rules.map((r) => [r.source, r]));
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
    return new RewriteTable(j.rules, j.stats as RewriteStats, { ...defaultRewriteOptions, ...j.options });
  }
}
