import { describe, expect, it } from "vitest";
import { CatalogueIndex } from "../../matching/catalogue-index.js";
import { Random } from "../../random.js";
import type { VoiceTurn } from "../../voice/turn.js";
import { trainOnlineRewriter } from "./train.js";

const items = [
  { id: "desp", title: "Despacito", creators: ["Luis Fonsi"], kind: "song" },
  { id: "wdta", title: "We Don't Talk Anymore", creators: ["Charlie Puth"], kind: "song" },
  { id: "thriller", title: "Thriller", creators: ["Michael Jackson"], kind: "song" },
  { id: "hello", title: "Hello", creators: ["Adele"], kind: "song" },
  { id: "levitating", title: "Levitating", creators: ["Dua Lipa"], kind: "song" },
  { id: "flowers", title: "Flowers", creators: ["Miley Cyrus"], kind: "song" },
  { id: "bad-guy", title: "Bad Guy", creators: ["Billie Eilish"], kind: "song" },
  { id: "yellow", title: "Yellow", creators: ["Coldplay"], kind: "song" },
];

/**
 * A small log: 40 users ask for songs over 20 days. "despacito" is misheard as "this pa cito" for
 * everybody (an error, then the user names the song with its artist); user u0 calls "We Don't Talk
 * Anymore" "my jam" (nobody else does) and has to spell it out.
 */
function log(seed: number): VoiceTurn[] {
  const rng = new Random(seed);
  const turns: VoiceTurn[] = [];
  let id = 0;
  const say = (user: string, t: number, text: string, item: string | undefined, ok: boolean) =>
    turns.push({
      requestId: `r${id++}`,
      user,
      device: `${user}-speaker`,
      timeMs: t,
      text,
      resolvedItem: ok ? item : undefined,
      responseKind: ok ? "play" : "dont-know",
      bargeIn: false,
      playedMs: ok ? 180_000 : undefined,
    });
  for (let day = 0; day < 20; day++) {
    for (let u = 0; u < 40; u++) {
      const user = `u${u}`;
      let t = day * 86_400_000 + u * 1_000_000 + rng.int(100_000);
      for (let k = 0; k < 3; k++) {
        const item = items[rng.int(items.length)];
        const title = item.title.toLowerCase();
        if (item.id === "desp" && rng.next() < 0.8) {
          say(user, t, "play this pa cito", undefined, false);
          say(user, t + 15_000, `play ${title} by ${item.creators[0].toLowerCase()}`, item.id, true);
        } else if (item.id === "wdta" && user === "u0") {
          say(user, t, "play my jam", undefined, false);
          say(user, t + 15_000, `play ${title}`, item.id, true);
        } else say(user, t, rng.next() < 0.5 ? `play ${title}` : `put on ${title}`, item.id, true);
        t += 400_000;
      }
    }
  }
  return turns;
}

describe("trainOnlineRewriter", () => {
  const turns = log(1);
  const catalogue = new CatalogueIndex(items);
  const trained = trainOnlineRewriter(turns, { catalogue, items });
  const rewriter = trained.rewriter;
  const later = 25 * 86_400_000;

  it("mines ranking groups from the log's own rephrases", () => {
    expect(trained.rewriteGroups).toBeGreaterThan(50);
    expect(trained.keepGroups).toBeGreaterThan(0);
  });

  it("fixes the systematic mishearing for anyone, from the global layer", () => {
    const r = rewriter.rewrite({ user: "newcomer", text: "play this pa cito", timeMs: later });
    expect(r).toMatchObject({ rewritten: true, layer: "global", item: "desp" });
  });

  it("fixes the user's nickname for them only, from the personal layer", () => {
    expect(rewriter.rewrite({ user: "u0", text: "play my jam", timeMs: later })).toMatchObject({
      rewritten: true,
      layer: "personal",
      item: "wdta",
    });
    expect(rewriter.rewrite({ user: "u1", text: "play my jam", timeMs: later }).rewritten).toBe(false);
  });

  it("leaves requests that work alone", () => {
    for (const text of ["play thriller", "put on levitating", "play hello", "play yellow"]) {
      expect(rewriter.rewrite({ user: "u3", text, timeMs: later }).rewritten).toBe(false);
    }
  });

  it("is deterministic", () => {
    const again = trainOnlineRewriter(turns, { catalogue, items });
    expect(again.rewriter.ranker.weights).toEqual(rewriter.ranker.weights);
  });
});
