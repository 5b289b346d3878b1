/**
 * Playlist answers in process (issue 15's serving target: a 30-track playlist under 20 ms p99 on a
 * 100k-item model): discover, mix and radio playlists, a mix for a listener with three taught preferences,
 * Blends of two and three listeners (each answer builds all three policies to compare them), similar
 * creators and similar users, from the same random 100k-item, 50-factor model as the serve benchmark;
 * beside them, in the same run, the plain top-30 recommendation as the baseline. The taste space (unit item
 * vectors, creator vectors) is built on the first call and timed apart.
 *
 * Each answer is timed twice: wall time, and the CPU time the process spends on it (processCpuMs). With up to five
 * sessions on two cores the wall time mostly measures waiting for a core; its CPU time is what the
 * answer costs, i.e. its latency on a quiet machine. The load average is recorded at the start and end.
 *   npm run bench -- playlists
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../src/engine.js";
import { percentiles, processCpuMs } from "./record.js";
import { buildStore } from "./serve.js";

const log = (text: string) => process.stderr.write(`${text}\n`);

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

async function timed(n: number, call: (k: number) => Promise<unknown>) {
  for (let k = 0; k < 10; k++) await call(k);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < n; k++) {
    const c = processCpuMs();
    const t = performance.now();
    await call(k + 10);
    wall.push(performance.now() - t);
    cpu.push(processCpuMs() - c);
  }
  return { wall: percentiles(wall), cpu: percentiles(cpu) };
}

export async function playlistsBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-bench-playlists-"));
  try {
    log("building a 100k-item model ...");
    const store = await buildStore(dir);
    const loadAtStart = load();
    const engine = await Engine.open({ store });
    try {
      let t = performance.now();
      const current = await engine.models.require();
      const loadSeconds = (performance.now() - t) / 1000;
      const users = current.model.users;
      const user = (k: number) => users[(k * 37) % users.length];
      t = performance.now();
      await engine.playlists.forUser(user(0), { kind: "discover", length: 30 });
      const firstCallSeconds = (performance.now() - t) / 1000;
      const n = 300;
      // One listener with taught preferences (a dislike, a never, a more): their playlists carry the
      // preference masks over all 100k items and a per-candidate verdict.
      const taught = user(1);
      for (const text of ["I don't like Artist 12", "never play Artist 7", "more Artist 3"]) {
        const r = await engine.preferences.teach(taught, text);
        if ("error" in r) throw new Error(`teach "${text}": ${r.error}`);
      }
      log("timing playlists ...");
      const ms = {
        recommend30Baseline: await timed(n, (k) => engine.recommend.forUser(user(k), { n: 30 })),
        discover: await timed(n, (k) => engine.playlists.forUser(user(k), { kind: "discover", length: 30 })),
        mix: await timed(n, (k) => engine.playlists.forUser(user(k), { kind: "mix", length: 30 })),
        mixTaughtPreferences: await timed(n, () =>
          engine.playlists.forUser(taught, { kind: "mix", length: 30 }),
        ),
        radioSeedCreator: await timed(n, (k) =>
          engine.playlists.forUser(user(k), { kind: "radio", seedCreator: `Artist ${k % 9000}`, length: 30 }),
        ),
        blendOf2: await timed(n / 3, (k) => engine.playlists.blend([user(k), user(k + 1)], { length: 30 })),
        blendOf3: await timed(n / 3, (k) =>
          engine.playlists.blend([user(k), user(k + 1), user(k + 2)], { length: 30 }),
        ),
        similarCreators: await timed(n, (k) =>
          engine.playlists.similarCreators(`Artist ${k % 9000}`, { n: 10 }),
        ),
        similarUsers: await timed(n, (k) => engine.playlists.similarUsers(user(k), { n: 10 })),
      };
      return {
        items: current.model.items.length,
        users: users.length,
        factors: current.model.factors.factors,
        length: 30,
        targetP99Ms: 20,
        loadAverage: { start: loadAtStart, end: load() },
        loadSeconds,
        firstPlaylistSeconds: firstCallSeconds,
        ms,
      };
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
