import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildNextIndex, nextNodes, simulateFollowGraph } from "../core/directed/index.js";
import { ApproximateIndex } from "../core/topn/index.js";
import { Engine } from "../engine.js";
import { loadDirectedModel } from "../pipeline/directed-model-files.js";
import { buildApp } from "../server/app.js";
import type { ServiceContext } from "./context.js";
import { DirectedModelLoadingError, DirectedService } from "./directed.js";

// Issue 17: above the approximate threshold the served index is built at training time on a worker thread
// and kept in the version folder; serving maps it and never builds on the request path.
describe("directed service: the served index is built with the model, not on the request path", () => {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-directed-index-"));
  const edgesPath = join(dir, "follow.csv");
  const nodes = 640;
  const approximateAbove = 200; // lowered so a small graph takes the large-graph path
  const indexConfig = { recallQueries: 100, index: { threads: 1 } };
  let engine: Engine;
  let ctx: ServiceContext;

  beforeAll(async () => {
    const sim = simulateFollowGraph({ nodes, sequenceLength: 8, meanOutDegree: 3, noise: 0.02, seed: 5 });
    const rows = Array.from(sim.sources, (u, k) => `n${u},n${sim.targets[k]},1`);
    writeFileSync(edgesPath, `source,target,weight\n${rows.join("\n")}\n`);
    engine = await Engine.open({ store: ":memory:", models: join(dir, "models") });
    // The engine's own context (store, models folder): a service with a lower threshold shares it.
    ctx = (engine as unknown as { ctx: ServiceContext }).ctx;
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Mean share of the exact top-10 that the served answers hold, over every 8th node. */
  async function agreementWithExact(service: DirectedService, version: string): Promise<number> {
    const files = loadDirectedModel(ctx.modelsDir, version);
    const exact = buildNextIndex(files.embeddings, files.graph, Number.POSITIVE_INFINITY);
    let shared = 0;
    let asked = 0;
    for (let u = 0; u < files.nodeIds.length; u += 8) {
      const served = await service.next(files.nodeIds[u], 10);
      const want = new Set(nextNodes(exact, u, 10).map((f) => files.nodeIds[f.node]));
      shared += served!.items.filter((i) => want.has(i.item)).length / want.size;
      asked++;
    }
    return shared / asked;
  }

  it("keeps each node's next candidates with the version; answers from them equal searching every node", async () => {
    const exactService = new DirectedService(ctx, Number.POSITIVE_INFINITY);
    const trained = await exactService.train({ kind: "file", path: edgesPath }, { maxEpochs: 20, dim: 16 });
    expect(readdirSync(trained.path)).toContain("next-nodes.i32");
    const files = loadDirectedModel(ctx.modelsDir, trained.version);
    const searched = buildNextIndex(files.embeddings, files.graph, Number.POSITIVE_INFINITY);
    for (let u = 0; u < files.nodeIds.length; u += 5) {
      const served = await exactService.next(files.nodeIds[u], 10);
      const want = nextNodes(searched, u, 10);
      expect(served!.items.map((i) => i.item)).toEqual(want.map((f) => files.nodeIds[f.node]));
    }
  });

  it("evaluate passes the tuning through: mini-batches (the default) or full-batch, vector size, L2, checks", async () => {
    const service = new DirectedService(ctx, Number.POSITIVE_INFINITY);
    const source = { kind: "file" as const, path: edgesPath };
    const search = { l2Values: [1e-3], checkEvery: 5, dim: 8 };
    const options = { maxEpochs: 10, biases: { biasInit: "zero" as const } };
    const bladeOf = (e: Awaited<ReturnType<DirectedService["evaluate"]>>) =>
      e.seeds[0].results.find((r) => r.model === "blade")!;
    const tuned = bladeOf(
      await service.evaluate(source, { ...options, tuning: { ...search, miniBatch: { batchSize: 256 } } }),
    );
    expect(tuned.validation!.map((t) => [t.l2, t.biasInit])).toEqual([[1e-3, "zero"]]);
    expect(tuned.epochs! % 5).toBe(0);
    const fullBatch = bladeOf(
      await service.evaluate(source, { ...options, tuning: { ...search, miniBatch: null } }),
    );
    expect(fullBatch.validation!.map((t) => t.l2)).toEqual([1e-3]);
    expect(fullBatch.report.overall).not.toEqual(tuned.report.overall);
    // Nothing said: the default mini-batches, the same as asking for them.
    const byDefault = bladeOf(await service.evaluate(source, { ...options, tuning: search }));
    expect(byDefault.report.overall).toEqual(tuned.report.overall);
  });

  it("saves the index with the version and serves it without building", async () => {
    const trainer = new DirectedService(ctx, approximateAbove, indexConfig);
    const trained = await trainer.train({ kind: "file", path: edgesPath }, { maxEpochs: 40, dim: 16 });
    expect(trained.nodes).toBeGreaterThan(approximateAbove);
    const kept = readdirSync(trained.path).filter((f) => f.startsWith("approximate-index-"));
    expect(kept.some((f) => f.endsWith(".usearch"))).toBe(true);
    expect(kept.some((f) => f.endsWith(".usearch.json"))).toBe(true);

    // A fresh serving process: the first answer maps the kept index, no build on this thread.
    const build = vi.spyOn(ApproximateIndex, "build");
    const adopt = vi.spyOn(ApproximateIndex, "adopt");
    const server = new DirectedService(ctx, approximateAbove, indexConfig);
    const answer = await server.next("n17", 10);
    expect(answer!.model).toBe(trained.version);
    expect(answer!.items).toHaveLength(10);
    expect(build).not.toHaveBeenCalled();
    expect(adopt).toHaveBeenCalledTimes(1);
    // HNSW over 640 nodes: the top 10 agree with the exact scan nearly everywhere.
    expect(await agreementWithExact(server, trained.version)).toBeGreaterThanOrEqual(0.9);
    build.mockRestore();
    adopt.mockRestore();
  });

  it("a version saved without an index answers 503-loading while a worker builds it, then serves it", async () => {
    const trainer = new DirectedService(ctx, approximateAbove, indexConfig);
    const trained = await trainer.train(
      { kind: "file", path: edgesPath },
      { maxEpochs: 40, dim: 16, seed: 2 },
    );
    // As a version saved before indexes were kept.
    for (const f of readdirSync(trained.path))
      if (f.startsWith("approximate-index-")) rmSync(join(trained.path, f));

    const build = vi.spyOn(ApproximateIndex, "build");
    const server = new DirectedService(ctx, approximateAbove, indexConfig);
    await expect(server.next("n17", 10)).rejects.toBeInstanceOf(DirectedModelLoadingError);
    expect(server.status()).toBeNull();
    // Over HTTP meanwhile: a clear 503 that says the model is loading (the engine with this service).
    const app = buildApp(Object.assign(Object.create(engine), { directed: server }) as Engine, {});
    const loadingRes = await app.inject({ url: "/v1/items/n17/next" });
    await server.settled();
    const servedRes = await app.inject({ url: "/v1/items/n17/next" });
    await app.close();
    // Asked right after the build started (a worker thread needs far longer to start, build and save).
    expect(loadingRes.statusCode).toBe(503);
    expect(loadingRes.body).toContain("model-loading");
    expect(servedRes.statusCode).toBe(200);
    const answer = await server.next("n17", 10);
    expect(answer!.model).toBe(trained.version);
    expect(build).not.toHaveBeenCalled(); // built on the worker thread
    expect(readdirSync(trained.path).some((f) => f.endsWith(".usearch.json"))).toBe(true);
    expect(existsSync(join(trained.path, "manifest.json"))).toBe(true);
    expect(await agreementWithExact(server, trained.version)).toBeGreaterThanOrEqual(0.9);
    build.mockRestore();
  });
});
