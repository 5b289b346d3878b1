import { describe, expect, it } from "vitest";
import { simulateVoice } from "./index.js";
import { firstDay } from "./schedule.js";

const DAY_MS = 86_400_000;

describe("users new to the assistant (newUserShare)", () => {
  const base = { users: 120, days: 10, items: 300, seed: 4 };

  it("changes nothing for the users who were there from day 0: the join draw has its own stream", () => {
    const before = simulateVoice(base);
    const w = simulateVoice({ ...base, newUserShare: 0.25 });
    const old = new Set(w.users.filter((_, k) => firstDay(w.options, k) === 0).map((u) => u.id));
    expect(old.size).toBeLessThan(base.users);
    const strip = (rs: typeof w.requests) => rs.filter((r) => old.has(r.user));
    expect(strip(w.requests)).toEqual(strip(before.requests));
    for (let u = 0; u < base.users; u++) expect(firstDay(before.options, u)).toBe(0);
  });

  it("a new user makes no request before their first day, and about the share are new", () => {
    const w = simulateVoice({ ...base, newUserShare: 0.25 });
    const start = Date.parse(w.startDate);
    const first = w.users.map((_, k) => firstDay(w.options, k));
    const newUsers = first.filter((d) => d > 0).length;
    // 0.25 of 120 users, less those drawn day 0 (1 in 10): 27 expected; binomial sd about 4.7.
    expect(newUsers).toBeGreaterThan(15);
    expect(newUsers).toBeLessThan(40);
    const index = new Map(w.users.map((u, k) => [u.id, k]));
    for (const r of w.requests) {
      const day = Math.floor((Date.parse(r.time) - start) / DAY_MS);
      expect(day).toBeGreaterThanOrEqual(first[index.get(r.user)!]);
    }
    // Those who joined do talk afterwards (some of them, at least, in ten days).
    const talkers = new Set(w.requests.map((r) => r.user));
    expect(w.users.filter((u, k) => first[k] > 0 && talkers.has(u.id)).length).toBeGreaterThan(newUsers / 2);
  });
});
