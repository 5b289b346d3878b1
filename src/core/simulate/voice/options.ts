import type { PlayContext, RequestEvent } from "../../../schema/events.js";

/** What a rewriting policy sees of a turn before the assistant acts on it: no truth. */
export interface PolicyTurn {
  user: string;
  device: string;
  timeMs: number;
  /** The text as recognised (ASR output). */
  text: string;
  asrConfidence: number;
  context: PlayContext;
}

/**
 * A query-rewriting policy in the loop: `rewrite` runs after ASR and before NLU (null or the same text
 * keeps the original), `observe` gets every request event in request-time order, outcome included.
 */
export interface VoicePolicy {
  rewrite?(turn: PolicyTurn): string | null;
  observe?(event: RequestEvent): void;
}

/** Knobs of the simulated voice pipeline; `resolveVoiceOptions` fills the defaults. */
export interface VoiceOptions {
  /** Seed of every draw (default 1). */
  seed?: number;
  /** Users (default 700). */
  users?: number;
  /** Simulated days (default 28). */
  days?: number;
  /** Items of the underlying listening world (default 2000); the voice titles come on top. */
  items?: number;
  /** Start of day 0, read as the users' local time (default "2024-01-01T00:00:00Z", a Monday). */
  startDate?: string;
  /** Mean voice sessions per user and day, scaled by per-user activity (default 1.9). */
  sessionsPerDay?: number;
  /** Mean requests per session, rephrases not counted (default 1.5). */
  requestsPerSession?: number;
  /** False wakes per user request (default 0.03). */
  falseWakeRate?: number;
  /** Chance that ASR garbles one word of an utterance (default 0.06). */
  asrErrorRate?: number;
  /** Chance that a known confusable phrase is heard as its confusion (default 0.6; less with context). */
  systematicAsrRate?: number;
  /** Share of texts whose intent the NLU gets wrong regardless of ambiguity (default 0.025). */
  nluErrorRate?: number;
  /** Share of texts on which entity resolution slips to another candidate (default 0.02). */
  erErrorRate?: number;
  /** Chance that a play of the right item fails: error or wrong version (default 0.03). */
  resultErrorRate?: number;
  /** Share of (item, device type) pairs that are unavailable (default 0.015). */
  unavailableRate?: number;
  /** Chance that a user who noticed a defect tries again (default 0.75). */
  rephraseRate?: number;
  /** Fewest and most tries per request before a user gives up, drawn per request (default [2, 4]). */
  maxTries?: [number, number];
  /** Gap from a defective turn (plus what it played) to its rephrase, ms (default [10000, 30000]). */
  rephraseGapMs?: [number, number];
  /** Share of unwanted plays the user interrupts within seconds (default 0.8). */
  bargeInRate?: number;
  /** Share of users with a personal quirk: a nickname or a mispronounced title (default 0.06). */
  quirkShare?: number;
  /**
   * From this day on (0-based), new songs whose titles are the systematic mishearings of older hits are
   * released and requested, so those utterances change meaning (default null: no drift).
   */
  driftDay?: number | null;
  /** After driftDay, share of song requests that ask for one of the new releases (default 0.06). */
  driftShare?: number;
  /**
   * Share of users who are new to the assistant: each starts on a day drawn uniformly over the simulated
   * days and makes no request (and so has no history) before it (default 0: everyone from day 0).
   */
  newUserShare?: number;
}

export type ResolvedVoiceOptions = Required<VoiceOptions>;

export const defaultVoiceOptions: ResolvedVoiceOptions = {
  seed: 1,
  users: 700,
  days: 28,
  items: 2000,
  startDate: "2024-01-01T00:00:00Z",
  sessionsPerDay: 1.9,
  requestsPerSession: 1.5,
  falseWakeRate: 0.03,
  asrErrorRate: 0.06,
  systematicAsrRate: 0.6,
  nluErrorRate: 0.025,
  erErrorRate: 0.02,
  resultErrorRate: 0.03,
  unavailableRate: 0.015,
  rephraseRate: 0.75,
  maxTries: [2, 4],
  rephraseGapMs: [10_000, 30_000],
  bargeInRate: 0.8,
  quirkShare: 0.06,
  driftDay: null,
  driftShare: 0.06,
  newUserShare: 0,
};

const RATES = [
  "falseWakeRate",
  "asrErrorRate",
  "systematicAsrRate",
  "nluErrorRate",
  "erErrorRate",
  "resultErrorRate",
  "unavailableRate",
  "rephraseRate",
  "bargeInRate",
  "quirkShare",
  "driftShare",
  "newUserShare",
] as const;

/** Fills defaults and rejects values the simulator cannot work with. */
export function resolveVoiceOptions(options: VoiceOptions = {}): ResolvedVoiceOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...defaultVoiceOptions, ...defined } as ResolvedVoiceOptions;
  for (const k of ["users", "days", "items"] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new RangeError(`${k} must be a positive integer`);
  }
  if (o.items < 2) throw new RangeError("items must be >= 2");
  for (const k of RATES) {
    if (!(o[k] >= 0 && o[k] <= 1)) throw new RangeError(`${k} must be within [0, 1]`);
  }
  for (const k of ["sessionsPerDay", "requestsPerSession"] as const) {
    if (!(o[k] > 0) || !Number.isFinite(o[k])) throw new RangeError(`${k} must be a positive number`);
  }
  if (!(o.requestsPerSession >= 1)) throw new RangeError("requestsPerSession must be >= 1");
  const [lo, hi] = o.maxTries;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo)
    throw new RangeError("maxTries must be integers [lo, hi] with 1 <= lo <= hi");
  const [gLo, gHi] = o.rephraseGapMs;
  // The rephrase must come after the answer started (latency is under 3 s).
  if (!(gLo >= 3000 && gHi >= gLo))
    throw new RangeError("rephraseGapMs must be [lo, hi] with 3000 <= lo <= hi");
  if (o.driftDay !== null && !(Number.isInteger(o.driftDay) && o.driftDay >= 0))
    throw new RangeError("driftDay must be a non-negative integer or null");
  if (Number.isNaN(Date.parse(o.startDate))) throw new RangeError(`startDate is not a date: ${o.startDate}`);
  return o;
}
