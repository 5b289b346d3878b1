import type { PlayContext } from "../../../schema/events.js";
import type { Random } from "../../random.js";
import { pick } from "../sampling.js";
import { type VoiceKind, voiceKinds } from "./titles.js";

/**
 * Where and when a voice session happens, and what that does to what people ask for. These are the
 * context priors issue 6 must learn back from the logs: screens pull towards movies, speakers and cars
 * towards books, audiobooks and podcasts, mornings towards news, evenings towards movies.
 */

export type DeviceType = "speaker" | "display" | "tv" | "phone" | "car";
export const deviceTypes: readonly DeviceType[] = ["speaker", "display", "tv", "phone", "car"];
export const HAS_SCREEN: Record<DeviceType, boolean> = {
  speaker: false,
  display: true,
  tv: true,
  phone: true,
  car: false,
};
/** Chance that a user owns each type of device. */
export const OWNERSHIP: Record<DeviceType, number> = {
  speaker: 0.85,
  display: 0.35,
  tv: 0.4,
  phone: 0.6,
  car: 0.3,
};

/** A session's setting: the event context plus the local hour and weekday (0 = Monday). */
export interface SessionContext {
  deviceType: DeviceType;
  hasScreen: boolean;
  deviceState: "idle" | "playing" | "alarm" | "timer";
  activity?: "cooking" | "driving" | "workout";
  hour: number;
  weekday: number;
}

/** Relative weight of a session starting in each local hour: morning and evening peaks. */
const HOUR_WEIGHTS = [
  0.05, 0.03, 0.02, 0.02, 0.03, 0.1, 0.5, 1.2, 1.2, 0.8, 0.6, 0.6, 0.7, 0.7, 0.6, 0.6, 0.7, 1, 1.3, 1.5, 1.5,
  1.3, 0.8, 0.3,
];

const HOURS = HOUR_WEIGHTS.map((_, i) => i);

export function isWeekend(weekday: number): boolean {
  return weekday >= 5;
}

/** A session start hour (fractional) for a user whose day is shifted by `chronotype` hours. */
export function drawHour(rng: Random, chronotype: number): number {
  const h = pick(rng, HOURS, HOUR_WEIGHTS);
  return (h + rng.next() + chronotype + 24) % 24;
}

/** How likely a session at this hour is on each device type. */
function deviceWeight(type: DeviceType, hour: number, weekday: number): number {
  const weekend = isWeekend(weekday);
  switch (type) {
    case "speaker":
      return hour >= 6 && hour < 10 ? 1.5 : 1;
    case "display":
      return (hour >= 6 && hour < 10) || (hour >= 17 && hour < 20) ? 1.1 : 0.7;
    case "tv":
      return hour >= 18 && hour < 24 ? 3 : weekend && hour >= 10 ? 1 : 0.25;
    case "phone":
      return 0.6;
    case "car": {
      const commute = (hour >= 7 && hour < 9.5) || (hour >= 16 && hour < 19);
      return commute && !weekend ? 4 : weekend && hour >= 9 && hour < 18 ? 0.8 : 0.2;
    }
  }
}

/** Picks one of the user's devices for a session at this hour. */
export function drawDevice<D extends { type: DeviceType }>(
  rng: Random,
  devices: readonly D[],
  hour: number,
  weekday: number,
): D {
  return pick(
    rng,
    devices,
    devices.map((d) => deviceWeight(d.type, hour, weekday)),
  );
}

/** What the device is doing when the user speaks, and what the user is doing. */
export function drawSetting(
  rng: Random,
  type: DeviceType,
  hour: number,
): Pick<SessionContext, "deviceState" | "activity"> {
  const u = rng.next();
  const v = rng.next();
  if (type === "car") return { deviceState: u < 0.4 ? "playing" : "idle", activity: "driving" };
  if (type === "speaker" || type === "display") {
    if (hour >= 6 && hour < 9 && u < 0.25) return { deviceState: "alarm" };
    if (hour >= 17 && hour < 20 && u < 0.3) return { deviceState: "timer", activity: "cooking" };
    return { deviceState: v < 0.25 ? "playing" : "idle" };
  }
  if (type === "phone" && ((hour >= 6 && hour < 9) || (hour >= 17 && hour < 21)) && u < 0.2)
    return { deviceState: v < 0.5 ? "playing" : "idle", activity: "workout" };
  return { deviceState: v < 0.3 ? "playing" : "idle" };
}

/** Base share of each kind among requests, before context and personal taste. */
const BASE_KIND: Record<VoiceKind, number> = {
  song: 0.5,
  video: 0.05,
  movie: 0.1,
  podcast: 0.1,
  audiobook: 0.09,
  book: 0.07,
  other: 0.07,
};

const KIND_INDEX = Object.fromEntries(voiceKinds.map((k, i) => [k, i])) as Record<VoiceKind, number>;

/**
 * Weight of each kind (in `voiceKinds` order) in this context. Multiplicative effects, each a plain
 * reading of how people use assistants; their product is what a context prior has to recover.
 */
export function kindWeights(ctx: SessionContext): Float64Array {
  const w = Float64Array.from(voiceKinds, (k) => BASE_KIND[k]);
  const mul = (kind: VoiceKind, f: number) => {
    w[KIND_INDEX[kind]] *= f;
  };
  if (ctx.hasScreen) {
    mul("movie", 3);
    mul("video", 3);
  } else {
    mul("movie", 0.03);
    mul("video", 0.03);
    mul("book", 1.4);
    mul("audiobook", 1.4);
  }
  if (ctx.deviceType === "tv") {
    mul("movie", 2);
    mul("video", 1.5);
    mul("book", 0.2);
    mul("audiobook", 0.3);
    mul("song", 0.6);
  }
  if (ctx.deviceType === "car" || ctx.activity === "driving") {
    mul("audiobook", 2.5);
    mul("podcast", 2);
    mul("other", 2);
    mul("book", 0.2);
  }
  if (ctx.deviceType === "phone") mul("podcast", 1.3);
  const h = ctx.hour;
  if (h >= 5 && h < 10) {
    mul("podcast", isWeekend(ctx.weekday) ? 1.8 : 3);
    mul("other", 1.3);
    mul("movie", 0.3);
  }
  if (h >= 18 && h < 23) {
    mul("movie", 2);
    mul("video", 1.3);
  }
  if (h >= 21 || h < 2) {
    mul("book", 1.8);
    mul("audiobook", 1.5);
  }
  if (isWeekend(ctx.weekday)) {
    mul("movie", 1.5);
    mul("video", 1.2);
    mul("podcast", 0.6);
    mul("audiobook", 1.2);
  }
  if (ctx.deviceState === "playing") {
    if (ctx.hasScreen) mul("video", 1.5);
    else {
      mul("song", 1.8);
      mul("other", 1.5);
    }
  } else if (ctx.deviceState === "alarm") {
    mul("podcast", 2.5);
    mul("other", 1.5);
  } else if (ctx.deviceState === "timer") {
    mul("song", 1.3);
    mul("podcast", 1.3);
  }
  if (ctx.activity === "workout") mul("song", 2);
  return w;
}

/** The event context of a session (what the logs carry). */
export function playContext(ctx: SessionContext): PlayContext {
  const out: PlayContext = {
    deviceType: ctx.deviceType,
    hasScreen: ctx.hasScreen,
    deviceState: ctx.deviceState,
  };
  if (ctx.activity !== undefined) out.activity = ctx.activity;
  return out;
}
