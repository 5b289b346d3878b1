import type { StoreSummary } from "../store/event-store.js";

/*
 * The insights service's answers as plain types with no run-time imports, so that the dashboard (src/web)
 * can type its calls to the HTTP API with the very shapes the server answers with.
 */

export type { StoreSummary };

/** What `eval` (and the demo) measured, kept beside the model versions for the dashboard. */
export interface EvaluationRecord {
  id: string;
  /** affinity (model vs baselines), ablation, resolution, rewrites or context. */
  kind: string;
  createdAt: string;
  /** The command that produced it, so a figure can be reproduced. */
  command: string;
  report: unknown;
}

export interface Overview {
  store: StoreSummary;
  model: {
    version: string;
    createdAt: string;
    config: unknown;
    dataWindow: { plays: number; users: number; items: number; from: string | null; to: string | null };
    metrics: unknown;
    factors: number;
    rule: {
      thresholdMs: number;
      capMs: number;
      weighting: string;
      floor: number;
      relativeThreshold?: number;
    };
    /**
     * The top-N model recommend serves, as chosen on validation: its name and each recommender's best
     * setting with its validation NDCG@10 and recall@10 (null: none was trained with this version).
     */
    topN: {
      name: string;
      validation: {
        share: number;
        /** How the validation share was cut: each user's latest plays, or random (user, item) pairs. */
        cut: "latest" | "random-pairs";
        users: number;
        best: Array<{
          recommender: string;
          param: number | null;
          popularityWeight: number;
          "ndcg@10": number;
          "recall@10": number;
          seconds: number;
        }>;
        skipped: Array<{ recommender: string; reason: string }>;
        /** The baseline-versus-best check (null: the best is the baseline, or a version trained before it). */
        guard: {
          baseline: string;
          challenger: string;
          meanGain: number;
          standardError: number;
          switched: boolean;
        } | null;
      };
      /** The recommender served (the best on validation, or the baseline it did not clearly beat). */
      recommender: string;
    } | null;
    /** The sampled pairwise loss after each epoch, per phase (empty for versions trained before it). */
    trainingCurve: Array<{
      phase: "calibration" | "final";
      epoch: number;
      loss: number;
      validationLoss?: number;
    }>;
  } | null;
  models: Array<{ version: string; createdAt: string; isCurrent: boolean }>;
  evaluations: number;
  /** Every weighting function sampled at x = 0, 0.05, ..., 1 (the served one is model.rule.weighting). */
  weighting: Array<{ name: string; x: number; weight: number }>;
}

export interface UserHistory {
  user: string;
  plays: Array<{
    item: string;
    title: string;
    creators: string[];
    endTime: string;
    playedMs: number;
    itemLengthMs: number | null;
    /** playedMs / itemLengthMs, null when the length is unknown. */
    completion: number | null;
    /** Shorter than the served model's threshold: a skip as the model labels it. */
    skip: boolean;
    endReason: string | null;
    deviceType: string | null;
    requestText: string | null;
  }>;
}

export interface ItemMap {
  model: string;
  /** Share of the factor space's variance the two axes keep. */
  explained: [number, number];
  points: Array<{
    item: string;
    title: string;
    creators: string[];
    kind: string;
    tag: string | null;
    x: number;
    y: number;
    popularity: number;
  }>;
}

export interface DailyRequests {
  days: Array<{ day: string; turns: number; defective: number; defectRate: number }>;
  reasons: Record<string, number>;
}
