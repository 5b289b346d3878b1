import { type ChildProcessByStdio, execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { simulateWorld } from "../../src/core/simulate/index.js";
import { Engine } from "../../src/engine.js";
import { DuckDbEventStore } from "../../src/store/duckdb/duckdb-store.js";

/**
 * The built CLI, as a user runs it (`npm run test:faults` builds it first; CI's npm ci does): tsx's start-up
 * would add seconds to each of the suite's thirty-odd processes.
 */
const repo = resolve(import.meta.dirname, "../..");
const cli = join(repo, "dist/cli/main.js");
const nodeArgs = [cli];

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

/** How many plays the store holds. */
export async function storedPlays(store: string): Promise<number> {
  const s = await DuckDbEventStore.open(store);
  try {
    return await s.countPlays();
  } finally {
    await s.close();
  }
}
