import { Random } from "../../random.js";
import { affinityLogit } from "../model.js";
import { cumulative, drawCumulative, geometric, pick, poisson } from "../sampling.js";
import type { VoiceCatalogue } from "./catalogue.js";
import { drawDevice, drawHour, drawSetting, kindWeights, type SessionContext } from "./context.js";
import { falseWakeText } from "./false-wake.js";
import { mixSeed } from "./hash.js";
import type { ResolvedVoiceOptions } from "./options.js";
import { firstPlan, type UtterancePlan } from "./phrasing.js";
import { type VoiceKind, voiceKinds } from "./titles.js";
import type { VoiceDevice, VoiceUser } from "./users.js";

/**
 * Who asks for what, when and where: planned in full before anything is answered, from random streams
 * keyed by (seed, user, day, session). So the plan does not depend on how the assistant fares, and two
 * runs with different policies share every session and every first utterance.
 */

export interface PlannedRequest {
  item: number;
  kind: VoiceKind;
  plan: UtterancePlan;
}

export interface PlannedSession {
  id: string;
  user: number;
  day: number;
  /** Rank in the global start order: breaks ties in time. */
  order: number;
  start: number;
  /** Next session of this user (or +Infinity): this one must be over by then. */
  hardStop: number;
  device: VoiceDevice;
  ctx: SessionContext;
  requests: PlannedRequest[];
  /** The transcript source of a false wake; null for a user's session. */
  falseWake: string | null;
  /** Seed of this session's pipeline and reaction streams. */
  seed: number;
}

/** Stream tags of mixSeed. */
export const STREAM = { day: 1, session: 2, pipeline: 3, reaction: 4, falseWake: 5, join: 6 } as const;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Sessions of one user closer than this are one session: the later start is dropped. */
const MIN_SESSION_GAP_MS = 5 * 60_000;
/** Share of requests drawn from the user's favourites; the rest discover by taste. */
const FAVOURITE_SHARE = 0.8;
/** Zipf exponent over favourite ranks: the top favourites come back most. */
const FAVOURITE_ZIPF = 0.8;
const DISCOVERY_CANDIDATES = 12;
const DISCOVERY_TEMPERATURE = 2;
const QUIRK_USE = 0.8;
/** Share of a quirky user's requests that are for a quirk item: nicknames stick to what one asks for most. */
const QUIRK_REQUEST = 0.12;
/** Where false wakes happen: near TVs and in living rooms, rarely in pockets. */
const FALSE_WAKE_DEVICE: Record<string, number> = { speaker: 1, display: 1, tv: 1.5, phone: 0.3, car: 0.3 };

export interface ScheduleInput {
  o: ResolvedVoiceOptions;
  cat: VoiceCatalogue;
  users: VoiceUser[];
  userFactors: Float32Array;
  cdfs: Record<VoiceKind, Float64Array>;
  titleWords: readonly string[];
}

/**
 * The day a user starts talking to the assistant: 0, or for the `newUserShare` who are new, a day drawn
 * uniformly over the simulated ones (its own stream, so the default world's draws are untouched).
 */
export function firstDay(o: ResolvedVoiceOptions, user: number): number {
  if (o.newUserShare === 0) return 0;
  const rng = new Random(mixSeed(o.seed, STREAM.join, user));
  return rng.next() < o.newUserShare ? rng.int(o.days) : 0;
}

/** Every session of every user and every false wake, sorted by start time. */
export function planSessions(input: ScheduleInput): PlannedSession[] {
  const { o, users } = input;
  const startMs = Date.parse(o.startDate);
  const all: PlannedSession[] = [];
  for (const user of users) {
    const own: PlannedSession[] = [];
    for (let day = firstDay(o, user.index); day < o.days; day++) {
      const rng = new Random(mixSeed(o.seed, STREAM.day, user.index, day));
      const weekday = (new Date(startMs + day * DAY_MS).getUTCDay() + 6) % 7;
      const count = poisson(rng, o.sessionsPerDay * user.activity);
      const starts = Array.from({ length: count }, () => drawHour(rng, user.chronotype)).sort(
        (a, b) => a - b,
      );
      let requests = 0;
      starts.forEach((hour, k) => {
        const session = planSession(
          input,
          user,
          day,
          k,
          startMs + day * DAY_MS + Math.round(hour * HOUR_MS),
          hour,
          weekday,
        );
        requests += session.requests.length;
        own.push(session);
      });
      const wakes = poisson(rng, o.falseWakeRate * requests);
      for (let k = 0; k < wakes; k++) {
        const hour = drawHour(rng, user.chronotype);
        const device = pick(
          rng,
          user.devices,
          user.devices.map((d) => FALSE_WAKE_DEVICE[d.type]),
        );
        const seed = mixSeed(o.seed, STREAM.falseWake, user.index, day, k);
        all.push({
          id: `${user.id}-d${day}-w${k}`,
          user: user.index,
          day,
          order: 0,
          start: startMs + day * DAY_MS + Math.round(hour * HOUR_MS),
          hardStop: Number.POSITIVE_INFINITY,
          device,
          ctx: {
            deviceType: device.type,
            hasScreen: device.hasScreen,
            deviceState: "idle",
            hour: Math.floor(hour),
            weekday,
          },
          requests: [],
          falseWake: falseWakeText(rng, input.titleWords),
          seed,
        });
      }
    }
    own.sort((a, b) => a.start - b.start);
    let last: PlannedSession | null = null;
    for (const s of own) {
      if (last !== null && s.start < last.start + MIN_SESSION_GAP_MS) continue;
      if (last !== null) last.hardStop = s.start;
      all.push(s);
      last = s;
    }
  }
  all.sort((a, b) => a.start - b.start || a.user - b.user || (a.id < b.id ? -1 : 1));
  all.forEach((s, k) => {
    s.order = k;
  });
  return all;
}

function planSession(
  input: ScheduleInput,
  user: VoiceUser,
  day: number,
  k: number,
  start: number,
  hour: number,
  weekday: number,
): PlannedSession {
  const { o } = input;
  const seed = mixSeed(o.seed, STREAM.session, user.index, day, k);
  const rng = new Random(seed);
  const device = drawDevice(rng, user.devices, hour, weekday);
  const ctx: SessionContext = {
    deviceType: device.type,
    hasScreen: device.hasScreen,
    ...drawSetting(rng, device.type, hour),
    hour: Math.floor(hour),
    weekday,
  };
  const n = geometric(rng, o.requestsPerSession);
  const weights = kindWeights(ctx);
  for (let j = 0; j < weights.length; j++) weights[j] *= user.kindTaste[j];
  const requests: PlannedRequest[] = [];
  for (let r = 0; r < n; r++) requests.push(drawRequest(input, rng, user, weights, day));
  return {
    id: `${user.id}-d${day}-s${k}`,
    user: user.index,
    day,
    order: 0,
    start,
    hardStop: Number.POSITIVE_INFINITY,
    device,
    ctx,
    requests,
    falseWake: null,
    seed,
  };
}

/** One request: a kind by context and taste, then an item (a favourite, a discovery or a new release). */
function drawRequest(
  input: ScheduleInput,
  rng: Random,
  user: VoiceUser,
  weights: Float64Array,
  day: number,
): PlannedRequest {
  const { o, cat } = input;
  if (user.quirks.length > 0 && rng.next() < QUIRK_REQUEST) {
    const quirk = user.quirks[rng.int(user.quirks.length)];
    const item = quirk.item;
    const plan = firstPlan(
      rng,
      cat.kinds[item],
      cat.titles[item],
      cat.creators[item],
      rng.next() < QUIRK_USE ? quirk : null,
    );
    return { item, kind: cat.kinds[item], plan };
  }
  let kind = pick(rng, voiceKinds, Array.from(weights));
  if (cat.byKind[kind].length === 0) kind = "song";
  let item: number;
  const favourites = user.favourites[kind];
  const drifted = o.driftDay !== null && day >= o.driftDay && kind === "song" && cat.driftItems.length > 0;
  if (drifted && rng.next() < o.driftShare) item = bestOf(input, rng, user.index, cat.driftItems);
  else if (favourites.length > 0 && rng.next() < FAVOURITE_SHARE)
    item = favourites[zipfRank(rng, favourites.length)];
  else {
    const pool = cat.byKind[kind];
    const candidates = Array.from({ length: DISCOVERY_CANDIDATES }, (_, c) =>
      c % 2 === 0 ? pool[drawCumulative(rng, input.cdfs[kind])] : pool[rng.int(pool.length)],
    );
    item = bestOf(input, rng, user.index, candidates);
  }
  const quirk = user.quirks.find((q) => q.item === item);
  const useQuirk = quirk !== undefined && rng.next() < QUIRK_USE;
  const plan = firstPlan(rng, kind, cat.titles[item], cat.creators[item], useQuirk ? quirk : null);
  return { item, kind, plan };
}

/** A softmax draw by taste among candidates. */
function bestOf(input: ScheduleInput, rng: Random, u: number, candidates: readonly number[]): number {
  const { cat, userFactors } = input;
  const weights = candidates.map(
    (i) => affinityLogit(userFactors, u, cat.factors, cat.bias, i, cat.dim) / DISCOVERY_TEMPERATURE,
  );
  let max = Number.NEGATIVE_INFINITY;
  for (const l of weights) if (l > max) max = l;
  for (let c = 0; c < weights.length; c++) weights[c] = Math.exp(weights[c] - max);
  return pick(rng, candidates, weights);
}

const zipfCdfs = new Map<number, Float64Array>();

/** A rank in [0, n) with probability proportional to 1 / (rank + 1)^FAVOURITE_ZIPF. */
function zipfRank(rng: Random, n: number): number {
  let cdf = zipfCdfs.get(n);
  if (cdf === undefined) {
    cdf = cumulative(Array.from({ length: n }, (_, r) => 1 / (r + 1) ** FAVOURITE_ZIPF));
    zipfCdfs.set(n, cdf);
  }
  return drawCumulative(rng, cdf);
}
