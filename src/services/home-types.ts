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
