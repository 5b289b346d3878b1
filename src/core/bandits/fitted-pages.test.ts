import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { expectedReward, policySetting, simulateBandit } from "./environment.js";
import {
  fittedPagesEnvironment,
  fitVisitRates,
  type LoggedPage,
  WEEK_PARTS,
  weekPart,
} from "./fitted-pages.js";
import { makePolicy } from "./presets.js";
import { seenSlots } from "./slate.js";

const HOUR = 3600 * 1000;
// Monday 5 January 2026, 00:00 UTC.
const MONDAY = Date.UTC(2026, 0, 5);

describe("part of the week", () => {
  it("splits weekdays and weekends into four 6-hour parts", () => {
    expect(weekPart(MONDAY)).toBe(0);
    expect(weekPart(MONDAY + 7 * HOUR)).toBe(1);
    expect(weekPart(MONDAY + 23 * HOUR)).toBe(3);
    expect(weekPart(MONDAY + 5 * 24 * HOUR + 13 * HOUR)).toBe(6); // Saturday 13:00
    expect(weekPart(MONDAY + 6 * 24 * HOUR + 20 * HOUR)).toBe(7); // Sunday 20:00
  });
});

const page = (user: number, timeMs: number): LoggedPage => ({
  user,
  timeMs,
  items: [0],
  propensities: [1],
  rewards: [0],
  seen: 1,
});

describe("visit rates", () => {
  it("without a prior are each user's pages per part of the week over the log's weeks (hand count)", () => {
    // Two weeks: user 0 visits 4 weekday mornings and 2 Saturday nights, user 1 one Sunday evening.
    const pages = [
      page(0, MONDAY + 8 * HOUR),
      page(0, MONDAY + 32 * HOUR),
      page(0, MONDAY + 7 * 24 * HOUR + 8 * HOUR),
      page(0, MONDAY + 8 * 24 * HOUR + 8 * HOUR),
      page(0, MONDAY + 5 * 24 * HOUR + 2 * HOUR),
      page(1, MONDAY + 13 * 24 * HOUR + 20 * HOUR),
      page(0, MONDAY + 12 * 24 * HOUR + 2 * HOUR),
    ];
    const v = fitVisitRates(pages, 2, 0);
    const weeks = (13 * 24 + 20 - 8) / (7 * 24);
    expect(v.weeks).toBeCloseTo(weeks, 12);
    expect(v.rates[0 * WEEK_PARTS + 1]).toBeCloseTo(4 / weeks, 12);
    expect(v.rates[0 * WEEK_PARTS + 4]).toBeCloseTo(2 / weeks, 12);
    expect(v.rates[1 * WEEK_PARTS + 7]).toBeCloseTo(1 / weeks, 12);
    expect(v.rates.reduce((a, b) => a + b, 0)).toBeCloseTo(7 / weeks, 12);
  });

  it("with a prior keep each user's total and pull their week towards the population's", () => {
    const pages = [
      page(0, MONDAY + 8 * HOUR),
      page(1, MONDAY + 5 * 24 * HOUR + 2 * HOUR),
      page(1, MONDAY + 14 * 24 * HOUR),
    ];
    const raw = fitVisitRates(pages, 2, 0);
    const strong = fitVisitRates(pages, 2, 1e9);
    for (const v of [raw, strong]) {
      let user1 = 0;
      for (let b = 0; b < WEEK_PARTS; b++) user1 += v.rates[WEEK_PARTS + b];
      expect(user1).toBeCloseTo(2 / v.weeks, 9);
    }
    // A huge prior: user 0's single page is spread as the population's (1/3 each in parts 1, 4, 0).
    expect(strong.rates[1]).toBeCloseTo(1 / 3 / strong.weeks, 6);
    expect(strong.rates[4]).toBeCloseTo(1 / 3 / strong.weeks, 6);
    expect(raw.rates[4]).toBe(0);
  });
});

describe("a simulator fitted to logged pages", () => {
  // Truth: 6 items; item 1 streams best on weekdays, item 4 at weekends; users visit with their own rates.
  const nItems = 6;
  const nUsers = 30;
  const truth = (part: number, item: number) =>
    [0.02, part < 4 ? 0.12 : 0.03, 0.04, 0.02, part < 4 ? 0.03 : 0.15, 0.05][item];

  function logOf(weeks: number, seed: number): LoggedPage[] {
    const rng = new Random(seed);
    const pages: LoggedPage[] = [];
    for (let u = 0; u < nUsers; u++) {
      const weekly = 3 + (u % 5) * 4; // 3 to 19 pages a week
      const weekendShare = u < 15 ? 0.1 : 0.6;
      const count = Math.round(weekly * weeks);
      for (let i = 0; i < count; i++) {
        const weekend = rng.next() < weekendShare;
        const day = weekend ? 5 + rng.int(2) : rng.int(5);
        const t = MONDAY + rng.int(weeks) * 7 * 24 * HOUR + day * 24 * HOUR + rng.int(24) * HOUR;
        const part = weekPart(t);
        // Three slots filled uniformly without repeats.
        const pool = Array.from({ length: nItems }, (_, a) => a);
        const items: number[] = [];
        const propensities: number[] = [];
        for (let k = 0; k < 3; k++) {
          const pick = pool[rng.int(pool.length)];
          items.push(pick);
          propensities.push(1 / pool.length);
          pool.splice(pool.indexOf(pick), 1);
        }
        const rewards = items.map(() => 0);
        for (let k = 0; k < 3; k++)
          if (rng.next() < truth(part, items[k])) {
            rewards[k] = 1;
            break;
          }
        pages.push({ user: u, timeMs: t, items, propensities, rewards, seen: seenSlots(rewards, 3) });
      }
    }
    return pages;
  }

  it("recovers the stream rates per item and part of the week, the best item of each, and the visit mix", () => {
    const pages = logOf(20, 3);
    const { env, fit, visits, choice } = fittedPagesEnvironment(pages, { nUsers, nItems, seed: 1 });
    expect(env.nArms).toBe(nItems);
    expect(env.slots).toBe(3);
    expect(fit.modelStreamRate).toBeCloseTo(fit.loggedStreamRate, 2);
    for (const part of [1, 2, 5, 6]) {
      let best = 0;
      for (let a = 1; a < nItems; a++)
        if (choice.rates[a * WEEK_PARTS + part] > choice.rates[best * WEEK_PARTS + part]) best = a;
      expect(best).toBe(part < 4 ? 1 : 4);
      expect(choice.rates[best * WEEK_PARTS + part]).toBeGreaterThan(truth(part, best) * 0.7);
      expect(choice.rates[best * WEEK_PARTS + part]).toBeLessThan(truth(part, best) * 1.3);
    }
    // Users 15-29 spend 60% of their visits at weekends, users 0-14 10%.
    const weekendShare = (u: number) => {
      let all = 0;
      let weekend = 0;
      for (let b = 0; b < WEEK_PARTS; b++) {
        all += visits.rates[u * WEEK_PARTS + b];
        if (b >= 4) weekend += visits.rates[u * WEEK_PARTS + b];
      }
      return weekend / all;
    };
    expect(weekendShare(4)).toBeLessThan(0.2);
    expect(weekendShare(24)).toBeGreaterThan(0.45);
    // The best page of a weekday cell starts with item 1; of a weekend cell, item 4.
    const weekdayCell = 0 * WEEK_PARTS + 2;
    expect(env.optimalValue(weekdayCell)).toBeCloseTo(expectedReward(env, weekdayCell, [1, 5, 2]), 9);
  });

  it("inverse-propensity weights give the rate a uniform policy would see, not the logger's exposure-weighted one", () => {
    // Weekday nights only, one slot of two items. Item 0 streams at 0.10 in hours 0-2 and never in hours 3-5
    // (a difference inside one part of the week, which the model cannot see); the logger shows it with
    // probability 0.9 in hours 0-2 and 0.1 in hours 3-5. A uniform policy would see 0.05; the logged rows
    // alone say 0.09.
    const rng = new Random(6);
    const pages: LoggedPage[] = [];
    for (let i = 0; i < 40_000; i++) {
      const hour = rng.int(6);
      const early = hour < 3;
      const pick0 = rng.next() < (early ? 0.9 : 0.1);
      const item = pick0 ? 0 : 1;
      const p = pick0 ? (early ? 0.9 : 0.1) : early ? 0.1 : 0.9;
      const rate = item === 0 ? (early ? 0.1 : 0) : 0.05;
      const reward = rng.next() < rate ? 1 : 0;
      pages.push({
        user: i % 20,
        timeMs: MONDAY + rng.int(4) * 7 * 24 * HOUR + rng.int(5) * 24 * HOUR + hour * HOUR,
        items: [item],
        propensities: [p],
        rewards: [reward],
        seen: 1,
      });
    }
    const { choice } = fittedPagesEnvironment(pages, { nUsers: 20, nItems: 2, seed: 1 });
    expect(choice.rates[0 * WEEK_PARTS + 0]).toBeGreaterThan(0.044);
    expect(choice.rates[0 * WEEK_PARTS + 0]).toBeLessThan(0.056);
    expect(choice.rates[1 * WEEK_PARTS + 0]).toBeGreaterThan(0.044);
    expect(choice.rates[1 * WEEK_PARTS + 0]).toBeLessThan(0.056);
  });

  it("a policy that learns the part of the week beats random on it", () => {
    const { env } = fittedPagesEnvironment(logOf(10, 5), { nUsers, nItems, seed: 1 });
    const setting = policySetting(env);
    const runs = simulateBandit(
      env,
      ["random", "ts-segment-naive"].map((n) => makePolicy(n, setting)),
      { rounds: 20, usersPerRound: 300, seed: 2 },
    );
    expect(runs[1].cumulativeRegret[19]).toBeLessThan(runs[0].cumulativeRegret[19] * 0.6);
  });
});
