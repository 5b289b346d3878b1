import { describe, expect, it } from "vitest";
import { catalogueItemSchema, playEventSchema, requestEventSchema } from "../../../schema/events.js";
import { simulateVoice, voiceAffinity, voiceTruthFromJson, voiceWorldToFiles } from "./index.js";

describe("voiceWorldToFiles", () => {
  it("gives ingest-format JSON lines and a truth file that reads back", () => {
    const world = simulateVoice({ users: 30, days: 3, items: 300, seed: 2, driftDay: 1 });
    const files = voiceWorldToFiles(world);
    const lines = (s: string) =>
      s
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown);
    const requests = lines(files["requests.jsonl"]);
    expect(requests.length).toBe(world.requests.length);
    for (const r of requests) requestEventSchema.parse(r);
    for (const p of lines(files["plays.jsonl"])) playEventSchema.parse(p);
    for (const c of lines(files["catalogue.jsonl"])) catalogueItemSchema.parse(c);

    const truth = voiceTruthFromJson(JSON.parse(files["truth.json"]));
    expect(truth.turns).toEqual(world.truth);
    expect(truth.driftDay).toBe(1);
    expect(truth.driftItems).toEqual(world.driftItems);
    // Float32 factors survive the round trip exactly.
    const reloaded = {
      ...truth.model,
      userFactors: Float32Array.from(truth.model.userFactors),
      itemFactors: Float32Array.from(truth.model.itemFactors),
      itemBias: Float32Array.from(truth.model.itemBias),
    };
    for (const [u, i] of [
      [0, 0],
      [3, world.catalogue.length - 1],
    ]) {
      expect(voiceAffinity(reloaded, u, i)).toBe(voiceAffinity(world.model, u, i));
    }
    expect(() => voiceTruthFromJson({ ...truth, model: { ...truth.model, itemBias: [] } })).toThrow();
  });
});
