import { describe, expect, it } from "vitest";
import { CatalogueIndex } from "../../matching/catalogue-index.js";
import type { VoiceTurn } from "../../voice/turn.js";
import { GlobalIndex } from "./global-index.js";
import { OnlineRewriter } from "./online-rewriter.js";
import { PersonalIndex } from "./personal-index.js";
import { RewriteRanker } from "./ranker.js";

/** A ranker that likes close, well-liked rewrites of requests the catalogue matches poorly. */
function ranker(): RewriteRanker {
  return RewriteRanker.fromNamed({
    "bias-rewrite": -3,
    cosine: 3,
    phonetic: 3,
    edit: 3,
    "global-users": 2,
    "personal-weight": 2,
    affinity: 2,
    "keep-catalogue-score": 3,
    "keep-asr-confidence": 1,
  });
}

const items = [
  { id: "wdta", title: "We Don't Talk Anymore", creators: ["Charlie Puth"], kind: "song" },
  { id: "bruno", title: "We Don't Talk About Bruno", creators: ["Encanto Cast"], kind: "song" },
  { id: "desp", title: "Despacito", creators: ["Luis Fonsi"], kind: "song" },
  { id: "thriller", title: "Thriller", creators: ["Michael Jackson"], kind: "song" },
  { id: "hello", title: "Hello", creators: ["Adele"], kind: "song" },
];
const catalogue = new CatalogueIndex(items);

let seq = 0;
function turn(user: string, text: string, item?: string, ok = true): VoiceTurn {
  seq++;
  return {
    requestId: `r${seq}`,
    user,
    timeMs: seq * 600_000,
    text,
    resolvedItem: item,
    responseKind: ok ? "play" : "error",
    bargeIn: false,
    playedMs: ok ? 200_000 : undefined,
  };
}

function fanRewriter(markov: { lookup(text: string): { rewrite: string } | null } | null = null) {
  const logs = [
    turn("a", "play despacito by luis fonsi", "desp"),
    turn("b", "play despacito by luis fonsi", "desp"),
    turn("c", "play despacito", "desp"),
    turn("d", "play despacito", "desp"),
    turn("a", "play thriller", "thriller"),
    turn("b", "play thriller", "thriller"),
  ];
  const global = GlobalIndex.build(logs, (t) => t.responseKind !== "error");
  const personal = new PersonalIndex(() => 0.95);
  const rewriter = new OnlineRewriter({
    markov,
    global,
    personal,
    catalogue,
    items,
    affinity: () => 0.95,
    ranker: ranker(),
  });
  // The fan: dozens of long plays of "We Don't Talk Anymore".
  for (let i = 0; i < 30; i++) rewriter.observe(turn("fan", "play we don't talk anymore", "wdta"), true);
  return rewriter;
}

describe("OnlineRewriter", () => {
  it("serves the rewrite table's exact match first", () => {
    const table = {
      lookup: (t: string) => (t === "play sirius xm chill" ? { rewrite: "play sirius channel 53" } : null),
    };
    const r = fanRewriter(table).rewrite({ user: "x", text: "play sirius xm chill" });
    expect(r).toMatchObject({ text: "play sirius channel 53", rewritten: true, layer: "markov", score: 1 });
  });

  it("fixes a misheard request from the global layer and keeps good ones", () => {
    const rewriter = fanRewriter();
    const fixed = rewriter.rewrite({
      user: "x",
      text: "play this pa cito by louis fonsi",
      asrConfidence: 0.4,
    });
    expect(fixed).toMatchObject({ rewritten: true, layer: "global", item: "desp" });
    expect(fixed.text).toBe("play despacito by luis fonsi");
    for (const text of ["play thriller", "play hello", "play despacito"]) {
      expect(rewriter.rewrite({ user: "x", text }).rewritten).toBe(false);
    }
  });

  it("fixes the fan's misheard favourite from the personal layer", () => {
    const r = fanRewriter().rewrite({
      user: "fan",
      text: "play the dont torque and he more",
      asrConfidence: 0.5,
    });
    expect(r).toMatchObject({ rewritten: true, layer: "personal", item: "wdta" });
    // Someone else gets no personal rewrite.
    expect(fanRewriter().rewrite({ user: "x", text: "play the dont torque and he more" }).layer).not.toBe(
      "personal",
    );
  });

  it("does not turn the fan's request for Bruno into their favourite", () => {
    const rewriter = fanRewriter();
    for (const text of [
      "play we don't talk about bruno",
      "we dont talk about bruno",
      "Play We Don't Talk About Bruno",
    ]) {
      const r = rewriter.rewrite({ user: "fan", text, asrConfidence: 0.9 });
      expect(r.rewritten).toBe(false);
      expect(r.text).toBe(text);
    }
    // The guard, not the ranker, makes the call: the candidate is gone.
    const { candidates } = rewriter.candidates({ user: "fan", text: "play we don't talk about bruno" });
    expect(candidates.some((c) => c.item === "wdta")).toBe(false);
    // Without the guard this ranker would over-fit to the favourite.
    const unguarded = new OnlineRewriter(rewriter.parts, {
      guard: { minPersonalSimilarity: 0, realTitleScore: 2, guardGlobal: false, keepKind: true },
    });
    expect(unguarded.rewrite({ user: "fan", text: "play we don't talk about bruno" }).item).toBe("wdta");
  });

  it("can run without a layer", () => {
    const r = fanRewriter();
    const noPersonal = new OnlineRewriter(r.parts, {
      layers: { markov: true, global: true, personal: false },
    });
    expect(noPersonal.rewrite({ user: "fan", text: "play the dont torque and he more" }).layer).not.toBe(
      "personal",
    );
  });

  it("learns a user's nickname online from their retry after an error", () => {
    const rewriter = fanRewriter();
    const t0 = 40 * 600_000;
    const base = { user: "fan", device: "fan-speaker", bargeIn: false } as const;
    rewriter.observe({
      ...base,
      requestId: "n1",
      timeMs: t0,
      text: "play my jam",
      responseKind: "dont-know",
    });
    rewriter.observe({
      ...base,
      requestId: "n2",
      timeMs: t0 + 15_000,
      text: "play we don't talk anymore",
      responseKind: "play",
      resolvedItem: "wdta",
      playedMs: 200_000,
    });
    const r = rewriter.rewrite({ user: "fan", text: "play my jam", timeMs: t0 + 86_400_000 });
    expect(r).toMatchObject({
      rewritten: true,
      layer: "personal",
      item: "wdta",
      text: "play we dont talk anymore",
    });
    expect(rewriter.rewrite({ user: "x", text: "play my jam" }).rewritten).toBe(false);
  });

  it("never changes the kind a request names", () => {
    const rewriter = fanRewriter();
    const movie = { id: "wdta-movie", title: "We Don't Talk Anymore", creators: ["Someone"], kind: "movie" };
    const withMovie = new OnlineRewriter({ ...rewriter.parts, items: [...items, movie] });
    for (let i = 0; i < 5; i++) {
      withMovie.observe(turn("fan", "watch the movie we dont talk anymore", "wdta-movie"), true);
    }
    const { candidates } = withMovie.candidates({ user: "fan", text: "play the song we dont tuck any more" });
    expect(candidates.some((c) => c.item === "wdta-movie")).toBe(false);
    expect(candidates.some((c) => c.item === "wdta")).toBe(true);
  });
});
