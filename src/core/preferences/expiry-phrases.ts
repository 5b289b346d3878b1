/**
 * Time phrases that end a preference ("for the next week", "today", "until Monday"), read from
 * normalized text. Day boundaries are the user's local ones, from a UTC offset.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const UNIT_MS: Record<string, number> = {
  minute: MINUTE,
  min: MINUTE,
  hour: HOUR,
  hr: HOUR,
  day: DAY,
  night: DAY,
  week: 7 * DAY,
  month: 30 * DAY,
  year: 365 * DAY,
};

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  couple: 2,
  "a couple of": 2,
  "a few": 3,
  few: 3,
};

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

export interface ExpiryPhrase {
  expiresAtMs: number;
  /** The phrase as found in the normalized text. */
  phrase: string;
  /** The text without the phrase. */
  rest: string;
}

const NUM =
  "(?<n>\\d+|a couple of|a few|couple|few|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)";
const UNIT = "(?<unit>minute|min|hour|hr|day|night|week|month|year)s?";
const TILL = "(?:until|till|til|through|thru)";

/** Local calendar helpers: `local` is the user's wall clock as if it were UTC. */
class LocalClock {
  readonly local: Date;
  constructor(
    readonly nowMs: number,
    readonly offsetMs: number,
  ) {
    this.local = new Date(nowMs + offsetMs);
  }
  /** The instant of a local wall-clock date (month may overflow, Date.UTC carries it). */
  at(year: number, month: number, day: number, hour = 0): number {
    return Date.UTC(year, month, day, hour) - this.offsetMs;
  }
  startOfDay(plusDays: number, hour = 0): number {
    const l = this.local;
    return this.at(l.getUTCFullYear(), l.getUTCMonth(), l.getUTCDate() + plusDays, hour);
  }
  /** Start of the next given weekday, never today. */
  nextWeekday(weekday: number): number {
    const ahead = (weekday - this.local.getUTCDay() + 7) % 7 || 7;
    return this.startOfDay(ahead);
  }
  /** First day of the next given month, never this month. */
  nextMonth(month: number): number {
    const l = this.local;
    const year = month > l.getUTCMonth() ? l.getUTCFullYear() : l.getUTCFullYear() + 1;
    return this.at(year, month, 1);
  }
  /** The next given date (month, day) after now. */
  nextDate(month: number, day: number): number {
    const l = this.local;
    const thisYear = this.at(l.getUTCFullYear(), month, day);
    return thisYear > this.nowMs ? thisYear : this.at(l.getUTCFullYear() + 1, month, day);
  }
}

function amount(n: string | undefined): number {
  if (n === undefined) return 1;
  return /^\d+$/.test(n) ? Number(n) : (NUMBER_WORDS[n] ?? 1);
}

type Rule = [RegExp, (g: Record<string, string | undefined>, clock: LocalClock) => number];

/** Phrases, longest readings first; each gives the expiry instant. */
const RULES: Rule[] = [
  [
    new RegExp(`(?:for |over |during )?the (?:next|coming|following) (?:${NUM} )?${UNIT}`),
    (g, c) => c.nowMs + amount(g.n) * UNIT_MS[g.unit ?? "day"],
  ],
  [/for (?:the rest of )?(?:the )?(?:day|today)|for the rest of the day/, (_g, c) => c.startOfDay(1)],
  [
    new RegExp(`for (?:another |${NUM} (?:more )?)${UNIT}`),
    (g, c) => c.nowMs + amount(g.n) * UNIT_MS[g.unit ?? "day"],
  ],
  [/(?:for )?the rest of the week|(?:for |during )?this week/, (_g, c) => c.nextWeekday(1)],
  [/(?:for |over |during )?(?:this|the) weekend/, (_g, c) => c.nextWeekday(1)],
  [/(?:for |during )?this month/, (_g, c) => c.nextMonth((c.local.getUTCMonth() + 1) % 12)],
  [
    /(?:for |during )?(?:the rest of )?(?:this|the) year/,
    (_g, c) => c.at(c.local.getUTCFullYear() + 1, 0, 1),
  ],
  [/(?:for )?tonight/, (_g, c) => c.startOfDay(1, 5)],
  [/(?:for )?today|for now/, (_g, c) => c.startOfDay(1)],
  [/this morning/, (_g, c) => c.startOfDay(0, 12)],
  [/this afternoon/, (_g, c) => c.startOfDay(0, 17)],
  [/this evening/, (_g, c) => c.startOfDay(0, 22)],
  [new RegExp(`${TILL} tomorrow`), (_g, c) => c.startOfDay(1)],
  [
    new RegExp(`${TILL} (?:next )?(?<day>${WEEKDAYS.join("|")})`),
    (g, c) => c.nextWeekday(WEEKDAYS.indexOf(g.day ?? "")),
  ],
  [new RegExp(`${TILL} (?:next week|the weekend is over)`), (_g, c) => c.nextWeekday(1)],
  [new RegExp(`${TILL} (?:the )?weekend`), (_g, c) => c.nextWeekday(6)],
  [new RegExp(`${TILL} next month`), (_g, c) => c.nextMonth((c.local.getUTCMonth() + 1) % 12)],
  [
    new RegExp(`${TILL} (?:next )?(?<month>${MONTHS.join("|")})`),
    (g, c) => c.nextMonth(MONTHS.indexOf(g.month ?? "")),
  ],
  [new RegExp(`${TILL} (?:after )?(?:christmas|xmas)`), (_g, c) => c.nextDate(11, 25)],
  [new RegExp(`${TILL} (?:the )?new years?(?: day| eve)?`), (_g, c) => c.nextDate(0, 1)],
];

const UNKNOWN_TILL = new RegExp(`(?:^| )${TILL} (?<rest>.+)$`);

function words(re: RegExp): RegExp {
  return new RegExp(`(?:^| )(?:${re.source})(?= |$)`);
}

const WORD_RULES: Rule[] = RULES.map(([re, f]) => [words(re), f]);

/**
 * The first time phrase in `norm` (normalized text) and when it makes the preference expire; null when
 * there is none; an error for an "until …" it cannot read, so that it never ends up in a name.
 */
export function findExpiry(
  norm: string,
  nowMs: number,
  timeZoneOffsetMinutes = 0,
): ExpiryPhrase | { error: string } | null {
  const clock = new LocalClock(nowMs, timeZoneOffsetMinutes * MINUTE);
  for (const [re, when] of WORD_RULES) {
    const m = re.exec(norm);
    if (!m) continue;
    const expiresAtMs = when(m.groups ?? {}, clock);
    const rest = `${norm.slice(0, m.index)} ${norm.slice(m.index + m[0].length)}`.replace(/\s+/g, " ").trim();
    return { expiresAtMs, phrase: m[0].trim(), rest };
  }
  const till = UNKNOWN_TILL.exec(norm);
  if (till)
    return {
      error: `cannot tell when "until ${till.groups?.rest}" is; say e.g. "until Monday" or "for a week"`,
    };
  return null;
}
