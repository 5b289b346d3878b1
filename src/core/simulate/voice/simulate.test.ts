import { beforeAll, describe, expect, it } from "vitest";
import { playEventSchema, type RequestEvent, requestEventSchema } from "../../../schema/events.js";
import { normalizeText } from "../../matching/normalize.js";
import {
  assistantRespond,
  simulateVoice,
  summarizeVoiceWorld,
  type VoicePolicy,
  type VoiceWorld,
} from "./index.js";

/** One mid-sized world serves most checks; the same world with a policy is its pair. */
const options = { users: 150, days: 14, items: 500, seed: 21 };
const tiny = { users: 30, days: 4, items: 300, seed: 11 };

/** The phrases of systematic confusions that nobody says on purpose before the drift day. */
const MISHEARD: Record<string, string> = {
  "hey dude": "hey jude",
  "suite dreams": "sweet dreams",
  "level hating": "levitating",
  "this pa cito": "despacito",
  "cheap trills": "cheap thrills",
};

function containsPhrase(text: string, phrase: string): boolean {
  return ` ${text} `.includes(` ${phrase} `);
}

/** A rewriting policy that undoes the known mishearings, recording what it observes. */
function undoMishearings(): VoicePolicy & { seen: RequestEvent[] } {
  const seen: RequestEvent[] = [];
  return {
    seen,
    rewrite({ text }) {
      let out = text;
      for (const [heard, said] of Object.entries(MISHEARD)) {
        if (containsPhrase(out, heard)) out = ` ${out} `.replace(` ${heard} `, ` ${said} `).trim();
      }
      return out === text ? null : out;
    },
    observe(event) {
      seen.push(event);
    },
  };
}

const timeOf = (e: RequestEvent) => Date.parse(e.time);

let world: VoiceWorld;
let rewritten: VoiceWorld;
let policy: ReturnType<typeof undoMishearings>;
beforeAll(() => {
  world = simulateVoice(options);
  policy = undoMishearings();
  rewritten = simulateVoice({ ...options, policy });
});

describe("simulateVoice", () => {
  it("is deterministic by seed", () => {
    const a = simulateVoice(tiny);
    const again = simulateVoice(tiny);
    expect(again.requests).toEqual(a.requests);
    expect(again.plays).toEqual(a.plays);
    expect(again.truth).toEqual(a.truth);
    expect(again.catalogue).toEqual(a.catalogue);
    const other = simulateVoice({ ...tiny, seed: 12 });
    expect(other.requests.map((r) => r.text)).not.toEqual(a.requests.map((r) => r.text));
  });

  it("writes valid request and play events in the ingest format, in time order, aligned with the truth", () => {
    const { requests, plays, truth, catalogue } = world;
    expect(requests.length).toBeGreaterThan(2000);
    expect(truth.length).toBe(requests.length);
    const ids = new Set(catalogue.map((c) => c.id));
    expect(ids.size).toBe(catalogue.length);
    const requestIds = new Set<string>();
    for (let k = 0; k < requests.length; k++) {
      const r = requests[k];
      const parsed = requestEventSchema.safeParse(r);
      if (!parsed.success) throw new Error(`invalid request ${JSON.stringify(r)}: ${parsed.error.message}`);
      expect(parsed.data).toEqual(r);
      expect(truth[k].requestId).toBe(r.requestId);
      if (k > 0 && timeOf(requests[k - 1]) > timeOf(r)) throw new Error(`unsorted at ${r.requestId}`);
      if (r.resolvedItem !== undefined && !ids.has(r.resolvedItem))
        throw new Error(`unknown item ${r.resolvedItem}`);
      requestIds.add(r.requestId);
    }
    expect(requestIds.size).toBe(requests.length);
    const byId = new Map(requests.map((r) => [r.requestId, r]));
    for (let k = 0; k < plays.length; k++) {
      const p = plays[k];
      const parsed = playEventSchema.safeParse(p);
      if (!parsed.success) throw new Error(`invalid play ${JSON.stringify(p)}: ${parsed.error.message}`);
      const r = byId.get(p.requestId!);
      expect(r).toBeDefined();
      expect(p.item).toBe(r!.resolvedItem);
      expect(p.playedMs).toBe(r!.playedMs);
      expect(Date.parse(p.endTime)).toBeGreaterThanOrEqual(timeOf(r!) + p.playedMs);
      if (k > 0 && plays[k - 1].endTime > p.endTime) throw new Error(`plays unsorted at ${p.eventId}`);
    }
    expect(plays.length).toBe(requests.filter((r) => r.playedMs !== undefined).length);
  });

  it("keeps the listening world's genres and topics on its items, so taught genres have something to act on", () => {
    const songs = world.catalogue.filter((c) => c.kind === "song" && c.id.includes("|"));
    const tagged = songs.filter((c) => (c.tags ?? []).length > 0);
    expect(tagged.length / songs.length).toBeGreaterThan(0.9);
    expect(songs.some((c) => c.tags?.includes("country"))).toBe(true);
  });

  it("has a realistic volume and defect rate, with every stage failing", () => {
    const s = summarizeVoiceWorld(world);
    expect(s.turnsPerUserDay).toBeGreaterThan(2);
    expect(s.turnsPerUserDay).toBeLessThan(5);
    expect(s.defectRate).toBeGreaterThan(0.1);
    expect(s.defectRate).toBeLessThan(0.3);
    for (const label of ["FALSE_WAKE", "ASR", "NLU", "ER", "RESULT"]) {
      expect(s.labelShares[label], label).toBeGreaterThan(0.005);
    }
    expect(s.recoveredRate).toBeGreaterThan(0.01);
  });

  it("labels turns consistently: CORRECT exactly when the intended item played, recovered errors included", () => {
    let recovered = 0;
    world.truth.forEach((t, k) => {
      const r = world.requests[k];
      if (t.attempt === 0) {
        expect(t.label).toBe("FALSE_WAKE");
        expect(t.intendedItem).toBeNull();
        return;
      }
      const delivered = r.responseKind === "play" && r.resolvedItem === t.intendedItem;
      expect(t.defective).toBe(t.label !== "CORRECT");
      if (t.label === "CORRECT") {
        expect(delivered).toBe(true);
        expect(t.cause === null).toBe(t.failedStage === null);
      } else expect(t.failedStage).not.toBeNull();
      if (t.label === "CORRECT" && t.failedStage === "ASR") {
        recovered++;
        expect(normalizeText(r.text)).not.toBe(normalizeText(t.spokenText));
      }
      if (t.failedStage === null) expect(normalizeText(r.text)).toBe(normalizeText(t.spokenText));
    });
    expect(recovered).toBeGreaterThan(20);
  });

  it("makes users rephrase after defects within the configured gap, and give up after a few tries", () => {
    const byId = new Map(world.requests.map((r, k) => [r.requestId, k]));
    const [lo, hi] = world.options.rephraseGapMs;
    let rephrases = 0;
    world.truth.forEach((t, k) => {
      if (t.rephraseOf === null) return;
      rephrases++;
      const prev = byId.get(t.rephraseOf)!;
      expect(world.truth[prev].defective).toBe(true);
      expect(world.truth[prev].reaction).toBe("rephrase");
      expect(world.truth[prev].intendedItem).toBe(t.intendedItem);
      expect(world.truth[prev].sessionId).toBe(t.sessionId);
      expect(t.attempt).toBe(world.truth[prev].attempt + 1);
      const gap =
        timeOf(world.requests[k]) - timeOf(world.requests[prev]) - (world.requests[prev].playedMs ?? 0);
      expect(gap).toBeGreaterThanOrEqual(lo);
      expect(gap).toBeLessThanOrEqual(hi);
    });
    expect(rephrases).toBeGreaterThan(100);
    const maxAttempt = Math.max(...world.truth.map((t) => t.attempt));
    expect(maxAttempt).toBeLessThanOrEqual(world.options.maxTries[1]);
    expect(world.truth.some((t) => t.reaction === "give-up")).toBe(true);
  });

  it("barges in on most wrong plays and plays right ones long", () => {
    let wrong = 0;
    let bargedIn = 0;
    const right: number[] = [];
    world.truth.forEach((t, k) => {
      const r = world.requests[k];
      if (r.responseKind !== "play" || t.attempt === 0) return;
      if (t.label === "CORRECT") right.push(r.playedMs!);
      else if (t.reaction !== "accepted" && r.resolvedItem !== t.intendedItem) {
        wrong++;
        if (r.bargeIn) {
          bargedIn++;
          expect(r.playedMs).toBeLessThan(10_000);
        }
      }
    });
    expect(bargedIn / wrong).toBeGreaterThan(0.7);
    right.sort((a, b) => a - b);
    expect(right[Math.floor(right.length / 2)]).toBeGreaterThan(60_000);
  });

  it("asks for the movie of a shared title on screens and the book or audiobook elsewhere", () => {
    const big = world;
    const kindsOf = new Map<string, Set<string>>();
    for (const c of big.catalogue) {
      const key = c.title.toLowerCase();
      kindsOf.set(key, (kindsOf.get(key) ?? new Set()).add(c.kind ?? "song"));
    }
    const item = new Map(big.catalogue.map((c) => [c.id, c]));
    const count = { screen: { movie: 0, all: 0 }, none: { movie: 0, all: 0 } };
    big.truth.forEach((t, k) => {
      if (t.attempt !== 1 || t.intendedItem === null) return;
      const it = item.get(t.intendedItem)!;
      const kinds = kindsOf.get(it.title.toLowerCase())!;
      if (!kinds.has("movie") || !(kinds.has("book") || kinds.has("audiobook"))) return;
      const c = big.requests[k].context!.hasScreen ? count.screen : count.none;
      c.all++;
      if (it.kind === "movie") c.movie++;
    });
    expect(count.screen.all).toBeGreaterThan(100);
    expect(count.none.all).toBeGreaterThan(100);
    expect(count.screen.movie / count.screen.all).toBeGreaterThan(0.5);
    expect(count.none.movie / count.none.all).toBeLessThan(0.1);
  });

  it("lets an evaluator replay any text against the assistant and get what the turn got", () => {
    for (let k = 0; k < world.requests.length; k += 7) {
      const r = world.requests[k];
      const replay = assistantRespond(r.text, r.context, world.assistant, r.asrConfidence);
      if (r.responseKind === "none") expect(replay.responseKind).toBe("none");
      else expect(replay.resolvedItem ?? undefined).toBe(r.resolvedItem);
    }
  });
});

describe("simulateVoice with a policy", () => {
  /** First turn of each session: what the user planned, independent of any outcome. */
  function firstTurns(
    w: VoiceWorld,
  ): Map<string, { time: string; spoken: string; heard: string; device?: string }> {
    const out = new Map<string, { time: string; spoken: string; heard: string; device?: string }>();
    w.truth.forEach((t, k) => {
      if (out.has(t.sessionId)) return;
      const r = w.requests[k];
      out.set(t.sessionId, {
        time: r.time,
        spoken: t.spokenText,
        heard: r.rewrittenFrom ?? r.text,
        device: r.device,
      });
    });
    return out;
  }

  it("keeps runs paired: same sessions and first utterances with and without the policy", () => {
    const a = firstTurns(world);
    const b = firstTurns(rewritten);
    expect(b).toEqual(a);
    expect(rewritten.requests.some((r) => r.rewrittenFrom !== undefined)).toBe(true);
  });

  it("feeds the policy every request event in time order, without truth", () => {
    expect(policy.seen).toEqual(rewritten.requests);
    expect(Object.keys(policy.seen[0])).not.toContain("intendedItem");
  });

  it("fixes systematically misheard turns by rewriting them", () => {
    // Sessions' first turns are paired: the same words heard in both runs.
    const outcome = (w: VoiceWorld) => {
      let turns = 0;
      let defective = 0;
      const seen = new Set<string>();
      w.truth.forEach((t, k) => {
        if (seen.has(t.sessionId)) return;
        seen.add(t.sessionId);
        const heard = w.requests[k].rewrittenFrom ?? w.requests[k].text;
        if (t.attempt !== 1 || !Object.keys(MISHEARD).some((p) => containsPhrase(heard, p))) return;
        turns++;
        if (t.defective) defective++;
      });
      return { turns, defective };
    };
    const before = outcome(world);
    const after = outcome(rewritten);
    expect(before.turns).toBeGreaterThan(12);
    expect(after.turns).toBe(before.turns);
    expect(before.defective / before.turns).toBeGreaterThan(0.6);
    expect(after.defective / after.turns).toBeLessThan(0.2);
    const fixed = rewritten.truth.filter(
      (t, k) => rewritten.requests[k].rewrittenFrom !== undefined && t.label === "CORRECT",
    );
    expect(fixed.length).toBeGreaterThan(10);
    for (const t of fixed) expect(t.failedStage).toBe("ASR");
  });
});

describe("simulateVoice drift", () => {
  it("changes what a misheard utterance means from driftDay on, so a rewrite that won starts losing", () => {
    const driftDay = 6;
    const drifted = simulateVoice({
      users: 120,
      days: 12,
      items: 500,
      seed: 8,
      driftDay,
      driftShare: 0.12,
      policy: undoMishearings(),
    });
    const dayOf = (r: RequestEvent) => Math.floor((timeOf(r) - Date.parse(drifted.startDate)) / 86_400_000);
    const releases = new Set(drifted.driftItems);
    const phrases = ["hey dude", "suite dreams", "level hating"];
    const tally = { before: { turns: 0, release: 0, ok: 0 }, after: { turns: 0, release: 0, ok: 0 } };
    drifted.truth.forEach((t, k) => {
      const r = drifted.requests[k];
      const heard = r.rewrittenFrom ?? r.text;
      if (t.attempt !== 1 || !phrases.some((p) => containsPhrase(heard, p))) return;
      const side = dayOf(r) < driftDay ? tally.before : tally.after;
      side.turns++;
      if (releases.has(t.intendedItem ?? "")) side.release++;
      if (!t.defective) side.ok++;
    });
    expect(tally.before.turns).toBeGreaterThan(10);
    expect(tally.after.turns).toBeGreaterThan(30);
    expect(tally.before.release).toBe(0);
    expect(tally.after.release / tally.after.turns).toBeGreaterThan(0.5);
    expect(tally.before.ok / tally.before.turns).toBeGreaterThan(0.7);
    expect(tally.after.ok / tally.after.turns).toBeLessThan(0.5);
  });

  it("rejects unusable options", () => {
    expect(() => simulateVoice({ users: 0 })).toThrow(RangeError);
    expect(() => simulateVoice({ asrErrorRate: 2 })).toThrow(RangeError);
    expect(() => simulateVoice({ maxTries: [3, 2] })).toThrow(RangeError);
    expect(() => simulateVoice({ rephraseGapMs: [1000, 2000] })).toThrow(RangeError);
    expect(() => simulateVoice({ driftDay: -1 })).toThrow(RangeError);
  });
});
