import { rmSync } from "node:fs";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../../config.js";
import { simulateWorld } from "../../core/simulate/index.js";
import type { Engine } from "../../engine.js";
import { engineOnSimulatedWorld } from "../../services/simulated-engine.js";
import { loadModel } from "../model-files.js";
import { VersionReader } from "./version-reader.js";

const world = simulateWorld({ users: 40, items: 120, days: 10, seed: 5 });
const config = toTrainConfig(trainSettingsSchema.parse({ factors: 4, epochs: 2 }));
let engine: Engine;
const versions: string[] = [];

beforeAll(async () => {
  engine = await engineOnSimulatedWorld(world, { factors: 4, epochs: 2 });
  versions.push((await engine.store.currentModel())!.path);
  await engine.affinity.train(config, { serve: false });
  versions.push((await engine.store.currentModel())!.path);
}, 120_000);
afterAll(async () => {
  await engine.close();
  for (const dir of versions) rmSync(dir, { recursive: true, force: true });
});

const request = (dir: string) => ({ dir, withModel: true, extras: ["resolveBlend"] });

describe("reading model versions on one kept thread", () => {
  it("reads successive versions on the same thread, each as loadModel reads it", async () => {
    const reader = new VersionReader();
    try {
      expect(reader.threadId).toBeNull();
      const first = await reader.read(request(versions[0]));
      const thread = reader.threadId;
      expect(thread).not.toBeNull();
      const second = await reader.read(request(versions[1]));
      expect(reader.threadId).toBe(thread);
      for (const [files, dir] of [
        [first, versions[0]],
        [second, versions[1]],
      ] as const) {
        const here = loadModel(dir);
        expect(files.manifest).toEqual(here.manifest);
        expect(files.model?.items).toEqual(here.model.items);
        expect(files.model?.factors.itemFactors).toEqual(here.model.factors.itemFactors);
        expect(files.view).toBeNull();
      }
      expect(first.manifest.version).not.toBe(second.manifest.version);
    } finally {
      await reader.close();
    }
  });

  it("fails a read of a missing folder alone: the thread stays and reads the next version", async () => {
    const reader = new VersionReader();
    try {
      await reader.read(request(versions[0]));
      const thread = reader.threadId;
      await expect(reader.read(request(`${versions[0]}-missing`))).rejects.toThrow(/-missing/);
      expect(reader.threadId).toBe(thread);
      expect((await reader.read(request(versions[1]))).manifest.version).toBe(
        loadModel(versions[1]).manifest.version,
      );
    } finally {
      await reader.close();
    }
  });

  it("fails the read under way when its thread dies, and starts another for the next read", async () => {
    const reader = new VersionReader();
    try {
      const reading = reader.read(request(versions[0]));
      const thread = reader.threadId;
      await (reader as unknown as { worker: Worker }).worker.terminate();
      await expect(reading).rejects.toThrow(/exited/);
      expect(reader.threadId).toBeNull();
      await reader.read(request(versions[1]));
      expect(reader.threadId).not.toBeNull();
      expect(reader.threadId).not.toBe(thread);
    } finally {
      await reader.close();
    }
  });

  it("ends its thread at close, failing a read under way and any later one", async () => {
    const reader = new VersionReader();
    await reader.read(request(versions[0]));
    const failed = expect(reader.read(request(versions[1]))).rejects.toThrow(/closed/);
    await reader.close();
    await failed;
    expect(reader.threadId).toBeNull();
    await expect(reader.read(request(versions[0]))).rejects.toThrow(/closed/);
  });
});

describe("a swap whose version cannot be read", () => {
  it("keeps the model that answers, and the next good version swaps in", async () => {
    const before = await engine.models.require();
    await engine.store.registerModel({
      version: "broken",
      path: `${versions[1]}-gone`,
      createdAt: new Date(),
      config: {},
      metrics: {},
      isCurrent: true,
    });
    await expect(engine.models.reload()).rejects.toThrow(/-gone/);
    expect((await engine.models.require()).manifest.version).toBe(before.manifest.version);
    expect((await engine.recommend.forUser(world.truth.users[0], { n: 3 })).items.length).toBeGreaterThan(0);
    await engine.affinity.train(config, { serve: false });
    const next = await engine.models.reload();
    expect(next?.manifest.version).not.toBe(before.manifest.version);
    versions.push((await engine.store.currentModel())!.path);
  });
});
