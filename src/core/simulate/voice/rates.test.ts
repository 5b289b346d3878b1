import { describe, expect, it } from "vitest";
import { normalizeText } from "../../matching/normalize.js";
import { confusionsIn, isUnavailable, simulateVoice, type VoiceTurnTruth, type VoiceWorld } from "./index.js";

/** Every configured failure rate must show up in the truth, each measured where it can act. */

const base = { users: 100, days: 7, items: 500 };

function share(
  w: VoiceWorld,
  eligible: (t: VoiceTurnTruth, k: number) => boolean,
  hit: (t: VoiceTurnTruth, k: number) => boolean,
) {
  let n = 0;
  let h = 0;
  w.truth.forEach((t, k) => {
    if (!eligible(t, k)) return;
    n++;
    if (hit(t, k)) h++;
  });
  return { n, rate: h / n };
}

describe("configured failure rates", () => {
  // The first two tests' worlds also carry the rephrase settings the last test checks.
  let patient: VoiceWorld;
  let stubborn: VoiceWorld;

  it("false wakes, random ASR slips, result failures, unavailability and barge-ins", () => {
    const o = {
      ...base,
      seed: 31,
      falseWakeRate: 0.05,
      asrErrorRate: 0.1,
      systematicAsrRate: 0,
      nluErrorRate: 0,
      erErrorRate: 0,
      resultErrorRate: 0.1,
      unavailableRate: 0.05,
      bargeInRate: 0.6,
      rephraseRate: 0.5,
      maxTries: [6, 6] as [number, number],
    };
    const w = simulateVoice(o);
    patient = w;
    const requests = w.truth.filter((t) => t.attempt === 1).length;
    const wakes = w.truth.filter((t) => t.label === "FALSE_WAKE").length;
    expect(wakes / requests).toBeGreaterThan(0.035);
    expect(wakes / requests).toBeLessThan(0.065);

    const asr = share(
      w,
      (t) => t.attempt === 1,
      (t) => t.failedStage === "ASR",
    );
    expect(asr.n).toBeGreaterThan(1500);
    expect(asr.rate).toBeGreaterThan(0.08);
    expect(asr.rate).toBeLessThan(0.12);

    // Result failures strike plays of the right item that the assistant could play.
    const result = share(
      w,
      (t, k) =>
        t.intendedItem !== null &&
        w.requests[k].resolvedItem === t.intendedItem &&
        t.cause !== "result-unavailable" &&
        t.cause !== "result-no-screen",
      (t) => t.cause === "result-error" || t.cause === "result-wrong-version",
    );
    expect(result.rate).toBeGreaterThan(0.08);
    expect(result.rate).toBeLessThan(0.12);

    let pairs = 0;
    let unavailable = 0;
    for (const item of w.catalogue) {
      for (const type of ["speaker", "display", "tv", "phone", "car"]) {
        pairs++;
        if (isUnavailable(w.assistant, item.id, type)) unavailable++;
      }
    }
    expect(unavailable / pairs).toBeGreaterThan(0.04);
    expect(unavailable / pairs).toBeLessThan(0.06);

    const bargeIn = share(
      w,
      (t, k) =>
        t.attempt > 0 &&
        w.requests[k].responseKind === "play" &&
        w.requests[k].resolvedItem !== t.intendedItem &&
        t.reaction !== "accepted",
      (_, k) => w.requests[k].bargeIn,
    );
    expect(bargeIn.n).toBeGreaterThan(100);
    expect(bargeIn.rate).toBeGreaterThan(0.48);
    expect(bargeIn.rate).toBeLessThan(0.72);
  });

  it("systematic confusions, NLU and ER errors", () => {
    const o = {
      users: 200,
      days: 7,
      items: 500,
      seed: 32,
      asrErrorRate: 0,
      systematicAsrRate: 0.5,
      nluErrorRate: 0.08,
      erErrorRate: 0.06,
      rephraseRate: 1,
      maxTries: [2, 2] as [number, number],
    };
    const w = simulateVoice(o);
    stubborn = w;
    // Without a creator named, every utterance with a confusable phrase is misheard at the configured rate.
    const systematic = share(
      w,
      (t) =>
        t.attempt === 1 &&
        !t.spokenText.includes(" by ") &&
        confusionsIn(normalizeText(t.spokenText)).length > 0,
      (t) => t.failedStage === "ASR",
    );
    expect(systematic.n).toBeGreaterThan(80);
    expect(systematic.rate).toBeGreaterThan(0.38);
    expect(systematic.rate).toBeLessThan(0.62);

    // NLU and ER errors are keyed by the text (the same words fail alike), so turns cluster: wider bounds.
    const nlu = share(
      w,
      (t) => t.attempt === 1 && t.failedStage !== "ASR",
      (t) => t.cause === "nlu-noise",
    );
    expect(nlu.rate).toBeGreaterThan(0.05);
    expect(nlu.rate).toBeLessThan(0.11);
    const er = share(
      w,
      (t) => t.attempt === 1 && t.failedStage !== "ASR" && t.failedStage !== "NLU",
      (t) => t.cause === "er-noise",
    );
    expect(er.rate).toBeGreaterThan(0.035);
    expect(er.rate).toBeLessThan(0.085);
  });

  it("rephrase rate and the number of tries", () => {
    // "Not available" answers are retried less, whatever went wrong before them.
    const noticed = (w: VoiceWorld, t: VoiceTurnTruth, k: number) =>
      t.attempt > 0 &&
      t.defective &&
      t.reaction !== "accepted" &&
      t.reaction !== "cut" &&
      w.requests[k].responseKind !== "answer";
    const rephrase = share(
      patient,
      (t, k) => noticed(patient, t, k) && t.attempt === 1,
      (t) => t.reaction === "rephrase",
    );
    expect(rephrase.n).toBeGreaterThan(200);
    expect(rephrase.rate).toBeGreaterThan(0.42);
    expect(rephrase.rate).toBeLessThan(0.58);

    stubborn.truth.forEach((t, k) => {
      if (noticed(stubborn, t, k)) expect(t.reaction).toBe(t.attempt === 1 ? "rephrase" : "give-up");
      expect(t.attempt).toBeLessThanOrEqual(2);
    });
  });
});
