import { describe, expect, it } from "vitest";
import { simulateWorld, trueAffinity, truthFromJson, truthToJson } from "./index.js";

describe("truthToJson / truthFromJson", () => {
  const world = simulateWorld({ users: 20, items: 100, days: 5, seed: 11 });

  it("round-trips through JSON text exactly", () => {
    const json = JSON.parse(JSON.stringify(truthToJson(world.truth)));
    expect(Array.isArray(json.userFactors)).toBe(true);
    const back = truthFromJson(json);
    expect(back).toEqual(world.truth);
    expect(back.itemFactors).toBeInstanceOf(Float32Array);
    for (let u = 0; u < 20; u++) {
      for (let i = 0; i < 100; i += 7)
        expect(trueAffinity({ truth: back }, u, i)).toBe(trueAffinity(world, u, i));
    }
  });

  it("rejects a truth whose arrays do not fit", () => {
    const json = truthToJson(world.truth);
    expect(() => truthFromJson({ ...json, itemBias: json.itemBias.slice(1) })).toThrow();
    expect(() => truthFromJson({ ...json, userFactors: json.userFactors.slice(1) })).toThrow();
    expect(() => truthFromJson({ ...json, dim: 0 })).toThrow();
    expect(() => truthFromJson(null)).toThrow();
  });
});
