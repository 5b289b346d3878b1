import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Random } from "../../core/random.js";
import { buildCatalogueView, type ServingItem } from "../../core/serving/catalogue-view.js";
import { simulateWorld } from "../../core/simulate/index.js";
import type { Engine } from "../../engine.js";
import { engineOnSimulatedWorld } from "../../services/simulated-engine.js";
import { loadModel, loadTopN } from "../model-files.js";
import {
  ITEMS_PER_TURN,
  indexInTurns,
  inTurns,
  matchableDigest,
  packCatalogueView,
  packChunks,
  packVersionFiles,
  unpackCatalogueView,
  unpackChunks,
  unpackIds,
  unpackVersionFiles,
  versionTransferables,
} from "./version-transfer.js";

/** A yieldTurn that counts the turns, and the work `measure()` reports done in each of them. */
function turnCounter(measure: () => number) {
  const perTurn: number[] = [];
  let before = 0;
  return {
    perTurn,
    yieldTurn: async () => {
      const now = measure();
      perTurn.push(now - before);
      before = now;
    },
    finish: () => perTurn.push(measure() - before),
  };
}

function catalogue(n: number, seed: number): ServingItem[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, k) => ({
    id: `artist ${k % 97}|song ${k}`,
    title: `song ${k} ${rng.int(1000)}`,
    creators: [`artist ${k % 97}`],
    kind: k % 5 === 0 ? "podcast" : "song",
    tags: k % 3 === 0 ? ["rock", `t${k % 7}`] : [],
  }));
}

describe("work split into turns", () => {
  it("inTurns covers 0..count once, at most perTurn a turn, yielding between ranges", async () => {
    const seen = new Uint8Array(10_007);
    let done = 0;
    const turns = turnCounter(() => done);
    await inTurns(
      seen.length,
      (from, end) => {
        for (let k = from; k < end; k++) seen[k]++;
        done += end - from;
      },
      1_000,
      turns.yieldTurn,
    );
    turns.finish();
    expect(seen.every((x) => x === 1)).toBe(true);
    expect(turns.perTurn.length).toBe(11);
    expect(Math.max(...turns.perTurn)).toBeLessThanOrEqual(1_000);
  });

  it("ids packed and unpacked come back in order, with their index, a chunk a turn", async () => {
    const ids = Array.from({ length: 4_321 }, (_, k) => `user-${(k * 7919) % 10_007}`);
    const chunks = packChunks(ids, 500);
    expect(chunks.length).toBe(9);
    let parsed = 0;
    const turns = turnCounter(() => parsed);
    const counted = await unpackChunks<string>(chunks, () => parsed++, turns.yieldTurn);
    turns.finish();
    expect(counted).toBe(ids.length);
    expect(Math.max(...turns.perTurn)).toBeLessThanOrEqual(500);
    const { ids: back, index } = await unpackIds(chunks, async () => {});
    expect(back).toEqual(ids);
    expect(index).toEqual(new Map(ids.map((id, k) => [id, k])));
    expect(await indexInTurns(ids, 1_000, async () => {})).toEqual(index);
  });
});

describe("a catalogue view across threads", () => {
  const model = {
    // Some model items the catalogue describes, some it does not (served under their id).
    items: [
      ...Array.from({ length: 5_000 }, (_, k) => `artist ${(k * 3) % 97}|song ${k * 3}`),
      "someone|never described",
      "bare id",
    ],
  };
  // A duplicate id in the catalogue (the first one counts).
  const items = [...catalogue(9_000, 1), { ...catalogue(1, 2)[0], title: "dup" }];

  it("comes back equal to the view built here, byModelIndex's entries the objects of `all`", async () => {
    const view = buildCatalogueView(model, items);
    const back = await unpackCatalogueView(packCatalogueView(view), async () => {});
    expect(back).toEqual(view);
    for (let i = 0; i < back.byModelIndex.length; i++) {
      const entry = back.byModelIndex[i];
      expect(entry === null || back.all[back.byId.get(entry.id) as number] === entry).toBe(true);
    }
  });

  it("is rebuilt at most ITEMS_PER_TURN entries a turn", async () => {
    const view = buildCatalogueView(model, items);
    const packed = packCatalogueView(view);
    expect(packed.all.length).toBe(Math.ceil(view.all.length / ITEMS_PER_TURN));
    const parsedBefore = { all: 0 };
    // JSON.parse is what the turns hold: count the entries parsed between yields.
    const realParse = JSON.parse;
    JSON.parse = (text: string, ...rest: unknown[]) => {
      const value = realParse(text, ...(rest as []));
      if (Array.isArray(value)) parsedBefore.all += value.length;
      return value;
    };
    try {
      const turns = turnCounter(() => parsedBefore.all);
      await unpackCatalogueView(packed, turns.yieldTurn);
      turns.finish();
      expect(parsedBefore.all).toBe(view.all.length);
      expect(Math.max(...turns.perTurn)).toBeLessThanOrEqual(ITEMS_PER_TURN);
    } finally {
      JSON.parse = realParse;
    }
  });

  it("has a digest that changes with what the matcher reads, not with tags", () => {
    const base = catalogue(300, 3);
    const digest = matchableDigest(base);
    expect(matchableDigest(catalogue(300, 3))).toBe(digest);
    expect(matchableDigest(base.map((x) => ({ ...x, tags: ["new"] })))).toBe(digest);
    const retitled = base.map((x, k) => (k === 150 ? { ...x, title: `${x.title}!` } : x));
    expect(matchableDigest(retitled)).not.toBe(digest);
    expect(matchableDigest(base.map((x, k) => (k === 7 ? { ...x, creators: [] } : x)))).not.toBe(digest);
    expect(matchableDigest(base.map((x, k) => (k === 9 ? { ...x, kind: "video" } : x)))).not.toBe(digest);
    expect(matchableDigest([...base].reverse())).not.toBe(digest);
  });
});

describe("a version read for serving, as posted to the serving thread", () => {
  let engine: Engine;
  let dir: string;
  beforeAll(async () => {
    engine = await engineOnSimulatedWorld(simulateWorld({ users: 60, items: 200, days: 10, seed: 8 }), {
      factors: 4,
      epochs: 2,
    });
    dir = (await engine.store.currentModel())!.path;
  }, 120_000);
  afterAll(async () => {
    await engine.close();
  });

  const read = () => {
    const { model, manifest } = loadModel(dir);
    // A catalogue far larger than the model's: what crosses must not grow in objects with it.
    const view = buildCatalogueView(model, catalogue(12_000, 4));
    return { manifest, model, recommender: loadTopN(dir, manifest), extras: {}, view };
  };

  it("moves every typed array and copies no more than a few objects, whatever the catalogue's size", () => {
    const files = read();
    const nItemFactors = files.model.factors.itemFactors.length;
    const packed = packVersionFiles(files);
    const transfer = versionTransferables(packed);
    // Every typed array in the message is in the transfer list; the rest is counted as structured clone
    // would rebuild it on the receiving thread.
    let objects = 0;
    const walk = (v: unknown) => {
      if (ArrayBuffer.isView(v)) {
        expect(transfer).toContain(v.buffer);
        return;
      }
      if (v === null || typeof v !== "object") return;
      objects++;
      for (const child of Object.values(v)) walk(child);
    };
    walk(packed);
    expect(objects).toBeLessThan(300);
    expect(files.view.all.length).toBeGreaterThan(12_000);

    const { port1, port2 } = new MessageChannel();
    try {
      const itemFactors = packed.model!.factors.itemFactors;
      port1.postMessage(packed, transfer);
      // Moved, not copied: the sending side's arrays are detached.
      expect(itemFactors.byteLength).toBe(0);
      expect(packed.view!.modelIndexOf.byteLength).toBe(0);
      const received = receiveMessageOnPort(port2)?.message;
      expect(received.model.factors.itemFactors.length).toBe(nItemFactors);
    } finally {
      port1.close();
    }
  });

  it("unpacks into the files it packed, with the model's index maps and the view's digest", async () => {
    const files = read();
    const expected = read();
    const back = await unpackVersionFiles(packVersionFiles(files), async () => {});
    expect(back.model).toEqual(expected.model);
    expect(back.view).toEqual(expected.view);
    expect(back.manifest).toEqual(expected.manifest);
    expect(back.recommender).toEqual(expected.recommender);
    expect(back.modelIndex?.users).toEqual(new Map(expected.model.users.map((u, k) => [u, k])));
    expect(back.modelIndex?.items).toEqual(new Map(expected.model.items.map((u, k) => [u, k])));
    expect(back.viewDigest).toBe(matchableDigest(expected.view.all));
  });
});
