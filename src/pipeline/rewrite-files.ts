import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { RewriteTable } from "../core/rewriting/rewrite-table.js";
import { fsyncDir, newModelVersion, writeFileSynced } from "./model-files.js";

/**
 * Rewrite tables live beside the model versions, one JSON file per build. Which one is current says the
 * pointer file `current.json` ({"version": ...}), replaced atomically by each build: version names sort
 * by time only to the second, so two builds within one second could not be ordered by name.
 */
export function rewritesDir(modelsDir: string): string {
  return join(modelsDir, "rewrites");
}

const POINTER = "current.json";

/**
 * Writes a table atomically (temporary file, fsync, rename), then points `current.json` at it the same
 * way; returns its version and path. A crash between the two leaves the previous table current.
 */
export function saveRewriteTable(modelsDir: string, table: RewriteTable): { version: string; path: string } {
  const dir = rewritesDir(modelsDir);
  mkdirSync(dir, { recursive: true });
  const version = newModelVersion();
  const path = join(dir, `${version}.json`);
  const write = (name: string, text: string) => {
    const tmp = join(dir, `.tmp-${version}-${name}-${process.pid}`);
    writeFileSynced(tmp, text);
    renameSync(tmp, join(dir, name));
    fsyncDir(dir);
  };
  write(`${version}.json`, JSON.stringify(table.toJSON()));
  write(POINTER, JSON.stringify({ version }));
  return { version, path };
}

/** The current rewrite table, or null when none was built. */
export function loadCurrentRewriteTable(modelsDir: string): { version: string; table: RewriteTable } | null {
  const dir = rewritesDir(modelsDir);
  if (!existsSync(dir)) return null;
  const version = currentVersion(dir);
  if (!version) return null;
  const table = RewriteTable.fromJSON(JSON.parse(readFileSync(join(dir, `${version}.json`), "utf8")));
  return { version, table };
}

function currentVersion(dir: string): string | null {
  const pointer = join(dir, POINTER);
  if (existsSync(pointer)) return (JSON.parse(readFileSync(pointer, "utf8")) as { version: string }).version;
  // Tables built before the pointer existed: the newest name (their builds were minutes apart).
  const files = readdirSync(dir)
    .filter((f) => f.startsWith("v") && f.endsWith(".json"))
    .sort();
  return files.at(-1)?.replace(/\.json$/, "") ?? null;
}
