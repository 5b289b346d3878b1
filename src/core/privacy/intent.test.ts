import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { EmbeddingTable } from "./embeddings.js";
import { runIntentTask } from "./intent.js";
import type { WordMechanism } from "./mechanisms.js";

// Two topics in a 2-d space: music words near (5, 0), weather words near (0, 5).
const music = ["play", "song", "album", "track", "tune"];
const weather = ["rain", "sunny", "forecast", "cold", "wind"];
const table = new EmbeddingTable(
  [...music, ...weather, "the"],
  2,
  Float32Array.from([
    5, 0, 5, 0.3, 4.8, 0.1, 5.2, 0, 4.9, -0.2, 0, 5, 0.3, 5, 0.1, 4.8, 0, 5.2, -0.2, 4.9, 0.1, 0.1,
  ]),
);

function examples(n: number, seed: number) {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => {
    const words = i % 2 ? music : weather;
    const text = `the ${words[rng.int(5)]} ${words[rng.int(5)]} Zorblat`;
    return {
      text,
      intent: i % 2 ? "PlayMusic" : "GetWeather",
      slots: [{ slot: "artist", value: "Zorblat", start: text.length - 7, end: text.length }],
    };
  });
}

describe("runIntentTask", () => {
  const train = examples(200, 1);
  const test = examples(100, 2);

  it("learns separable intents from averaged embeddings (the unperturbed ceiling)", () => {
    const r = runIntentTask(train, test, { table, mechanism: null, oov: "placeholder", seed: 1 });
    expect(r.accuracy).toBe(1);
    expect(r.slotSurvival).toBe(1);
  });

  it("loses accuracy and slot values when a mechanism swaps words across topics", () => {
    // Sends every word to the other topic's first word half of the time.
    const swap: WordMechanism = {
      name: "gumbel",
      epsilon: 1,
      perturb: (w, rng) => (rng.next() < 0.5 ? w : w < 5 ? 5 : w < 10 ? 0 : w),
    };
    const r = runIntentTask(train, test, { table, mechanism: swap, oov: "placeholder", seed: 1 });
    expect(r.accuracy).toBeLessThan(0.9);
    expect(r.accuracy).toBeGreaterThan(0.4);
    expect(r.changedShare).toBeGreaterThan(0.2);
    // The artist is out of vocabulary: the placeholder policy never keeps it.
    expect(r.slotSurvival).toBe(0);
    const kept = runIntentTask(train, test, { table, mechanism: swap, oov: "keep", seed: 1 });
    expect(kept.slotSurvival).toBe(1);
  });
});
