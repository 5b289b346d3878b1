import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { RewriteTable } from "../core/rewriting/rewrite-table.js";
import { fsyncDir, newModelVersion, writeFileSynced } from "./model-files.js";

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
  writeFileSynced(tmp, JSON.stringify(table.toJSON()));
  renameSync(tmp, path);
  fsyncDir(dir);
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
