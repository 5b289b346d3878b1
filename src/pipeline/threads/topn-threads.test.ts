import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { userVector } from "../../core/affinity/factor-model.js";
import {
  ApproximateIndex,
  exactTopN,
  measureRecall,
  randomFactorModel,
  searchRecallFloor,
} from "../../core/topn/index.js";
import { approximateTopNOffThread } from "./topn-threads.js";

const dir = mkdtempSync(join(tmpdir(), "tastebud-topn-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("approximateTopNOffThread", () => {
  const model = randomFactorModel(300, 4000, 16, 8, { clusters: 10 });

  it("builds the index on a worker, keeps it in the folder, and answers as an index built here would", async () => {
    const topN = await approximateTopNOffThread(model, dir, { recallQueries: 100, index: { threads: 1 } });
    expect(topN.kind).toBe("approximate");
    expect(topN.index?.size).toBe(4000);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["approximate-index-m16-ef64.usearch", "approximate-index-m16-ef64.usearch.json"]);
    // The search breadth serving uses is the narrowest tried whose recall reaches the floor.
    const kept = JSON.parse(readFileSync(join(dir, `${files[0]}.json`), "utf8")) as {
      expansionSearch: number;
      recallByExpansionSearch: Record<string, number>;
    };
    const ef = kept.expansionSearch;
    expect(topN.index?.options.expansionSearch).toBe(ef);
    for (const [tried, recall] of Object.entries(kept.recallByExpansionSearch)) {
      if (Number(tried) < ef) expect(recall).toBeLessThan(searchRecallFloor);
      if (Number(tried) === ef) expect(recall).toBeGreaterThanOrEqual(searchRecallFloor);
      expect(Number(tried)).toBeLessThanOrEqual(ef);
    }
    // The recall it reports is the recall of the mapped index, measured again here on the same users.
    const here = ApproximateIndex.build(model, { threads: 1, expansionSearch: ef });
    expect(topN.recall).toBeCloseTo(measureRecall(model, topN.index as ApproximateIndex, 100, 10, 1), 10);
    expect(topN.recall).toBeGreaterThanOrEqual(0.95);
    let same = 0;
    for (let u = 0; u < 50; u++) {
      const query = userVector(model, u);
      const mapped = Array.from(topN.recommend(query, 10).items);
      if (mapped.join() === Array.from(here.search(query, 10).items).join()) same++;
      // Exact scores, best first, whatever the index found.
      const scores = Array.from(topN.recommend(query, 10).scores);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
    // One thread builds the same graph on either side.
    expect(same).toBe(50);
    // An exact scan still answers without the bias.
    const query = userVector(model, 1);
    expect(Array.from(topN.recommend(query, 5, { bias: false }).items)).toEqual(
      Array.from(exactTopN(model, query, 5, { bias: false }).items),
    );
  });

  it("maps the kept index on the next load instead of building it again", async () => {
    const file = join(dir, "approximate-index-m16-ef64.usearch");
    const before = statSync(file).mtimeMs;
    const again = await approximateTopNOffThread(model, dir, { recallQueries: 100, index: { threads: 1 } });
    expect(statSync(file).mtimeMs).toBe(before);
    expect(again.index?.size).toBe(4000);
  });
});
