import { type ChildProcessByStdio, execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";

/**
 * The built CLI, as a user runs it (`npm run test:faults` builds it first; CI's npm ci does): tsx's start-up
 * would add seconds to each of the suite's thirty-odd processes.
 */
const repo = resolve(import.meta.dirname, "../..");
const cli = join(repo, "dist/cli/main.js");
const nodeArgs = [cli];

/**
 * What the checks below run in this process comes from the same build (vitest.faults.config.ts leaves
 * dist/ to Node's own loader): the types are the sources', but transforming and running all of src/ again
 * in each file's worker cost about 3.5 s of CPU per file, a fifth of the suite's CPU.
 */
const { simulateWorld } = (await import(
  join(repo, "dist/core/simulate/index.js")
)) as typeof import("../../src/core/simulate/index.js");
export const { Engine } = (await import(
  join(repo, "dist/engine.js")
)) as typeof import("../../src/engine.js");
const { toTrainConfig, trainSettingsSchema } = (await import(
  join(repo, "dist/config.js")
)) as typeof import("../../src/config.js");
export const { DuckDbEventStore } = (await import(
  join(repo, "dist/store/duckdb/duckdb-store.js")
)) as typeof import("../../src/store/duckdb/duckdb-store.js");

const { PostgresEventStore, isPostgresUrl } = (await import(
  join(repo, "dist/store/postgres/postgres-store.js")
)) as typeof import("../../src/store/postgres/postgres-store.js");
export const { ScratchDatabases } = (await import(
  join(repo, "dist/store/postgres/scratch-databases.js")
)) as typeof import("../../src/store/postgres/scratch-databases.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tastebud <args>` to its end; a non-zero exit is a result, not a throw. */
export async function tastebud(args: string[], cwd = repo): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...nodeArgs, ...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The same, expected to succeed: throws with its stderr otherwise. */
export async function tastebudOk(args: string[]): Promise<string> {
  const r = await tastebud(args);
  if (r.code !== 0) throw new Error(`tastebud ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export interface Running {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything written to stderr so far. */
  stderr: () => string;
  /** Resolves with the first output line that `match` accepts (null if the process ends first). */
  line: (match: (line: string) => boolean) => Promise<string | null>;
  /** SIGKILL, then waits for the process to be gone. */
  kill9: () => Promise<void>;
  exited: Promise<number | null>;
}

/** Starts `tastebud <args>` and watches its output line by line (progress on stderr, the server's log on stdout). */
export function start(args: string[]): Running {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  const waiters: { match: (l: string) => boolean; resolve: (l: string | null) => void }[] = [];
  const watch = (stream: Readable, keep: boolean) => {
    let pending = "";
    stream.on("data", (chunk: Buffer) => {
      if (keep) err += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines)
        for (let k = waiters.length - 1; k >= 0; k--)
          if (waiters[k].match(l)) waiters.splice(k, 1)[0].resolve(l);
    });
  };
  watch(child.stderr, true);
  watch(child.stdout, false);
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  void exited.then(() => {
    for (const w of waiters.splice(0)) w.resolve(null);
  });
  return {
    child,
    stderr: () => err,
    line: (match) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve(null)
        : new Promise((r) => waiters.push({ match, resolve: r })),
    kill9: async () => {
      child.kill("SIGKILL");
      await exited;
    },
    exited,
  };
}

/** A simulated world's plays as a JSON-lines file; returns the file and how many plays it holds. */
export function worldFile(dir: string, size: { users: number; items: number; days: number; seed: number }) {
  const world = simulateWorld(size);
  const file = join(dir, "events.jsonl");
  writeFileSync(file, `${world.events.map((e) => JSON.stringify(e)).join("\n")}\n`);
  return { file, total: world.events.length, world };
}

/**
 * A store holding a simulated world's plays and one small trained model (8 factors, 2 epochs, seed 1, no
 * top-N model), made in this process through the library, as `tastebud ingest` and `tastebud train` would:
 * the starting point of the files that kill a training or a server, not what they test (two CLI start-ups
 * saved per file). Returns the world and the version now current.
 */
export async function trainedStore(
  dir: string,
  store: string,
  size: { users: number; items: number; days: number; seed: number },
) {
  const made = worldFile(dir, size);
  const engine = await Engine.open({ store });
  try {
    const ingested = await engine.events.ingest([made.file], { rejectsPath: join(dir, "rejects.jsonl") });
    if (ingested.accepted !== made.total)
      throw new Error(`stored ${ingested.accepted} of ${made.total} plays`);
  } finally {
    await engine.close();
  }
  return { ...made, version: await quickTrain(store) };
}

/** Trains the small model trainedStore makes (factors 8, epochs 2, seed 1, no top-N) in this process. */
export async function quickTrain(store: string): Promise<string> {
  const engine = await Engine.open({ store });
  try {
    const settings = trainSettingsSchema.parse({ factors: 8, epochs: 2, seed: 1, topN: false });
    return (await engine.affinity.train(toTrainConfig(settings), { serve: false })).version;
  } finally {
    await engine.close();
  }
}

/**
 * `total` distinct plays (of 97 users and 500 items, a minute apart) as a file of the generic format: what a
 * kill during ingest needs is rows, not a world. JSON lines go through the bulk path (DuckDB reads the file,
 * then stores it in batches); a CSV of the generic format is read row by row in JavaScript.
 */
export function playsFile(dir: string, total: number, format: "jsonl" | "csv" = "jsonl"): string {
  const lines: string[] = format === "csv" ? ["user,item,endTime,playedMs"] : [];
  for (let k = 0; k < total; k++) {
    const play = {
      user: `u${k % 97}`,
      item: `song-${k % 500}`,
      endTime: new Date(Date.UTC(2025, 0, 1) + k * 60_000).toISOString(),
      playedMs: 1000 * (k % 300),
    };
    lines.push(format === "csv" ? Object.values(play).join(",") : JSON.stringify(play));
  }
  const file = join(dir, `plays.${format}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/**
 * What a models folder holds: the complete versions (a manifest inside) and anything else. A version folder
 * without its manifest is what "half-written" would look like; saves write into `.tmp-*` and rename last.
 */
export function modelFolders(models: string): { complete: string[]; other: string[] } {
  const complete: string[] = [];
  const other: string[] = [];
  if (!existsSync(models)) return { complete, other };
  for (const name of readdirSync(models)) {
    if (name === "rewrites" || name === "evaluations") continue;
    if (existsSync(join(models, name, "manifest.json")) && !name.startsWith(".tmp-")) complete.push(name);
    else other.push(name);
  }
  return { complete: complete.sort(), other: other.sort() };
}

/**
 * The store's current model version, after checking in this process (the killed one is gone) that the
 * registry names exactly one, that it loads, and that recommend answers a known user with it.
 */
export async function currentServes(store: string, user: string): Promise<string> {
  const engine = await Engine.open({ store });
  try {
    const current = (await engine.store.listModels()).filter((m) => m.isCurrent);
    if (current.length !== 1) throw new Error(`${current.length} current models in the registry`);
    const answer = await engine.recommend.forUser(user, {});
    if (answer.model !== current[0].version)
      throw new Error(
        `recommend answered with ${answer.model}, the registry's current is ${current[0].version}`,
      );
    if (answer.items.length === 0) throw new Error("recommend answered with no items");
    return current[0].version;
  } finally {
    await engine.close();
  }
}

/** Every version the store's registry lists. */
export async function registered(store: string): Promise<string[]> {
  const s = await DuckDbEventStore.open(store);
  try {
    return (await s.listModels()).map((m) => m.version).sort();
  } finally {
    await s.close();
  }
}

/** How many plays the store (a DuckDB file or a PostgreSQL URL) holds. */
export async function storedPlays(store: string): Promise<number> {
  const s = isPostgresUrl(store) ? await PostgresEventStore.open(store) : await DuckDbEventStore.open(store);
  try {
    return await s.countPlays();
  } finally {
    await s.close();
  }
}
