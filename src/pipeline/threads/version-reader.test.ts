import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../../config.js";
import { simulateWorld } from "../../core/simulate/index.js";
import type { Engine } from "../../engine.js";
import { engineOnSimulatedWorld } from "../../services/simulated-engine.js";
import { loadModel, loadTopN, readArraysPaced } from "../model-files.js";
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
  it("reads a version kept to a share of a core as loadModel and loadTopN read it", async () => {
    const reader = new VersionReader();
    try {
      const dir = versions[1];
      const paced = await reader.read({ ...request(dir), cpuShare: 0.25 });
      const here = loadModel(dir);
      expect(paced.manifest).toEqual(here.manifest);
      expect(paced.model?.users).toEqual(here.model.users);
      expect(paced.model?.factors.userFactors).toEqual(here.model.factors.userFactors);
      expect(paced.model?.history.items).toEqual(here.model.history.items);
      expect(paced.model?.popularity).toEqual(here.model.popularity);
      const topN = loadTopN(dir, here.manifest);
      expect(topN).not.toBeNull();
      expect(paced.recommender).toEqual(topN);
      // Without the model (one just trained here), only the top-N's files are wanted.
      const topNOnly = await reader.read({ ...request(dir), withModel: false, cpuShare: 0.25 });
      expect(topNOnly.model).toBeNull();
      expect(topNOnly.recommender).toEqual(topN);
    } finally {
      await reader.close();
    }
  });

  it("reads array files a chunk between rests, byte for byte, only those wanted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-paced-"));
    try {
      // 2.5 MiB: three chunks of at most 1 MiB.
      const big = new Float32Array((5 << 20) / 8).map((_, i) => Math.sin(i));
      writeFileSync(join(dir, "topn-weights.f32"), new Uint8Array(big.buffer));
      writeFileSync(join(dir, "history-items.i32"), new Uint8Array(new Int32Array([3, 1, 4]).buffer));
      writeFileSync(join(dir, "items.json"), "[]");
      let rests = 0;
      const read = await readArraysPaced(dir, { breathe: async () => void rests++ });
      expect([...read.keys()].sort()).toEqual(["history-items.i32", "topn-weights.f32"]);
      // Buffer.compare: a deep equality of 2.5 M elements would take the test seconds.
      const onDisk = readFileSync(join(dir, "topn-weights.f32"));
      expect(Buffer.compare(Buffer.from(read.get("topn-weights.f32")!), onDisk)).toBe(0);
      expect([...new Int32Array(read.get("history-items.i32")!)]).toEqual([3, 1, 4]);
      expect(rests).toBe(3 + 1);
      const wanted = await readArraysPaced(dir, { breathe: async () => {} }, (n) => n.startsWith("topn-"));
      expect([...wanted.keys()]).toEqual(["topn-weights.f32"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

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
