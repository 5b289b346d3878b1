/**
 * Speeds of the kernels whose tests check only correctness: reading a generic CSV, building and querying the
 * catalogue index, and Kendall's tau-b on a million points. The tests used to time these, which made them
 * fail on a loaded machine and prove nothing on an idle one; the figures belong here. Medians of three runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CatalogueIndex, type MatchableItem } from "../src/core/matching/catalogue-index.js";
import { kendallTauB } from "../src/core/metrics/correlation.js";
import { Random } from "../src/core/random.js";
import { makeCreatorName, makeTitle } from "../src/core/simulate/names.js";
import { requestText } from "../src/core/simulate/requests.js";
import { readSource } from "../src/ingest/index.js";
import { median } from "./record.js";

const RUNS = 3;

async function csvRowsPerSecond(rows: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-kernels-"));
  try {
    const file = join(dir, "plays.csv");
    const t0 = Date.parse("2021-01-01T00:00:00Z");
    const lines = ["user,item,endTime,playedMs,itemLengthMs"];
    for (let i = 0; i < rows; i++) {
      const end = new Date(t0 + i * 60_000).toISOString().slice(0, 19);
      lines.push(
        `u${i % 50},Artist ${i % 997}|Track ${i % 3001},${end}Z,${(i * 7919) % 400_000},${200_000 + (i % 1000)}`,
      );
    }
    writeFileSync(file, `${lines.join("\n")}\n`);
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      let plays = 0;
      for await (const r of readSource([file])) if (r.kind === "play") plays++;
      if (plays !== rows) throw new Error(`read ${plays} plays of ${rows}`);
      rates.push(rows / ((performance.now() - start) / 1000));
    }
    return median(rates);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function catalogueIndexMs(
  size: number,
  requests: number,
): { buildMs: number; queryMs: number; found: number } {
  const rng = new Random(11);
  const creators = Array.from({ length: 12_000 }, () => makeCreatorName(rng));
  const items: MatchableItem[] = Array.from({ length: size }, (_, i) => ({
    id: `item-${i}`,
    title: makeTitle(rng),
    creators: [creators[rng.int(creators.length)]],
  }));
  const asked = Array.from({ length: requests }, () => {
    const item = items[rng.int(items.length)];
    const target = { title: item.title, creator: item.creators![0], kind: "song" };
    return { text: requestText(rng, target, rng.next() < 0.3, 0.1), id: item.id };
  });
  const builds: number[] = [];
  const queries: number[] = [];
  let found = 0;
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    const index = new CatalogueIndex(items);
    builds.push(performance.now() - t0);
    const t1 = performance.now();
    found = 0;
    for (const { text, id } of asked) if (index.match(text).some((c) => c.itemId === id)) found++;
    queries.push(performance.now() - t1);
  }
  return { buildMs: median(builds), queryMs: median(queries) / requests, found: found / requests };
}

function kendallMs(n: number): number {
  const rng = new Random(4);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.normal();
    y[i] = 0.6 * x[i] + 0.8 * rng.normal();
  }
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    kendallTauB(x, y);
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function kernelsBench() {
  const csvRows = 200_000;
  const rowsPerSecond = await csvRowsPerSecond(csvRows);
  const index = catalogueIndexMs(100_000, 1000);
  return {
    csv: { rows: csvRows, rowsPerSecond: Math.round(rowsPerSecond) },
    catalogueIndex: {
      items: 100_000,
      buildMs: Math.round(index.buildMs),
      msPerRequest: Number(index.queryMs.toFixed(3)),
      foundAmongCandidates: index.found,
    },
    kendallTauB: { points: 1_000_000, ms: Math.round(kendallMs(1_000_000)) },
  };
}
