import type { endReasons, PlayEvent } from "../../schema/events.js";
import { Random } from "../random.js";
import { buildCatalogue, type SimCatalogue } from "./catalogue.js";
import { affinityLogit, factorScale, SKIP_MS } from "./model.js";
import { requestText } from "./requests.js";
import { drawCumulative, geometric, pareto, pick, poisson, sigmoid } from "./sampling.js";
import {
  type ResolvedSimulationOptions,
  resolveOptions,
  type SimulatedRequest,
  type SimulatedWorld,
  type SimulationOptions,
} from "./types.js";

type EndReason = (typeof endReasons)[number];
const REASONS: EndReason[] = ["completed", "skipped", "interrupted"];
const [COMPLETED, SKIPPED, INTERRUPTED] = [0, 1, 2];

const DEVICES = ["speaker", "phone", "tv", "car"] as const;
const DEVICE_INDEXES = [0, 1, 2, 3];
const DEVICE_WEIGHTS = [0.4, 0.35, 0.1, 0.15];
const HAS_SCREEN = [false, true, true, false];
/** Share of sessions on the user's usual device; the rest pick any device. */
const USUAL_DEVICE = 0.7;
/** Cap on per-user activity (in multiples of the mean) so one Pareto outlier cannot dominate the log. */
const MAX_ACTIVITY = 10;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Sessions start between 07:00 and 23:30 UTC. */
const FIRST_HOUR = 7;
const ACTIVE_HOURS = 16.5;
/** A wanted play mostly runs to the end; otherwise it is skipped late, past the 30 s mark. */
const COMPLETE_SHARE = 0.65;
/** Share of early skips that skip at once (0 ms). */
const IMMEDIATE_SKIP = 0.2;
/** Share of discovery candidates drawn by Zipf popularity rather than uniformly: the charts plus the long tail. */
const POPULAR_CANDIDATES = 0.25;
/** Share of requests for an unambiguous title that name the creator anyway. */
const NAMES_CREATOR = 0.3;
/** A redraw budget for videos picked on a screenless device. */
const VIDEO_REDRAWS = 3;

/** Users: ids, taste factors, power-law activity, usual device. */
interface Population {
  ids: string[];
  factors: Float32Array;
  activity: number[];
  device: number[];
}

/**
 * A growable column of numbers in a typed array: plays stay off the JS heap until assembled, which keeps
 * GC cheap. Whole-number columns are Int32 so that values read back are small integers, not boxed doubles.
 */
class Column<A extends Int32Array | Float64Array> {
  length = 0;
  constructor(public data: A) {}
  push(x: number): void {
    if (this.length === this.data.length) {
      const grown = new (this.data.constructor as new (n: number) => A)(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = x;
  }
}

const ints = () => new Column(new Int32Array(1024));

/** Plays as columns; events are built only after sorting, so eventIds follow endTime. */
class PlayLog {
  user = ints();
  item = ints();
  /** Epoch ms; beyond Int32. */
  end = new Column(new Float64Array(1024));
  played = ints();
  device = ints();
  /** Index into REASONS. */
  reason = ints();
  /** Index into `requests`, or -1. */
  request = ints();
  requests: Array<{ text: string; intended: number }> = [];
}

/** Everything one user's simulation reads. */
interface Context {
  rng: Random;
  o: ResolvedSimulationOptions;
  cat: SimCatalogue;
  pop: Population;
  log: PlayLog;
  /** Scratch buffers for one discovery pick. */
  candidates: Int32Array;
  cumulativeWeights: Float64Array;
}

/**
 * A seeded world with ground truth: catalogue, play events and the latent factors that generated them.
 * Deterministic given `options.seed`; no I/O.
 */
export function simulateWorld(options: SimulationOptions = {}): SimulatedWorld {
  const o = resolveOptions(options);
  // Separate streams per stage, so e.g. changing the number of days leaves catalogue and users unchanged.
  const seeds = new Random(o.seed);
  const cat = buildCatalogue(new Random(seeds.nextUint32()), o);
  const pop = buildPopulation(new Random(seeds.nextUint32()), o);
  const ctx: Context = {
    rng: new Random(seeds.nextUint32()),
    o,
    cat,
    pop,
    log: new PlayLog(),
    candidates: new Int32Array(o.candidates),
    cumulativeWeights: new Float64Array(o.candidates),
  };
  const startMs = Date.parse(o.startDate);
  for (let u = 0; u < o.users; u++) simulateUser(ctx, u, startMs);
  return assemble(ctx);
}

function buildPopulation(rng: Random, o: ResolvedSimulationOptions): Population {
  const width = Math.max(4, String(o.users).length);
  const ids = Array.from({ length: o.users }, (_, u) => `u${String(u + 1).padStart(width, "0")}`);
  const scale = factorScale(o.dim);
  const factors = Float32Array.from({ length: o.users * o.dim }, () => scale * rng.normal());
  const raw = Array.from({ length: o.users }, () => pareto(rng, o.activityAlpha));
  const mean = raw.reduce((a, b) => a + b, 0) / o.users;
  const activity = raw.map((x) => Math.min(MAX_ACTIVITY, x / mean));
  const device = Array.from({ length: o.users }, () => pick(rng, DEVICE_INDEXES, DEVICE_WEIGHTS));
  return { ids, factors, activity, device };
}

/** All days of one user: a Poisson number of sessions a day, never overlapping. */
function simulateUser(ctx: Context, u: number, startMs: number): void {
  const { rng, o, pop } = ctx;
  const liked: number[] = [];
  let free = Number.NEGATIVE_INFINITY;
  for (let day = 0; day < o.days; day++) {
    const count = poisson(rng, o.sessionsPerDay * pop.activity[u]);
    const starts = Array.from({ length: count }, () =>
      Math.round(startMs + day * DAY_MS + (FIRST_HOUR + ACTIVE_HOURS * rng.next()) * HOUR_MS),
    ).sort((a, b) => a - b);
    // A session that would start before the previous one ended waits for it, plus a minute.
    for (const start of starts) free = simulateSession(ctx, u, liked, Math.max(start, free + 60_000));
  }
}

/** One session from time `t`: plays back to back on one device. Returns when the session ended. */
function simulateSession(ctx: Context, u: number, liked: number[], t: number): number {
  const { rng, o, cat, pop, log } = ctx;
  const device = rng.next() < USUAL_DEVICE ? pop.device[u] : pick(rng, DEVICE_INDEXES, DEVICE_WEIGHTS);
  const plays = geometric(rng, o.playsPerSession);
  let previous = -1; // the session's last play listened past 30 s, if it was the last play
  for (let k = 0; k < plays; k++) {
    // Drawn only when followShare > 0, so worlds without it consume the same random numbers as before.
    const follow =
      previous >= 0 && cat.follows[previous] >= 0 && o.followShare > 0 && rng.next() < o.followShare;
    let intended = follow ? cat.follows[previous] : chooseItem(ctx, u, liked);
    for (let r = 0; r < VIDEO_REDRAWS && !HAS_SCREEN[device] && cat.kinds[intended] === "video"; r++) {
      intended = chooseItem(ctx, u, liked);
    }
    let item = intended;
    let request = -1;
    if (rng.next() < o.requestShare) {
      const req = makeRequest(ctx, u, intended);
      item = req.played;
      request = log.requests.push({ text: req.text, intended }) - 1;
      t += 1500 + rng.int(2500); // time to speak the request
    }
    const a = sigmoid(affinityLogit(pop.factors, u, cat.itemFactors, cat.itemBias, item, o.dim));
    const [playedMs, reason] = drawPlay(rng, a, cat.lengthMs[item], o);
    t += playedMs;
    log.user.push(u);
    log.item.push(item);
    log.end.push(t);
    log.played.push(playedMs);
    log.device.push(device);
    log.reason.push(reason);
    log.request.push(request);
    if (playedMs >= SKIP_MS) liked.push(item);
    previous = playedMs >= SKIP_MS ? item : -1;
    t += rng.int(1500); // gap to the next item
  }
  return t;
}

/**
 * The next item: a replay of a liked item (drawn per like, so favourites come back most), or a
 * discovery by softmax over a small candidate sample, partly from the popularity curve and partly
 * uniform over the catalogue. Cost per pick is O(candidates · dim), independent of catalogue size.
 */
function chooseItem(ctx: Context, u: number, liked: number[]): number {
  const { rng, o, cat, pop, candidates, cumulativeWeights } = ctx;
  if (liked.length > 0 && rng.next() < o.replayShare) return liked[rng.int(liked.length)];
  const popular = Math.round(o.candidates * POPULAR_CANDIDATES);
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < o.candidates; c++) {
    const i = c < popular ? drawCumulative(rng, cat.popularityCdf) : rng.int(cat.ids.length);
    candidates[c] = i;
    cumulativeWeights[c] =
      affinityLogit(pop.factors, u, cat.itemFactors, cat.itemBias, i, o.dim) / o.tasteTemperature;
    if (cumulativeWeights[c] > max) max = cumulativeWeights[c];
  }
  // Softmax weights relative to the best candidate, so that a low temperature cannot overflow exp.
  let total = 0;
  for (let c = 0; c < o.candidates; c++) {
    total += Math.exp(cumulativeWeights[c] - max);
    cumulativeWeights[c] = total;
  }
  const x = rng.next() * total;
  let c = 0;
  while (c < o.candidates - 1 && cumulativeWeights[c] <= x) c++;
  return candidates[c];
}

/**
 * Words for a request of `intended`. A title-only request for a shared title means the user's favourite
 * of that title ("play hello" from an Adele fan is Adele's); for any other item of that title the user
 * names the creator. Title-only requests of shared titles are sometimes resolved to the wrong item.
 */
function makeRequest(ctx: Context, u: number, intended: number): { text: string; played: number } {
  const { rng, o, cat, pop } = ctx;
  const group = cat.sameTitle[intended];
  let withCreator = rng.next() < NAMES_CREATOR;
  if (group.length > 1) {
    let favourite = group[0];
    let bestLogit = Number.NEGATIVE_INFINITY;
    for (const i of group) {
      const logit = affinityLogit(pop.factors, u, cat.itemFactors, cat.itemBias, i, o.dim);
      if (logit > bestLogit) {
        favourite = i;
        bestLogit = logit;
      }
    }
    if (favourite !== intended) withCreator = true;
  }
  const target = {
    title: cat.titles[intended],
    creator: cat.creatorNames[intended],
    kind: cat.kinds[intended],
  };
  const text = requestText(rng, target, withCreator, o.typoShare);
  let played = intended;
  if (group.length > 1 && !withCreator && rng.next() < o.misresolutionShare) {
    const others = group.filter((i) => i !== intended);
    played = others[rng.int(others.length)];
  }
  return { text, played };
}

/**
 * Play duration from true affinity a: with probability a the user wants the item and plays long
 * (mostly to the end), else skips within 30 s (some at once). Noise: an interruption cuts a wanted play
 * within its first minute; a distraction lets an unwanted one run to the end.
 */
function drawPlay(rng: Random, a: number, lengthMs: number, o: ResolvedSimulationOptions): [number, number] {
  if (rng.next() < a) {
    if (rng.next() < o.interruptionShare) return [rng.int(Math.min(lengthMs, 60_000)), INTERRUPTED];
    if (rng.next() < COMPLETE_SHARE) return [lengthMs, COMPLETED];
    return [Math.max(SKIP_MS, Math.round(lengthMs * (0.4 + 0.6 * rng.next()))), SKIPPED];
  }
  if (rng.next() < o.distractionShare) return [lengthMs, COMPLETED];
  if (rng.next() < IMMEDIATE_SKIP) return [0, SKIPPED];
  return [rng.int(SKIP_MS), SKIPPED];
}

/** Sorts plays by end time and builds events, request truth and the world. */
function assemble(ctx: Context): SimulatedWorld {
  const { o, cat, pop, log } = ctx;
  const n = log.user.length;
  const end = log.end.data;
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => end[a] - end[b] || a - b);
  const isoTime = isoFormatter();
  const events: PlayEvent[] = new Array(n);
  const requests: SimulatedRequest[] = [];
  for (let r = 0; r < n; r++) {
    const k = order[r];
    const eventId = `sim-${r + 1}`;
    const item = log.item.data[k];
    const device = log.device.data[k];
    const event: PlayEvent = {
      eventId,
      user: pop.ids[log.user.data[k]],
      item: cat.ids[item],
      endTime: isoTime(end[k]),
      playedMs: log.played.data[k],
      itemLengthMs: cat.lengthMs[item],
      context: { deviceType: DEVICES[device], hasScreen: HAS_SCREEN[device] },
      endReason: REASONS[log.reason.data[k]],
    };
    const q = log.request.data[k];
    if (q >= 0) {
      const { text, intended } = log.requests[q];
      event.requestText = text;
      requests.push({ eventId, text, intendedItem: cat.ids[intended] });
    }
    events[r] = event;
  }
  return {
    catalogue: cat.items,
    events,
    truth: {
      users: pop.ids,
      items: cat.ids,
      dim: o.dim,
      userFactors: pop.factors,
      itemFactors: cat.itemFactors,
      itemBias: cat.itemBias,
      requests,
      follows: cat.follows,
    },
  };
}

let secondsOfMinute: string[] | undefined;

/**
 * Date.toISOString for ascending times, ten times cheaper: the "YYYY-MM-DDTHH:MM:" prefix is formatted
 * once per minute and "SS.mmmZ" comes from a table. (toISOString alone took a second per million events.)
 */
function isoFormatter(): (ms: number) => string {
  secondsOfMinute ??= Array.from(
    { length: 60_000 },
    (_, ms) => `${String(Math.floor(ms / 1000)).padStart(2, "0")}.${String(ms % 1000).padStart(3, "0")}Z`,
  );
  const table = secondsOfMinute;
  let minute = Number.NaN;
  let prefix = "";
  return (ms) => {
    const m = Math.floor(ms / 60_000);
    if (m !== minute) {
      minute = m;
      prefix = new Date(m * 60_000).toISOString().slice(0, 17);
    }
    return prefix + table[ms - m * 60_000];
  };
}
