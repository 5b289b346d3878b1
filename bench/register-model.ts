/**
 * `npm run bench -- register-model [--mb N]`: registering a model version on a PostgreSQL store, as a
 * trainer does (and a server that trains over HTTP, on its serving thread). A folder of N MB (default 140,
 * about an item-item top-N model's size) of random bytes is registered three times while a 5 ms timer
 * ticks on the same thread; reported per run: wall and CPU of the call, and the longest gap between two
 * ticks, which is how long requests would have waited. Skips, saying why, without PostgreSQL.
 */
import { randomFillSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresEventStore } from "../src/store/postgres/postgres-store.js";
import { ScratchDatabases } from "../src/store/postgres/scratch-databases.js";

export async function registerModelBench(options: { mb?: number } = {}): Promise<Record<string, unknown>> {
  const mb = options.mb ?? 140;
  const scratch = new ScratchDatabases();
  const unavailable = await scratch.unavailable();
  if (unavailable) return { skipped: `PostgreSQL: ${unavailable}` };
  const dir = mkdtempSync(join(tmpdir(), "tastebud-register-"));
  const load = [loadavg()[0]];
  try {
    // One large file and a few small ones, as a saved version has (factors, top-N model, manifest, extras).
    mkdirSync(join(dir, "extras"));
    const big = Math.max(1, Math.round(mb * 0.85));
    writeFileSync(join(dir, "topn.bin"), randomFillSync(Buffer.alloc(big << 20)));
    writeFileSync(join(dir, "factors.f32"), randomFillSync(Buffer.alloc((mb - big) << 20)));
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ version: "bench" }));
    writeFileSync(join(dir, "extras", "contextPriors.json"), "{}");
    const store = await PostgresEventStore.open(await scratch.create());
    const runs: Array<Record<string, number>> = [];
    try {
      for (let run = 0; run < 3; run++) {
        let longestGap = 0;
        let last = performance.now();
        const timer = setInterval(() => {
          const now = performance.now();
          longestGap = Math.max(longestGap, now - last);
          last = now;
        }, 5);
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await store.registerModel({
          version: `v${run}`,
          path: dir,
          createdAt: new Date(),
          config: {},
          metrics: {},
          isCurrent: true,
        });
        const wallMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        clearInterval(timer);
        runs.push({
          wallMs: Math.round(wallMs),
          cpuMs: Math.round((cpu.user + cpu.system) / 1000),
          longestStallMs: Math.round(longestGap),
        });
      }
    } finally {
      await store.close();
    }
    load.push(loadavg()[0]);
    return { megabytes: mb, runs, loadAverage: load.map((x) => Math.round(x * 100) / 100) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await scratch.dropAll();
  }
}
