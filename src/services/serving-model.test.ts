import { rmSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { VersionReader } from "../pipeline/threads/version-reader.js";
import { SWAP_READ_CPU_SHARE } from "./serving-model.js";
import { engineOnSimulatedWorld } from "./simulated-engine.js";

afterEach(() => vi.restoreAllMocks());

describe("how a serving process reads model versions", () => {
  it("reads the first version at full speed and a swap, with a version answering, at a share of a core", async () => {
    const read = vi.spyOn(VersionReader.prototype, "read");
    const world = simulateWorld({ users: 30, items: 100, days: 8, seed: 3 });
    const engine = await engineOnSimulatedWorld(world, { factors: 4, epochs: 2 });
    try {
      expect(read.mock.calls.map(([request]) => request.cpuShare)).toEqual([undefined]);
      const first = await engine.models.current();
      await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 4, epochs: 2 })));
      expect(read.mock.calls.map(([request]) => request.cpuShare)).toEqual([undefined, SWAP_READ_CPU_SHARE]);
      // The paced read still swapped the new version in.
      expect((await engine.models.current())?.manifest.version).not.toBe(first?.manifest.version);
    } finally {
      await engine.close();
      rmSync(engine.modelsDir, { recursive: true, force: true });
    }
  });
});
