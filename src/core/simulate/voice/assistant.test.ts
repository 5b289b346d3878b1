import { describe, expect, it } from "vitest";
import type { CatalogueItemInput } from "../../../schema/events.js";
import { assistantRespond, buildAssistant, isUnavailable } from "./assistant.js";

const catalogue: CatalogueItemInput[] = [
  { id: "Adele|Hello", title: "Hello", creators: ["Adele"], kind: "song" },
  { id: "Lionel Richie|Hello", title: "Hello", creators: ["Lionel Richie"], kind: "song" },
  { id: "movie:the-hunger-games", title: "The Hunger Games", creators: ["Gary Ross"], kind: "movie" },
  { id: "book:the-hunger-games", title: "The Hunger Games", creators: ["Suzanne Collins"], kind: "book" },
  {
    id: "audiobook:the-hunger-games",
    title: "The Hunger Games",
    creators: ["Suzanne Collins"],
    kind: "audiobook",
  },
  { id: "station:sirius-chill", title: "Sirius Chill", creators: ["SiriusXM"], kind: "other" },
  {
    id: "podcast:serious-chill",
    title: "Serious Chill",
    creators: ["The Serious Chill Show"],
    kind: "podcast",
  },
  { id: "Survivor|Eye of the Tiger", title: "Eye of the Tiger", creators: ["Survivor"], kind: "song" },
];
const popularity = [1.3, 0.7, 0.9, 0.5, 0.2, 0.6, -0.5, 0.6];
const clean = { seed: 1, nluErrorRate: 0, erErrorRate: 0, unavailableRate: 0 };
const speaker = { deviceType: "speaker", hasScreen: false };
const tv = { deviceType: "tv", hasScreen: true };

describe("assistantRespond", () => {
  const a = buildAssistant(catalogue, popularity, clean);

  it("resolves same-title songs by global popularity unless the creator is named", () => {
    expect(assistantRespond("play hello", speaker, a).resolvedItem).toBe("Adele|Hello");
    expect(assistantRespond("play hello", speaker, a).trace.tieBroken).toBe(true);
    expect(assistantRespond("play hello by lionel richie", speaker, a).resolvedItem).toBe(
      "Lionel Richie|Hello",
    );
  });

  it("routes a title-only request to the title's most popular kind wherever it is asked", () => {
    const onTv = assistantRespond("play the hunger games", tv, a);
    expect(onTv).toMatchObject({
      intent: "PlayVideo",
      resolvedItem: "movie:the-hunger-games",
      responseKind: "play",
    });
    const onSpeaker = assistantRespond("play the hunger games", speaker, a);
    expect(onSpeaker).toMatchObject({ intent: "PlayVideo", responseKind: "error" });
    expect(onSpeaker.trace.noScreen).toBe(true);
    // An ambiguous title gets a lower intent confidence than an explicit kind.
    const explicit = assistantRespond("play the hunger games audiobook", speaker, a);
    expect(explicit).toMatchObject({ intent: "PlayAudiobook", resolvedItem: "audiobook:the-hunger-games" });
    expect(explicit.intentConfidence!).toBeGreaterThan(onSpeaker.intentConfidence!);
    expect(assistantRespond("read the hunger games", speaker, a).resolvedItem).toBe("book:the-hunger-games");
    expect(assistantRespond("listen to the hunger games", speaker, a).resolvedItem).toBe(
      "audiobook:the-hunger-games",
    );
    expect(assistantRespond("play the station sirius chill", speaker, a).resolvedItem).toBe(
      "station:sirius-chill",
    );
  });

  it("recovers small mishearings and gives up on nonsense", () => {
    expect(assistantRespond("play i of the tiger", speaker, a).resolvedItem).toBe(
      "Survivor|Eye of the Tiger",
    );
    expect(assistantRespond("play serious chill", speaker, a).resolvedItem).toBe("podcast:serious-chill");
    expect(assistantRespond("where are my keys", speaker, a)).toMatchObject({
      intent: "Unknown",
      responseKind: "dont-know",
    });
    expect(assistantRespond("play hello", speaker, a, 0.1)).toMatchObject({
      responseKind: "none",
      intent: null,
    });
  });

  it("fails the same text the same way, at the configured share of texts", () => {
    const many: CatalogueItemInput[] = [];
    for (let k = 0; k < 1200; k++) {
      for (const creator of ["Adele", "Lionel Richie"])
        many.push({ id: `${creator}|Hello ${k}`, title: `Hello ${k}`, creators: [creator] });
    }
    const noisy = buildAssistant(many, new Array(many.length).fill(0), {
      ...clean,
      nluErrorRate: 0.2,
      erErrorRate: 0.1,
    });
    const texts = Array.from({ length: 1200 }, (_, k) => `play hello ${k}`);
    let nlu = 0;
    let er = 0;
    for (const t of texts) {
      const r = assistantRespond(t, speaker, noisy);
      expect(assistantRespond(t, tv, noisy).trace).toMatchObject({
        nluNoise: r.trace.nluNoise,
        erNoise: r.trace.erNoise,
      });
      if (r.trace.nluNoise) nlu++;
      // A misrouted text finds nothing to resolve, so ER can only slip on the others.
      else if (r.trace.erNoise) er++;
    }
    expect(nlu / texts.length).toBeGreaterThan(0.16);
    expect(nlu / texts.length).toBeLessThan(0.24);
    expect(er / (texts.length - nlu)).toBeGreaterThan(0.065);
    expect(er / (texts.length - nlu)).toBeLessThan(0.135);
  });

  it("marks a fixed share of item and device pairs unavailable", () => {
    const a2 = buildAssistant(catalogue, popularity, { ...clean, unavailableRate: 1 });
    expect(isUnavailable(a2, "Adele|Hello", "speaker")).toBe(true);
    expect(assistantRespond("play hello", speaker, a2)).toMatchObject({
      responseKind: "answer",
      resolvedItem: "Adele|Hello",
    });
    expect(isUnavailable(a, "Adele|Hello", "speaker")).toBe(false);
  });
});
