import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { RewriteTable } from "../core/rewriting/markov.js";
import { newModelVersion } from "./model-files.js";

/** Rewrite tables live beside the model versions, one JSON file per build, newest name = current. */
export function rewritesDir(modelsDir: string): string {
  return join(modelsDir, "rewrites");
}

/** Writes a table atomically (temporary file, fsync, rename); returns its version and path. */
export function saveRewriteTable(modelsDir: string, table: RewriteTable): { version: string; path: string } {
  const dir = rewritesDir(modelsDir);
  mkdirSync(dir, { recursive: true });
  const version = newModelVersion();
  const path = join(dir, `${version}.json`);
  const tmp = join(dir, `.tmp-${version}-${process.pid}`);
  const fd = openSync(tmp, "w");
  try {
    const bytes = Buffer.from(JSON.stringify(table.toJSON()));
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return { version, path };
}

/** The newest rewrite table, or null when none was built. */
export function loadCurrentRewriteTable(modelsDir: string): { version: string; table: RewriteTable } | null {
  const dir = rewritesDir(modelsDir);
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir)
    .filter((f) => f.startsWith("v") && f.endsWith(".json"))
    .sort();
  const latest = files.at(-1);
  if (!latest) return null;
  const table = RewriteTable.fromJSON(JSON.parse(readFileSync(join(dir, latest), "utf8")));
  return { version: latest.replace(/\.json$/, ""), table };
}
