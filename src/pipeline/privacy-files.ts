import { createReadStream, existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { type EmbeddingTable, EmbeddingTableBuilder } from "../core/privacy/embeddings.js";
import { computeNeighbourhoods, type Neighbourhoods } from "../core/privacy/neighbours.js";
import { writeFileSynced } from "./model-files.js";

/** The GloVe 50-d, 10k-word table shipped with tastebud (public domain, see data/privacy/SOURCE.md). */
export function defaultEmbeddingPath(): string {
  // src/pipeline or dist/pipeline → package root.
  return join(
    dirname(fileURLToPath(import.meta.url)),
    "..",
    "..",
    "data",
    "privacy",
    "glove.6B.50d.10k.txt.gz",
  );
}

/** Streams a GloVe or word2vec text file (optionally .gz) into a table; errors name the line. */
export async function loadEmbeddingTable(path: string): Promise<EmbeddingTable> {
  if (!existsSync(path)) throw new Error(`embedding table not found: ${path}`);
  const raw = createReadStream(path);
  const input = path.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  const builder = new EmbeddingTableBuilder(path);
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }))
    builder.addLine(line);
  return builder.build();
}

const CACHE_MAGIC = "tastebud-neighbours-v1";

/**
 * The table's neighbourhoods, from `<table>.neighbours.bin` when it matches the table (size, mtime, words,
 * dimensions, k), else computed and written there atomically (temp file, fsync, rename). A table in a
 * read-only place is still served: the cache is then recomputed on each load.
 */
export function loadNeighbourhoods(
  tablePath: string,
  table: EmbeddingTable,
  options: { k?: number; exactUpTo?: number } = {},
): { neighbourhoods: Neighbourhoods; cached: boolean; cachePath: string } {
  const cachePath = `${tablePath}.neighbours.bin`;
  const stat = statSync(tablePath);
  const key = {
    magic: CACHE_MAGIC,
    bytes: stat.size,
    mtimeMs: stat.mtimeMs,
    words: table.size,
    dimensions: table.dimensions,
    k: Math.min(options.k ?? 64, table.size - 1),
    exactUpTo: options.exactUpTo ?? 20_000,
  };
  if (existsSync(cachePath)) {
    const hit = readCache(cachePath, key);
    if (hit) return { neighbourhoods: hit, cached: true, cachePath };
  }
  const neighbourhoods = computeNeighbourhoods(table, options);
  try {
    const header = Buffer.from(
      JSON.stringify({
        ...key,
        deltaMin: neighbourhoods.deltaMin,
        deltaMax: neighbourhoods.deltaMax,
        exact: neighbourhoods.exact,
      }),
    );
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    const body = Buffer.concat([
      length,
      header,
      Buffer.from(neighbourhoods.ids.buffer, neighbourhoods.ids.byteOffset, neighbourhoods.ids.byteLength),
      Buffer.from(
        neighbourhoods.distances.buffer,
        neighbourhoods.distances.byteOffset,
        neighbourhoods.distances.byteLength,
      ),
    ]);
    const tmp = `${cachePath}.${process.pid}.tmp`;
    writeFileSynced(tmp, body);
    renameSync(tmp, cachePath);
  } catch {
    // Read-only folder (e.g. an installed package): serve without a cache.
  }
  return { neighbourhoods, cached: false, cachePath };
}

function readCache(path: string, key: Record<string, unknown>): Neighbourhoods | null {
  try {
    const buf = readFileSync(path);
    const headerLength = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + headerLength).toString("utf8"));
    for (const [name, value] of Object.entries(key)) if (header[name] !== value) return null;
    const k = header.k as number;
    const cells = (header.words as number) * k;
    const at = 4 + headerLength;
    if (buf.length !== at + cells * 8) return null;
    // Copied out so the arrays are aligned whatever the header length.
    const ids = new Int32Array(cells);
    const distances = new Float32Array(cells);
    new Uint8Array(ids.buffer).set(buf.subarray(at, at + cells * 4));
    new Uint8Array(distances.buffer).set(buf.subarray(at + cells * 4, at + cells * 8));
    return { k, ids, distances, deltaMin: header.deltaMin, deltaMax: header.deltaMax, exact: header.exact };
  } catch {
    return null;
  }
}
