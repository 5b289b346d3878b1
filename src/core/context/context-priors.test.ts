import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import {
  type ContextObservation,
  ContextPriors,
  contextFeatures,
  describeLifts,
  timeFeatures,
} from "./context-priors.js";

const MON_9AM = Date.parse("2024-01-01T09:00:00Z");
const SAT_9PM = Date.parse("2024-01-06T21:00:00Z");

/** Screen devices mean the movie 80% of the time, speakers the book 80%; user "rebel" does the opposite. */
function observations(n: number, seed = 1): ContextObservation[] {
  const rng = new Random(seed);
  const out: ContextObservation[] = [];
  for (let k = 0; k < n; k++) {
    const user = k % 10 === 0 ? "rebel" : `u${k % 37}`;
    const screen = rng.next() < 0.5;
    const likesMovie = screen ? 0.8 : 0.2;
    const movie = user === "rebel" ? rng.next() > likesMovie : rng.next() < likesMovie;
    out.push({
      user,
      timeMs: MON_9AM + rng.int(7 * 24) * 3_600_000,
      context: { deviceType: screen ? "tv" : "speaker", hasScreen: screen },
      kind: movie ? "movie" : "book",
      item: movie ? "hg-movie" : "hg-book",
    });
  }
  return out;
}

describe("ContextPriors", () => {
  const priors = ContextPriors.learn(observations(4000));
  const movie = { kind: "movie", item: "hg-movie" };
  const book = { kind: "book", item: "hg-book" };
  const tv = { deviceType: "tv", hasScreen: true };
  const speaker = { deviceType: "speaker", hasScreen: false };

  it("learns that screens mean the movie and speakers the book", () => {
    expect(priors.score("u1", movie, tv).value).toBeGreaterThan(priors.score("u1", book, tv).value + 0.7);
    expect(priors.score("u1", book, speaker).value).toBeGreaterThan(
      priors.score("u1", movie, speaker).value + 0.7,
    );
  });

  it("fits a scale that undoes features saying the same thing", () => {
    // "tv" and "screen" always come together: a plain naive-Bayes sum counts the evidence twice.
    expect(priors.scale).toBeGreaterThan(0.4);
    expect(priors.scale).toBeLessThan(0.6);
    const deviceOnly = observations(4000).map((o) => ({
      ...o,
      context: { deviceType: o.context?.deviceType },
    }));
    const single = ContextPriors.learn(deviceOnly);
    expect(single.scale).toBeGreaterThan(0.85);
    expect(single.scale).toBeLessThan(1.15);
    expect(ContextPriors.learn(observations(500), { scale: 1 }).scale).toBe(1);
  });

  it("gives an item only what it adds to its kind, and an item never seen nothing", () => {
    const unseen = priors.score("u1", { kind: "movie", item: "never-played" }, tv);
    const itemLifts = unseen.lifts.filter((l) => l.target.startsWith("item:"));
    expect(itemLifts.length).toBeGreaterThan(0);
    for (const l of itemLifts) expect(l.lift).toBe(0);
    // hg-movie is every movie, so it adds nothing to the movie kind.
    for (const l of priors.score(null, movie, tv).lifts.filter((x) => x.target.startsWith("item:")))
      expect(Math.abs(l.lift)).toBeLessThan(1e-9);
    expect(unseen.value).toBeCloseTo(priors.score("u1", movie, tv).value, 9);
  });

  it("follows a user's own habits where there is evidence, the crowd's where there is none", () => {
    expect(priors.score("rebel", book, tv).value).toBeGreaterThan(priors.score("rebel", movie, tv).value);
    const stranger = priors.score("never-seen", movie, tv);
    expect(stranger.lifts.every((l) => !l.personal)).toBe(true);
    expect(stranger.value).toBeCloseTo(priors.score(null, movie, tv).value, 10);
  });

  it("gives no pull without context or for features never seen", () => {
    expect(priors.score("u1", movie, undefined).value).toBe(0);
    expect(priors.score("u1", movie, { deviceType: "fridge" }).lifts).toEqual([]);
  });

  it("stays within ±maxLift", () => {
    const strong = ContextPriors.learn(observations(20000), { maxLift: 0.5, globalStrength: 0.01 });
    expect(Math.abs(strong.score("u1", movie, tv).value)).toBeLessThanOrEqual(0.5);
  });

  it("round-trips through JSON with identical scores", () => {
    const json = JSON.parse(JSON.stringify(priors.toJSON()));
    const back = ContextPriors.fromJSON(json);
    expect(back.scale).toBe(priors.scale);
    // Files written before the scale existed read as unscaled.
    const { scale: _, ...old } = json;
    expect(ContextPriors.fromJSON(old).scale).toBe(1);
    for (const user of ["u1", "rebel", "x"]) {
      for (const c of [movie, book]) {
        for (const ctx of [tv, speaker]) {
          expect(back.score(user, c, ctx, SAT_9PM).value).toBeCloseTo(
            priors.score(user, c, ctx, SAT_9PM).value,
            12,
          );
        }
      }
    }
  });

  it("says why in words", () => {
    const text = describeLifts(priors.score("u1", movie, tv).lifts);
    expect(text).toMatch(/on a (tv|screen device) (you|people) ask for a movie \d\.\d× as often/);
  });
});

describe("context features", () => {
  it("reads time of day and day of week on the users' clock", () => {
    expect(timeFeatures(MON_9AM)).toEqual(["time:morning", "day:weekday"]);
    expect(timeFeatures(SAT_9PM)).toEqual(["time:evening", "day:weekend"]);
    expect(timeFeatures(SAT_9PM, 4)).toEqual(["time:night", "day:weekend"]);
    expect(
      contextFeatures({ deviceType: "TV", hasScreen: false, deviceState: "Playing" }, undefined),
    ).toEqual(["device:tv", "screen:no", "state:playing"]);
  });
});
