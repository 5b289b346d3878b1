import type { PreferenceScope, TimeOfDay } from "./preference-fact.js";
import { canonicalActivity } from "./preference-scope.js";

/**
 * Scope phrases in a preference ("in the morning", "on the kitchen speaker", "in the car", "for
 * workouts"), read from normalized text and removed from it, so that what is left is the target.
 */

const DEVICE_NOUNS: Record<string, string> = {
  speaker: "speaker",
  speakers: "speaker",
  "smart speaker": "speaker",
  echo: "speaker",
  homepod: "speaker",
  phone: "phone",
  mobile: "phone",
  iphone: "phone",
  tv: "tv",
  television: "tv",
  car: "car",
  laptop: "desktop",
  computer: "desktop",
  desktop: "desktop",
  pc: "desktop",
  tablet: "tablet",
  ipad: "tablet",
};

const ROOMS = [
  "kitchen",
  "bedroom",
  "living room",
  "lounge",
  "office",
  "study",
  "bathroom",
  "garage",
  "nursery",
  "kids room",
  "basement",
  "den",
];

const TIME_WORDS: Record<string, TimeOfDay> = {
  morning: "morning",
  mornings: "morning",
  afternoon: "afternoon",
  afternoons: "afternoon",
  evening: "evening",
  evenings: "evening",
  night: "night",
  nights: "night",
  nighttime: "night",
  "night time": "night",
  bedtime: "night",
};

const ACTIVITIES = [
  "working out",
  "work out",
  "workouts?",
  "exercising",
  "exercise",
  "(?:the )?gym",
  "training",
  "running",
  "a run",
  "runs",
  "jogging",
  "cooking",
  "making dinner",
  "driving",
  "(?:my )?commute",
  "commuting",
  "studying",
  "study",
  "homework",
  "working",
  "work",
  "sleeping",
  "sleep",
  "reading",
  "relaxing",
  "chilling",
  "partying",
  "(?:a )?party",
  "parties",
  "dinner",
  "focusing",
  "focus",
  "cleaning",
];

const alt = (xs: readonly string[]) => xs.join("|");
const DEVICE_RE = new RegExp(
  `(?:on|in|through|via|from|at) (?:the |my |our )?(?:(?<place>${alt(ROOMS)}|[a-z0-9]+) )?(?<noun>${alt(
    Object.keys(DEVICE_NOUNS).sort((a, b) => b.length - a.length),
  )})`,
);
const ROOM_RE = new RegExp(`(?:in|at) (?:the |my |our )(?<room>${alt(ROOMS)})`);
const TIME_RE = new RegExp(
  `(?:(?:in|during) the |(?:on|at|every|late at|for) )(?<time>${alt(
    Object.keys(TIME_WORDS).sort((a, b) => b.length - a.length),
  )})`,
);
const ACTIVITY_RE = new RegExp(
  `(?:for|during|while|when|at|on) (?:(?:im|i am|were|we are|i|we|my|our|i go|we go) )?(?:(?:am|are|go|do) )?(?<activity>${alt(ACTIVITIES)})`,
);

export interface ScopePhrases {
  scope: PreferenceScope;
  phrases: string[];
  rest: string;
}

function words(re: RegExp): RegExp {
  return new RegExp(`(?:^| )(?:${re.source})(?= |$)`);
}

const DEVICE_W = words(DEVICE_RE);
const ROOM_W = words(ROOM_RE);
const TIME_W = words(TIME_RE);
const ACTIVITY_W = words(ACTIVITY_RE);

function cut(text: string, m: RegExpExecArray): string {
  return `${text.slice(0, m.index)} ${text.slice(m.index + m[0].length)}`.replace(/\s+/g, " ").trim();
}

/** Finds and removes scope phrases; what is left is the statement without them. */
export function findScope(norm: string): ScopePhrases {
  const scope: PreferenceScope = {};
  const phrases: string[] = [];
  let rest = norm;
  const device = DEVICE_W.exec(rest);
  if (device?.groups) {
    scope.deviceType = DEVICE_NOUNS[device.groups.noun];
    if (device.groups.place) scope.device = device.groups.place;
    phrases.push(device[0].trim());
    rest = cut(rest, device);
  } else {
    const room = ROOM_W.exec(rest);
    if (room?.groups) {
      scope.device = room.groups.room;
      phrases.push(room[0].trim());
      rest = cut(rest, room);
    }
  }
  const time = TIME_W.exec(rest);
  // Only with a preposition: a bare "night" or "morning" may be part of a name ("Saturday Night").
  if (time?.groups) {
    scope.timeOfDay = TIME_WORDS[time.groups.time];
    phrases.push(time[0].trim());
    rest = cut(rest, time);
  }
  const activity = ACTIVITY_W.exec(rest);
  if (activity?.groups) {
    scope.activity = canonicalActivity(activity.groups.activity.replace(/^(?:the|my|a) /, ""));
    phrases.push(activity[0].trim());
    rest = cut(rest, activity);
  }
  return { scope, phrases, rest };
}
