import { existsSync, renameSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type pg from "pg";
import copyStreams from "pg-copy-streams";
import { firstMessageOf, startModuleWorker } from "../../threads/index.js";
import { writeCopiedField } from "./copy-binary.js";

/**
 * Writes a registered version's files from the store into `dir` (false when the store has none), through
 * a temporary folder renamed into place, so a crash never leaves a half-fetched version under its name.
 */
export async function fetchModelFiles(c: pg.ClientBase, version: string, dir: string): Promise<boolean> {
  const names = (
    await c.query({
      text: "SELECT name FROM model_files WHERE version = $1",
      values: [version],
      rowMode: "array",
    })
  ).rows.map((r) => r[0] as string);
  if (names.length === 0) return false;
  // Named as model saves name theirs, so a crash's leftover is removed like one (removeAbandonedTemporaries).
  const tmp = join(dirname(dir), `.tmp-fetch-${version}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  for (const name of names) {
    const path = join(tmp, name);
    await mkdir(dirname(path), { recursive: true });
    // Streamed in binary, file by file: the files are tens of MB, and a query would bring each as one row
    // of hex to decode.
    const copy = c.query(
      copyStreams.to(
        `COPY (SELECT bytes FROM model_files WHERE version = ${c.escapeLiteral(version)} AND name = ${c.escapeLiteral(name)}) TO STDOUT (FORMAT binary)`,
      ),
    );
    await writeCopiedField(copy, path);
  }
  if (existsSync(dir)) rmSync(tmp, { recursive: true, force: true });
  else renameSync(tmp, dir);
  return true;
}

export interface ModelFetchRequest {
  url: string;
  version: string;
  dir: string;
}

/**
 * fetchModelFiles on a worker thread of its own, with a connection of its own, at background priority. A
 * serving replica fetches a new version while it answers requests: on its own thread, streaming some 70 MB
 * out of PostgreSQL (the binary COPY's chunks parsed and written) took about 0.36 s of the thread answering
 * requests, and the quiet bench's p99 during a swap from the store stayed at 3.8x the steady one.
 */
export function fetchModelFilesOffThread(request: ModelFetchRequest): Promise<boolean> {
  return firstMessageOf(
    startModuleWorker(import.meta.url, "model-fetch-worker", request, { background: true }),
    "the model-fetching thread",
  );
}
