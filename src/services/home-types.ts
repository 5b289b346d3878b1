import type { ImpressionSummary } from "../store/event-store.js";

/*
 * The home service's answers as plain types with no run-time imports, so that the dashboard (src/web) can
 * type its calls to the HTTP API with the very shapes the server answers with.
 */

export type { ImpressionSummary };

export interface PolicyStatus {
  name: string;
  kind: string;
  version: number;
  frozen: boolean;
  updatedAt: string;
  arms: number;
  segments: number;
  displays: number;
  streams: number;
  /** The arms with the best observed stream rate over all segments (at least 5 displays). */
  top: Array<{ item: string; displays: number; streams: number; rate: number }>;
}

export interface ArmStat {
  item: string;
  title: string;
  displays: number;
  streams: number;
  rate: number;
}

export interface HomeReport {
  policy: PolicyStatus | null;
  /** The most displayed shelves, most first, as the live policy counts displays and streams. */
  arms: ArmStat[];
  log: ImpressionSummary;
}

/** One `tastebud bandit ope --store` run as the dashboard shows it (newest first in HomeEvidence). */
export interface OpeEvidence {
  id: string;
  createdAt: string;
  command: string;
  log: string;
  policy: string;
  rows: number;
  meanWeight: number;
  effectiveSampleSize: number;
  rewardModel: string;
  /** The knobs SLOPE chose ("Infinity" = plain DR). */
  switchTau: string;
  drosLambda: string;
  observed: { value: number; lower: number; upper: number } | null;
  estimates: Array<{
    estimator: string;
    estimate: number;
    lower: number | null;
    upper: number | null;
    relativeError: number | null;
    coversObserved: boolean | null;
  }>;
}

/** One `tastebud bandit simulate --store` run: final regret per policy and the mean curve over seeds. */
export interface SimulationEvidence {
  id: string;
  createdAt: string;
  command: string;
  env: string;
  rounds: number;
  usersPerRound: number;
  seeds: number[];
  arms: number | null;
  policies: Array<{
    policy: string;
    meanCumulativeRegret: number;
    regretVsRandom: number | null;
    regretVsGreedy: number | null;
    rewardsPerDisplay: number;
    /** Mean over seeds of the cumulative expected regret after each round. */
    regretPerRound: number[];
  }>;
}

export interface HomeEvidence {
  ope: OpeEvidence[];
  /** The newest simulation per environment. */
  simulations: SimulationEvidence[];
}
