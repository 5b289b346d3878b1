import type { CatalogueItemInput, PlayEvent } from "../../schema/events.js";

/**
 * Knobs of the simulated world. Every field is optional; `resolveOptions` fills the defaults. The
 * defaults aim at a world that looks like real listening logs (many skips, many replays, a long tail of
 * rarely played items) while staying small enough for tests.
 */
export interface SimulationOptions {
  /** Number of users (default 300). */
  users?: number;
  /** Number of catalogue items (default 2000). */
  items?: number;
  /** Number of creators (artists, channels, hosts); default items / 8. */
  creators?: number;
  /** Number of simulated days (default 60). */
  days?: number;
  /** Latent dimension of user tastes and item traits (default 8). */
  dim?: number;
  /** Seed of every random draw: same seed, same world (default 1). */
  seed?: number;
  /** Start of day 0 (default "2024-01-01T00:00:00Z"). */
  startDate?: string;
  /** Mean sessions per user per day, scaled per user by a power-law activity (default 1). */
  sessionsPerDay?: number;
  /** Pareto tail exponent of per-user activity; smaller means a few heavy users dominate (default 2). */
  activityAlpha?: number;
  /** Mean plays per session, geometric (default 7). */
  playsPerSession?: number;
  /**
   * Chance that the next pick replays an item the user liked before (default 0.4). Discovery re-finds
   * known items too, so the share of replays in the log ends up higher (about 0.55).
   */
  replayShare?: number;
  /**
   * Chance that, after a play listened past 30 s, the session goes on to the item that follows it (the next
   * item of the same creator in catalogue order: the album's next track, the next episode), when there is one
   * (default 0: picks are independent of the previous play, and worlds are exactly as before this option).
   */
  followShare?: number;
  /** Share of plays started from a spoken request text (default 0.3). */
  requestShare?: number;
  /** Share of wanted plays cut short by an interruption (doorbell, phone call) (default 0.04). */
  interruptionShare?: number;
  /** Share of unwanted plays that run to the end because nobody was listening (default 0.05). */
  distractionShare?: number;
  /** Share of request texts with a typo / misrecognised title (default 0.08). */
  typoShare?: number;
  /** Share of title-only requests for a shared title that the assistant resolves to the wrong item (default 0.1). */
  misresolutionShare?: number;
  /** Share of distinct song titles carried by two or three creators (default 0.15). */
  sharedTitleShare?: number;
  /** Zipf exponent of item popularity (default 1). */
  popularityExponent?: number;
  /** Candidates drawn per discovery pick; the softmax runs over these, never the whole catalogue (default 16). */
  candidates?: number;
  /**
   * Softmax temperature on the affinity logit of discovery candidates: lower means users find what they
   * like more surely. The default 3 gives about 30 % skips, as in real listening logs.
   */
  tasteTemperature?: number;
}

export type ResolvedSimulationOptions = Required<SimulationOptions>;

/** A play that started from a spoken request, and what the speaker meant. */
export interface SimulatedRequest {
  eventId: string;
  text: string;
  /** Catalogue id of the item the user meant (the played item may differ when the assistant got it wrong). */
  intendedItem: string;
}

/**
 * The ground truth behind the events: a(u, i) = sigmoid(userFactors[u]·itemFactors[i] + itemBias[i]) is the
 * probability that user u plays item i past 30 s. Indexes follow `users` and `items`; factor arrays are
 * row-major (users × dim, items × dim).
 */
export interface SimulationTruth {
  users: string[];
  items: string[];
  dim: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  itemBias: Float32Array;
  requests: SimulatedRequest[];
  /**
   * What follows each item (index into `items`), -1 when nothing does: the next item of the same creator in
   * catalogue order. Sessions go there with probability `followShare` after a listened play.
   */
  follows: Int32Array;
}

export interface SimulatedWorld {
  catalogue: CatalogueItemInput[];
  /** Sorted by endTime; eventIds "sim-1", "sim-2", ... in that order. */
  events: PlayEvent[];
  truth: SimulationTruth;
}

export const defaultSimulationOptions: Omit<ResolvedSimulationOptions, "creators"> = {
  users: 300,
  items: 2000,
  days: 60,
  dim: 8,
  seed: 1,
  startDate: "2024-01-01T00:00:00Z",
  sessionsPerDay: 1,
  activityAlpha: 2,
  playsPerSession: 7,
  replayShare: 0.4,
  followShare: 0,
  requestShare: 0.3,
  interruptionShare: 0.04,
  distractionShare: 0.05,
  typoShare: 0.08,
  misresolutionShare: 0.1,
  sharedTitleShare: 0.15,
  popularityExponent: 1,
  candidates: 16,
  tasteTemperature: 3,
};

/** Fills defaults and rejects values the simulator cannot work with. */
export function resolveOptions(options: SimulationOptions = {}): ResolvedSimulationOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const merged = { ...defaultSimulationOptions, ...defined } as Omit<
    ResolvedSimulationOptions,
    "creators"
  > & {
    creators?: number;
  };
  // Two creators at least: "Hello" by Adele and by Lionel Richie is part of every world.
  const o: ResolvedSimulationOptions = {
    ...merged,
    creators: Math.min(merged.items, merged.creators ?? Math.max(2, Math.round(merged.items / 8))),
  };
  const positiveInts: Array<keyof ResolvedSimulationOptions> = ["users", "days", "dim", "candidates"];
  for (const k of positiveInts) {
    if (!Number.isInteger(o[k]) || (o[k] as number) < 1)
      throw new RangeError(`${k} must be a positive integer`);
  }
  if (!Number.isInteger(o.items) || o.items < 2) throw new RangeError("items must be an integer >= 2");
  if (!Number.isInteger(o.creators) || o.creators < 2)
    throw new RangeError("creators must be an integer >= 2");
  const shares: Array<keyof ResolvedSimulationOptions> = [
    "replayShare",
    "followShare",
    "requestShare",
    "interruptionShare",
    "distractionShare",
    "typoShare",
    "misresolutionShare",
    "sharedTitleShare",
  ];
  for (const k of shares) {
    const v = o[k] as number;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${k} must be within [0, 1]`);
  }
  for (const k of ["sessionsPerDay", "activityAlpha", "playsPerSession", "tasteTemperature"] as const) {
    if (!(o[k] > 0) || !Number.isFinite(o[k])) throw new RangeError(`${k} must be a positive number`);
  }
  if (!(o.playsPerSession >= 1)) throw new RangeError("playsPerSession must be >= 1");
  if (!(o.popularityExponent >= 0)) throw new RangeError("popularityExponent must be >= 0");
  if (Number.isNaN(Date.parse(o.startDate))) throw new RangeError(`startDate is not a date: ${o.startDate}`);
  return o;
}
