import { describe, expect, it } from "vitest";
import type { AffinityModel } from "../affinity/affinity-model.js";
import { CatalogueIndex } from "../matching/index.js";
import { buildCatalogueView, type CatalogueView } from "../serving/catalogue-view.js";
import { recommendItems } from "../serving/recommend.js";
import { rankCandidates, textCandidates } from "../serving/resolve.js";
import {
  adjustResolvedCandidates,
  intersectMasks,
  preferenceAdjustment,
  preferenceMasks,
  rerankWithPreferences,
} from "./apply-preferences.js";
import { parsePreference } from "./parse-preference.js";
import { type PreferenceFact, toPreferenceFact } from "./preference-fact.js";
import type { PreferenceItem } from "./preference-index.js";
import { removePreference } from "./preference-list.js";
import { DAY, HOUR, NOW, testCatalogue } from "./test-catalogue.js";
import { catalogueVocabulary } from "./vocabulary.js";

const vocabulary = catalogueVocabulary(testCatalogue);
const byId = new Map(testCatalogue.map((i) => [i.id, i]));
const item = (id: string): PreferenceItem => byId.get(id)!;

/** What the user taught, as the lead's store would keep it. */
function taught(text: string, atMs = NOW, options = {}): PreferenceFact {
  const result = parsePreference(text, atMs, vocabulary, options);
  if ("error" in result) throw new Error(result.error);
  return toPreferenceFact("ana", result.fact);
}

/**
 * Just enough of a model for the popularity paths of recommend and resolve: country is the most played,
 * so an unknown user's recommendations start with it.
 */
function popularityModel(): { model: AffinityModel; view: CatalogueView; index: CatalogueIndex } {
  const items = testCatalogue.map((i) => i.id);
  const plays: Record<string, number> = { jolene: 90, "9-to-5": 80, "ring-of-fire": 70, "hello-richie": 40 };
  const popularity = Float64Array.from(items, (id) => plays[id] ?? 10 + id.length);
  const model = {
    items,
    popularity,
    itemLongRate: Float32Array.from(items, () => 0.5),
  } as unknown as AffinityModel;
  const view = buildCatalogueView(model, testCatalogue);
  return { model, view, index: new CatalogueIndex(view.all) };
}

/** The recommend call as the engine makes it, with the preferences' mask. */
function recommend(facts: readonly PreferenceFact[], nowMs = NOW) {
  const { model, view } = popularityModel();
  const masks = preferenceMasks(view.byModelIndex, facts, nowMs);
  const result = recommendItems(model, null, {
    n: 5,
    excludePlayed: false,
    allow: intersectMasks(null, masks.allow),
  });
  return {
    items: result.items.map((r) => view.byModelIndex[r.index]!),
    preferences: masks.effects,
  };
}

describe('"I don\'t like country", then recommend', () => {
  it("leaves country out with the reason, and removing the preference brings it back", () => {
    const before = recommend([]);
    expect(before.items.filter((i) => i.tags.includes("country")).map((i) => i.id)).toEqual([
      "jolene",
      "9-to-5",
      "ring-of-fire",
    ]);

    const fact = taught("I don't like country");
    let facts: PreferenceFact[] = [fact];
    const after = recommend(facts);
    expect(after.items).toHaveLength(5);
    expect(after.items.some((i) => i.tags.includes("country"))).toBe(false);
    expect(after.preferences).toEqual([
      {
        factId: fact.id,
        polarity: "dislike",
        effect: "excluded",
        items: 3,
        reason: 'left out country: you said "I don\'t like country" (Oct 3)',
      },
    ]);

    facts = removePreference(facts, fact.id).facts;
    const restored = recommend(facts);
    expect(restored.items.map((i) => i.id)).toEqual(before.items.map((i) => i.id));
    expect(restored.preferences).toEqual([]);
  });

  it("stops applying once expired", () => {
    const facts = [taught("no country for the next week")];
    expect(recommend(facts).items.some((i) => i.tags.includes("country"))).toBe(false);
    expect(recommend(facts, NOW + 8 * DAY).items.some((i) => i.tags.includes("country"))).toBe(true);
  });
});

describe("preferenceAdjustment", () => {
  it("boosts likes and more, lowers less, with reasons quoting the user", () => {
    const more = taught("more Adele");
    const adj = preferenceAdjustment(item("skyfall"), [more], NOW);
    expect(adj).toMatchObject({ excluded: false, blocked: false, boost: 1.25 });
    expect(adj.reasons).toEqual(['ranked higher, Adele: you said "more Adele" (Oct 3)']);
    expect(preferenceAdjustment(item("skyfall"), [taught("less Adele")], NOW).boost).toBe(-1.25);
    expect(preferenceAdjustment(item("jolene"), [more], NOW).applied).toEqual([]);
  });

  it("dates reasons from another year with the year", () => {
    const adj = preferenceAdjustment(item("take-five"), [taught("I like jazz")], NOW + 365 * DAY);
    expect(adj.reasons[0]).toBe('ranked higher, jazz: you said "I like jazz" (Oct 3, 2024)');
  });

  it("honours scope: device, time of day, activity and kind", () => {
    const car = taught("no Christmas songs in the car");
    expect(
      preferenceAdjustment(item("last-christmas"), [car], NOW, { context: { deviceType: "car" } }).excluded,
    ).toBe(true);
    expect(
      preferenceAdjustment(item("last-christmas"), [car], NOW, { context: { deviceType: "speaker" } })
        .excluded,
    ).toBe(false);
    // Unknown context: a scoped preference does not apply.
    expect(preferenceAdjustment(item("last-christmas"), [car], NOW).excluded).toBe(false);

    const kitchen = taught("never play Christmas songs on the kitchen speaker");
    const on = (device: string) =>
      preferenceAdjustment(item("last-christmas"), [kitchen], NOW, {
        context: { deviceType: "speaker", device },
      }).excluded;
    expect(on("kitchen-speaker")).toBe(true);
    expect(on("bedroom-speaker")).toBe(false);

    const morning = taught("play more jazz in the morning");
    expect(preferenceAdjustment(item("so-what"), [morning], NOW).boost).toBe(1.25); // 09:00 UTC
    expect(preferenceAdjustment(item("so-what"), [morning], NOW + 10 * HOUR).boost).toBe(0);
    expect(preferenceAdjustment(item("so-what"), [morning], NOW, { context: { localHour: 20 } }).boost).toBe(
      0,
    );

    const gym = taught("I like jazz for workouts");
    expect(preferenceAdjustment(item("so-what"), [gym], NOW, { context: { activity: "gym" } }).boost).toBe(
      0.75,
    );
    expect(
      preferenceAdjustment(item("so-what"), [gym], NOW, { context: { activity: "cooking" } }).boost,
    ).toBe(0);

    const podcasts = taught("less true crime podcasts");
    expect(preferenceAdjustment(item("serial"), [podcasts], NOW).boost).toBe(-1.25);
    const video = { ...item("serial"), id: "serial-doc", kind: "video" };
    expect(preferenceAdjustment(video, [podcasts], NOW).boost).toBe(0);
  });

  it("lets a more specific like override a broader dislike, but never a never", () => {
    const facts = [taught("I don't like country"), taught("I love Dolly Parton", NOW + 1)];
    expect(preferenceAdjustment(item("jolene"), facts, NOW + 2)).toMatchObject({
      excluded: false,
      boost: 0.75,
    });
    expect(preferenceAdjustment(item("ring-of-fire"), facts, NOW + 2).excluded).toBe(true);
    const never = [taught("never play country"), taught("I love Dolly Parton", NOW + 1)];
    expect(preferenceAdjustment(item("jolene"), never, NOW + 2).excluded).toBe(true);
  });

  it("takes the newest statement about the same target", () => {
    const facts = [taught("I like country"), taught("I don't like country", NOW + HOUR)];
    expect(preferenceAdjustment(item("jolene"), facts, NOW + 2 * HOUR)).toMatchObject({
      excluded: true,
      boost: 0,
    });
    const changed = [taught("I don't like country"), taught("I like country", NOW + HOUR)];
    expect(preferenceAdjustment(item("jolene"), changed, NOW + 2 * HOUR)).toMatchObject({
      excluded: false,
      boost: 0.75,
    });
  });

  it("matches free text not found in the catalogue against tags and creators added later", () => {
    const fact = taught("I'm a Polka Kings fan");
    expect(fact.target.matched).toBe(false);
    const later: PreferenceItem = {
      id: "pk",
      title: "Oom Pah",
      creators: ["Polka Kings"],
      kind: "song",
      tags: [],
    };
    expect(preferenceAdjustment(later, [fact], NOW).boost).toBe(0.75);
  });

  it("applies a kind target to every item of the kind", () => {
    const facts = [taught("I hate podcasts")];
    expect(preferenceAdjustment(item("serial"), facts, NOW).excluded).toBe(true);
    expect(preferenceAdjustment(item("jolene"), facts, NOW).excluded).toBe(false);
  });
});

describe("rerankWithPreferences", () => {
  it("removes what is left out, adds boosts, re-sorts and keeps each item once", () => {
    const list = [
      { id: "jolene", score: 3 },
      { id: "hello-richie", score: 2.5 },
      { id: "skyfall", score: 2 },
      { id: "jolene", score: 1.9 },
      { id: "take-five", score: 1 },
    ];
    const facts = [taught("I don't like country"), taught("more Adele")];
    const out = rerankWithPreferences(list, (e) => byId.get(e.id), facts, NOW);
    expect(out.items.map((r) => [r.entry.id, r.score])).toEqual([
      ["skyfall", 3.25],
      ["hello-richie", 2.5],
      ["take-five", 1],
    ]);
    expect(out.items[0].reasons).toEqual(['ranked higher, Adele: you said "more Adele" (Oct 3)']);
    expect(out.removed.map((r) => r.entry.id)).toEqual(["jolene"]);
    expect(out.removed[0].reasons[0]).toMatch(/^left out country: you said/);
  });

  it("marks boosted items, so that recommend can fetch them beyond its top-n", () => {
    const { view } = popularityModel();
    const masks = preferenceMasks(view.byModelIndex, [taught("more jazz")], NOW);
    expect(masks.allow).toBeNull();
    const boosted = [...(masks.boosted ?? [])].flatMap((b, i) => (b ? [view.byModelIndex[i]!.id] : []));
    expect(boosted).toEqual(["take-five", "so-what"]);
    expect(masks.effects).toMatchObject([{ effect: "boosted", items: 2 }]);
  });
});

describe("preferenceMasks", () => {
  it("agrees with preferenceAdjustment item by item, overlapping facts included", () => {
    const facts = [
      taught("I don't like country"),
      taught("I love Dolly Parton", NOW + 1),
      taught("never play Christmas songs"),
      taught("more pop"),
      taught("less Adele"),
      taught("I like Polka Kings"),
      taught("no podcasts in the car"),
    ];
    const items: Array<PreferenceItem | null> = [...testCatalogue, null];
    for (const context of [{}, { deviceType: "car" }]) {
      const masks = preferenceMasks(items, facts, NOW + 2, { context });
      items.forEach((it, i) => {
        if (it === null) return;
        const adj = preferenceAdjustment(it, facts, NOW + 2, { context });
        expect([it.id, masks.allow?.[i] ?? 1]).toEqual([it.id, adj.excluded ? 0 : 1]);
        expect([it.id, masks.boosted?.[i] ?? 0]).toEqual([it.id, !adj.excluded && adj.boost > 0 ? 1 : 0]);
      });
    }
    const effects = preferenceMasks(items, facts, NOW + 2).effects;
    expect(effects.map((e) => [e.polarity, e.effect, e.items])).toEqual([
      ["dislike", "excluded", 1],
      ["dislike", "overridden", 2],
      ["like", "boosted", 2],
      ["never", "excluded", 2],
      ["more", "boosted", 3],
      ["less", "lowered", 2],
    ]);
  });
});

describe("adjustResolvedCandidates", () => {
  function resolve(request: string, facts: readonly PreferenceFact[]) {
    const { model, view, index } = popularityModel();
    const ranked = rankCandidates(model, view, null, textCandidates(index, request), "popularity");
    return adjustResolvedCandidates(ranked, (id) => byId.get(id), facts, NOW, { request });
  }

  it("ranks a disliked creator's item lower but still answers with it when named", () => {
    expect(resolve("play hello", [])).toMatchObject({
      candidates: [{ item: "hello-richie" }, { item: "hello-adele" }],
    });

    const fan = resolve("play hello", [taught("I don't like Lionel Richie")]);
    expect(fan.candidates.map((c) => c.item)).toEqual(["hello-adele", "hello-richie"]);
    expect(fan.candidates[0].confidence).toBeGreaterThan(0.5);
    expect(fan.candidates[1].reasons.at(-1)).toEqual({
      factor: "taught-preference",
      value: -3,
      detail: 'ranked lower, Lionel Richie: you said "I don\'t like Lionel Richie" (Oct 3)',
    });
    expect(fan.blocked).toEqual([]);

    // Named in the request: the dislike is waived for it, and the text match decides.
    const named = resolve("play hello by lionel richie", [taught("I don't like Lionel Richie")]);
    expect(named.candidates[0].item).toBe("hello-richie");
    expect(named.candidates[0].reasons.at(-1)?.detail).toMatch(/^asked for by name/);
  });

  it("answers with the only candidate even when it is disliked", () => {
    const out = resolve("play jolene", [taught("I don't like country")]);
    expect(out.candidates[0]).toMatchObject({ item: "jolene", confidence: 1 });
  });

  it("blocks what the user said never to play, even when named, and says why", () => {
    const out = resolve("play last christmas", [taught("never play Christmas songs")]);
    expect(out.candidates.map((c) => c.item)).not.toContain("last-christmas");
    expect(out.blocked.map((c) => c.item)).toContain("last-christmas");
    const blocked = out.blocked.find((c) => c.item === "last-christmas")!;
    expect(blocked.confidence).toBe(0);
    expect(blocked.reasons.at(-1)?.detail).toBe(
      'not played, christmas is blocked: you said "never play Christmas songs" (Oct 3)',
    );
    // Every candidate is Christmas: nothing to answer with, and the application can say why.
    expect(out.candidates).toEqual([]);
  });

  it("recomputes confidence among the candidates left", () => {
    const out = resolve("play hello", [taught("never play Lionel Richie")]);
    expect(out.candidates.map((c) => [c.item, c.confidence])).toEqual([["hello-adele", 1]]);
    expect(out.blocked.map((c) => c.item)).toEqual(["hello-richie"]);
  });

  it("leaves candidates alone without preferences", () => {
    const { model, view, index } = popularityModel();
    const ranked = rankCandidates(model, view, null, textCandidates(index, "play hello"), "popularity");
    expect(adjustResolvedCandidates(ranked, (id) => byId.get(id), [], NOW).candidates).toEqual(ranked);
  });
});
