import { beforeAll, describe, expect, it } from "vitest";
import { catalogueItemSchema, type PlayEvent, playEventSchema, songId } from "../../schema/events.js";
import { followingItems } from "./catalogue.js";
import { GENRES, type SimulatedWorld, simulateWorld, trueAffinity } from "./index.js";

/** Ranks with ties averaged, for a Spearman correlation. */
function ranks(xs: number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++;
    for (let k = i; k <= j; k++) r[order[k]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function pearson(x: number[], y: number[]): number {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

const small = { users: 40, items: 300, days: 10, seed: 3 };

describe("simulateWorld determinism", () => {
  it("gives the same world for the same seed and another for another seed", () => {
    const a = simulateWorld(small);
    const b = simulateWorld(small);
    expect(b.events).toEqual(a.events);
    expect(b.catalogue).toEqual(a.catalogue);
    expect(b.truth).toEqual(a.truth);
    const c = simulateWorld({ ...small, seed: 4 });
    expect(c.events).not.toEqual(a.events);
    expect(c.truth.userFactors).not.toEqual(a.truth.userFactors);
  });

  it("keeps the catalogue when only the number of days changes", () => {
    expect(simulateWorld({ ...small, days: 3 }).catalogue).toEqual(simulateWorld(small).catalogue);
  });

  it("rejects unusable options", () => {
    expect(() => simulateWorld({ users: 0 })).toThrow(RangeError);
    expect(() => simulateWorld({ items: 1 })).toThrow(RangeError);
    expect(() => simulateWorld({ requestShare: 1.5 })).toThrow(RangeError);
    expect(() => simulateWorld({ startDate: "soon" })).toThrow(RangeError);
  });
});

describe("simulateWorld with default options", () => {
  let world: SimulatedWorld;
  let userIndex: Map<string, number>;
  let itemIndex: Map<string, number>;
  const affinity = (e: PlayEvent) => trueAffinity(world, userIndex.get(e.user)!, itemIndex.get(e.item)!);

  beforeAll(() => {
    world = simulateWorld({ seed: 7 });
    userIndex = new Map(world.truth.users.map((id, i) => [id, i]));
    itemIndex = new Map(world.truth.items.map((id, i) => [id, i]));
  });

  it("produces a realistic volume of valid events, sorted by endTime with sequential ids", () => {
    const { events } = world;
    expect(events.length).toBeGreaterThan(80_000);
    expect(events.length).toBeLessThan(250_000);
    for (let k = 0; k < events.length; k++) {
      const e = events[k];
      if (!playEventSchema.safeParse(e).success) throw new Error(`invalid event ${JSON.stringify(e)}`);
      expect(e.eventId).toBe(`sim-${k + 1}`);
      if (k > 0 && events[k - 1].endTime > e.endTime) throw new Error(`unsorted at ${e.eventId}`);
      if (!itemIndex.has(e.item) || !userIndex.has(e.user))
        throw new Error(`unknown user or item in ${e.eventId}`);
    }
    expect(events[0].endTime >= "2024-01-01T00:00:00.000Z").toBe(true);
  });

  it("plays a user's items back to back, never overlapping", () => {
    const lastEnd = new Map<string, number>();
    let overlaps = 0;
    for (const e of world.events) {
      const end = Date.parse(e.endTime);
      const previous = lastEnd.get(e.user);
      if (previous !== undefined && end - e.playedMs < previous) overlaps++;
      lastEnd.set(e.user, end);
    }
    expect(overlaps).toBe(0);
  });

  it("has a realistic skip share, including immediate skips", () => {
    const skips = world.events.filter((e) => e.playedMs < 30_000).length / world.events.length;
    expect(skips).toBeGreaterThan(0.2);
    expect(skips).toBeLessThan(0.5);
    expect(world.events.some((e) => e.playedMs === 0)).toBe(true);
    expect(world.events.some((e) => e.endReason === "interrupted")).toBe(true);
  });

  it("replays a lot", () => {
    const seen = new Set<string>();
    let replays = 0;
    for (const e of world.events) {
      const key = `${e.user}\t${e.item}`;
      if (seen.has(key)) replays++;
      else seen.add(key);
    }
    expect(replays / world.events.length).toBeGreaterThan(0.4);
  });

  it("plays items longer the higher the true affinity", () => {
    const a = world.events.map(affinity);
    const played = world.events.map((e) => e.playedMs);
    expect(pearson(ranks(a), ranks(played))).toBeGreaterThan(0.2);
    const meanPlayed = (keep: (x: number) => boolean) => {
      const xs = played.filter((_, k) => keep(a[k]));
      return xs.reduce((s, x) => s + x, 0) / xs.length;
    };
    expect(meanPlayed((x) => x > 0.7)).toBeGreaterThan(2 * meanPlayed((x) => x < 0.3));
  });

  it("sets a device context with a consistent screen flag", () => {
    const screens: Record<string, boolean> = { speaker: false, car: false, phone: true, tv: true };
    const devices = new Set<string>();
    let inconsistent = 0;
    for (const e of world.events) {
      devices.add(e.context!.deviceType!);
      if (e.context!.hasScreen !== screens[e.context!.deviceType!]) inconsistent++;
    }
    expect(inconsistent).toBe(0);
    expect([...devices].sort()).toEqual(["car", "phone", "speaker", "tv"]);
  });

  it("builds a valid catalogue of mostly songs with unique ids, lengths and genre tags", () => {
    const { catalogue } = world;
    expect(catalogue).toHaveLength(2000);
    expect(new Set(catalogue.map((c) => c.id)).size).toBe(catalogue.length);
    const songs = catalogue.filter((c) => c.kind === "song");
    expect(songs.length / catalogue.length).toBeGreaterThan(0.8);
    expect(catalogue.some((c) => c.kind !== "song")).toBe(true);
    for (const c of catalogue) {
      catalogueItemSchema.parse(c);
      expect(c.tags!.length).toBeGreaterThanOrEqual(1);
      expect(c.tags!.length).toBeLessThanOrEqual(3);
    }
    for (const s of songs) {
      expect(s.id).toBe(songId(s.creators![0], s.title));
      expect(s.lengthMs).toBeGreaterThanOrEqual(120_000);
      expect(s.lengthMs).toBeLessThanOrEqual(360_000);
      for (const t of s.tags!) expect(GENRES).toContain(t);
    }
    expect(new Set(catalogue.flatMap((c) => c.creators)).size).toBe(250);
  });

  it("ties tags to latent traits", () => {
    // Items tagged with a genre sit closer to that genre's mean trait vector than to other genres' means.
    const { dim, itemFactors } = world.truth;
    const songs = world.catalogue.map((c, i) => ({ c, i })).filter(({ c }) => c.kind === "song");
    const centroid = new Map<string, number[]>();
    for (const g of GENRES) {
      const members = songs.filter(({ c }) => c.tags![0] === g);
      const m = new Array<number>(dim).fill(0);
      for (const { i } of members)
        for (let k = 0; k < dim; k++) m[k] += itemFactors[i * dim + k] / members.length;
      centroid.set(g, m);
    }
    const cos = (i: number, m: number[]) => {
      let dot = 0;
      let nq = 0;
      let nm = 0;
      for (let k = 0; k < dim; k++) {
        dot += itemFactors[i * dim + k] * m[k];
        nq += itemFactors[i * dim + k] ** 2;
        nm += m[k] ** 2;
      }
      return dot / Math.sqrt(nq * nm);
    };
    let own = 0;
    let other = 0;
    const used = GENRES.filter((g) => songs.some(({ c }) => c.tags![0] === g));
    expect(used.length).toBeGreaterThan(GENRES.length / 2);
    for (const { c, i } of songs) {
      own += cos(i, centroid.get(c.tags![0])!);
      const others = used.filter((g) => !c.tags!.includes(g));
      other += cos(i, centroid.get(others[i % others.length])!);
    }
    expect((own - other) / songs.length).toBeGreaterThan(0.3);
  });

  it('has "Hello" by Adele and by Lionel Richie as two items', () => {
    const hello = world.catalogue.filter((c) => c.title === "Hello");
    expect(hello.map((c) => c.creators)).toEqual([["Adele"], ["Lionel Richie"]]);
    expect(hello.map((c) => c.id)).toEqual([songId("Adele", "Hello"), songId("Lionel Richie", "Hello")]);
  });

  it("shares a good share of song titles between two or three creators", () => {
    const creatorsByTitle = new Map<string, Set<string>>();
    for (const c of world.catalogue.filter((c) => c.kind === "song")) {
      const set = creatorsByTitle.get(c.title) ?? new Set();
      set.add(c.creators![0]);
      creatorsByTitle.set(c.title, set);
    }
    const sizes = [...creatorsByTitle.values()].map((s) => s.size);
    const share = sizes.filter((n) => n > 1).length / sizes.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.2);
    expect(Math.max(...sizes)).toBe(3);
  });

  it("records the intended item of every request", () => {
    const { requests } = world.truth;
    const byId = new Map(world.events.map((e) => [e.eventId!, e]));
    const catalogueIds = new Set(world.catalogue.map((c) => c.id));
    expect(requests.length / world.events.length).toBeGreaterThan(0.25);
    expect(requests.length / world.events.length).toBeLessThan(0.35);
    expect(requests.length).toBe(world.events.filter((e) => e.requestText !== undefined).length);
    expect(requests.filter((r) => !catalogueIds.has(r.intendedItem))).toEqual([]);
    expect(requests.filter((r) => byId.get(r.eventId)?.requestText !== r.text)).toEqual([]);
    expect(requests.filter((r) => r.text === r.text.toUpperCase()).length).toBeGreaterThan(0);
    expect(requests.filter((r) => r.text === r.text.toLowerCase()).length).toBeGreaterThan(
      requests.length / 2,
    );
    // The assistant sometimes plays another item of the same title than the one asked for.
    expect(requests.some((r) => byId.get(r.eventId)!.item !== r.intendedItem)).toBe(true);
  });

  it("means the user's favourite of a shared title when the request names no creator", () => {
    const items = world.catalogue;
    const sameTitle = new Map<string, number[]>();
    items.forEach((c, i) => {
      sameTitle.set(c.title.toLowerCase(), [...(sameTitle.get(c.title.toLowerCase()) ?? []), i]);
    });
    const byId = new Map(world.events.map((e) => [e.eventId!, e]));
    let checked = 0;
    for (const r of world.truth.requests) {
      const intended = itemIndex.get(r.intendedItem)!;
      const group = sameTitle.get(items[intended].title.toLowerCase())!;
      if (group.length < 2 || r.text.toLowerCase().includes(items[intended].creators![0].toLowerCase()))
        continue;
      const u = userIndex.get(byId.get(r.eventId)!.user)!;
      const best = Math.max(...group.map((i) => trueAffinity(world, u, i)));
      expect(trueAffinity(world, u, intended)).toBe(best);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("keeps the latent truth to recompute affinities", () => {
    const { truth } = world;
    expect(truth.users[0]).toBe("u0001");
    expect(truth.users).toHaveLength(300);
    expect(truth.userFactors).toHaveLength(300 * truth.dim);
    expect(truth.itemFactors).toHaveLength(2000 * truth.dim);
    expect(truth.itemBias).toHaveLength(2000);
    const all = world.events.slice(0, 1000).map(affinity);
    expect(Math.min(...all)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...all)).toBeLessThanOrEqual(1);
    expect(() => trueAffinity(world, 300, 0)).toThrow(RangeError);
  });
});

describe("simulateWorld's what-follows order (followShare)", () => {
  it("orders each creator's items: the next item of the same creator, -1 for the last", () => {
    expect(Array.from(followingItems(Int32Array.from([0, 1, 0, 2, 1, 0])))).toEqual([2, 4, 5, -1, -1, -1]);
  });

  it("changes nothing at 0, and at 1 goes on to what follows after every listened play", () => {
    const base = { users: 15, items: 200, days: 4, seed: 5, requestShare: 0 };
    expect(simulateWorld({ ...base, followShare: 0 }).events).toEqual(simulateWorld(base).events);
    const world = simulateWorld({ ...base, followShare: 1 });
    const index = new Map(world.truth.items.map((id, i) => [id, i]));
    const kinds = new Map(world.catalogue.map((c) => [c.id, c.kind]));
    const byUser = new Map<string, PlayEvent[]>();
    for (const e of world.events) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e]);
    let checked = 0;
    for (const plays of byUser.values()) {
      for (let k = 1; k < plays.length; k++) {
        const prev = plays[k - 1];
        const gap = Date.parse(plays[k].endTime) - plays[k].playedMs - Date.parse(prev.endTime);
        const next = world.truth.follows[index.get(prev.item)!];
        // Same session (plays are 0-1.5 s apart; sessions a minute at least), listened, something follows,
        // and not a video (redrawn on a device without a screen).
        if (
          gap > 1500 ||
          prev.playedMs < 30_000 ||
          next < 0 ||
          kinds.get(world.truth.items[next]) === "video"
        )
          continue;
        expect(plays[k].item).toBe(world.truth.items[next]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});
