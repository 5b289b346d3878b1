import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { type EmbeddingTable, EmbeddingTableBuilder } from "../core/privacy/embeddings.js";
import { savedGraphDeltaMin } from "../core/privacy/hnsw-graph.js";
import {
  computeNeighbourhoods,
  EagerNeighbourhoods,
  emptyIndex,
  HNSW_CONNECTIVITY,
  HNSW_EXPANSION_ADD,
  type HnswIndex,
  indexedDeltaMin,
  indexSearch,
  LazyNeighbourhoods,
  NEIGHBOUR_EXPANSION_SEARCH,
  type Neighbourhoods,
  nearestIndex,
  sampledDeltaMax,
} from "../core/privacy/neighbours.js";
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

/** A table as read from its file, with the SHA-256 of the file's bytes (as stored, before gunzip). */
export interface EmbeddingFile {
  table: EmbeddingTable;
  sha256: string;
  bytes: number;
}

/**
 * Streams a GloVe or word2vec text file (optionally .gz) into a table, hashing the raw bytes on the way
 * (the key of the caches beside the table); errors name the line.
 */
export async function readEmbeddingFile(path: string): Promise<EmbeddingFile> {
  if (!existsSync(path)) throw new Error(`embedding table not found: ${path}`);
  const hash = createHash("sha256");
  let bytes = 0;
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const builder = new EmbeddingTableBuilder(path);
  if (path.endsWith(".gz")) {
    // pipe reads by 'data' events too, so a listener sees every compressed chunk.
    raw.on("data", (chunk) => {
      hash.update(chunk as Buffer);
      bytes += chunk.length;
    });
    for await (const chunk of raw.pipe(createGunzip({ chunkSize: 1 << 20 }))) builder.push(chunk as Buffer);
  } else {
    for await (const chunk of raw) {
      hash.update(chunk as Buffer);
      bytes += chunk.length;
      builder.push(chunk as Buffer);
    }
  }
  return { table: builder.build(), sha256: hash.digest("hex"), bytes };
}

export async function loadEmbeddingTable(path: string): Promise<EmbeddingTable> {
  return (await readEmbeddingFile(path)).table;
}

const CACHE_MAGIC = "tastebud-neighbours-v2";
const INDEX_MAGIC = "tastebud-hnsw-v1";

export interface NeighbourhoodFileOptions {
  k?: number;
  /** Tables up to this many words get every row at once, exactly (default 20,000); larger ones go lazy. */
  exactUpTo?: number;
  /** Rows a lazy table holds in memory at most (default: all words). */
  lazyCapacity?: number;
  threads?: number;
}

export interface OpenedNeighbourhoods {
  neighbourhoods: Neighbourhoods;
  /** Whether the neighbourhoods (small table) or the index and Δ (large table) came from the cache. */
  cached: boolean;
  cachePath: string;
  /** Large tables: the saved HNSW index (null when it could not be written), for other searches to view. */
  indexPath: string | null;
  /** Large tables: the index the rows search (built, or viewing indexPath). */
  index: HnswIndex | null;
  /** Seconds per step of this opening: index build or view, Δ_min, Δ_max, save. */
  seconds: Record<string, number>;
}

/**
 * The table's neighbourhoods. Up to exactUpTo words: every row, exactly, from `<table>.neighbours.bin` when
 * it matches the table (content hash, size, words, dimensions, k), else computed and written there
 * atomically (temp file, fsync, rename). Above: lazy rows from an HNSW index (openLazyNeighbourhoods). A
 * table in a read-only place is still served: the cache is then recomputed on each load.
 */
export function loadNeighbourhoods(
  tablePath: string,
  file: EmbeddingFile,
  options: NeighbourhoodFileOptions = {},
): OpenedNeighbourhoods {
  const { table } = file;
  if (table.size > (options.exactUpTo ?? 20_000)) return openLazyNeighbourhoods(tablePath, file, options);
  const cachePath = `${tablePath}.neighbours.bin`;
  const key = {
    magic: CACHE_MAGIC,
    sha256: file.sha256,
    bytes: file.bytes,
    words: table.size,
    dimensions: table.dimensions,
    k: Math.min(options.k ?? 64, table.size - 1),
    exactUpTo: options.exactUpTo ?? 20_000,
  };
  const opened = { cachePath, indexPath: null, index: null };
  const t = performance.now();
  if (existsSync(cachePath)) {
    const hit = readCache(cachePath, key);
    if (hit) return { ...opened, neighbourhoods: hit, cached: true, seconds: { read: since(t) } };
  }
  const neighbourhoods = computeNeighbourhoods(table, options);
  const seconds = { compute: since(t) };
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
  return { ...opened, neighbourhoods, cached: false, seconds };
}

/**
 * A large table's neighbourhoods, lazily: each word's row is searched in an HNSW index on first use and
 * kept (LazyNeighbourhoods). The index is built once with usearch's multi-threaded add and saved as
 * `<table>.hnsw.usearch`, with `<table>.hnsw.json` holding its key (the table's SHA-256 and size, words,
 * dimensions, graph settings) and Δ_min / Δ_max; a later opening whose key matches memory-maps the saved
 * index (usearch view) and reads Δ from the JSON, so only the first opening builds. Δ_min is read from the
 * saved graph (savedGraphDeltaMin: every word's level-0 neighbours; indexedDeltaMin, every word's nearest
 * others searched, when the index could not be saved), Δ_max sampledDeltaMax (512 words' exact farthest).
 */
export function openLazyNeighbourhoods(
  tablePath: string,
  file: EmbeddingFile,
  options: NeighbourhoodFileOptions = {},
): OpenedNeighbourhoods {
  const { table } = file;
  const k = Math.min(options.k ?? 64, table.size - 1);
  const threads = options.threads ?? 0;
  const cachePath = `${tablePath}.hnsw.json`;
  const indexPath = `${tablePath}.hnsw.usearch`;
  const key = {
    magic: INDEX_MAGIC,
    sha256: file.sha256,
    bytes: file.bytes,
    words: table.size,
    dimensions: table.dimensions,
    connectivity: HNSW_CONNECTIVITY,
    expansionAdd: HNSW_EXPANSION_ADD,
  };
  const lazy = (index: HnswIndex, deltaMin: number, deltaMax: number) =>
    new LazyNeighbourhoods(table, indexSearch(index), k, deltaMin, deltaMax, false, options.lazyCapacity);
  const seconds: Record<string, number> = {};
  let t = performance.now();
  const saved = readIndexCache(cachePath, indexPath, key);
  if (saved) {
    const index = emptyIndex(table.dimensions, NEIGHBOUR_EXPANSION_SEARCH);
    try {
      index.view(indexPath);
    } catch {
      // A truncated or foreign file: rebuilt below.
    }
    if (index.size() === table.size) {
      seconds.viewIndex = since(t);
      return {
        neighbourhoods: lazy(index, saved.deltaMin, saved.deltaMax),
        cached: true,
        cachePath,
        indexPath,
        index,
        seconds,
      };
    }
  }
  t = performance.now();
  const index = nearestIndex(table, threads, NEIGHBOUR_EXPANSION_SEARCH);
  seconds.buildIndex = since(t);
  t = performance.now();
  let written: string | null = null;
  try {
    const tmp = `${indexPath}.${process.pid}.tmp`;
    index.save(tmp);
    renameSync(tmp, indexPath);
    written = indexPath;
  } catch {
    // Read-only folder: serve from the index in memory; the next opening builds again.
  }
  seconds.saveIndex = since(t);
  t = performance.now();
  // Δ_min from the saved graph's level-0 lists (one pass, no search); searched when there is no saved file
  // or its layout is not the one savedGraphDeltaMin reads.
  const fromGraph = written
    ? savedGraphDeltaMin(table, readFileSync(written), HNSW_CONNECTIVITY, 4 * table.dimensions)
    : null;
  const deltaMin = fromGraph ?? indexedDeltaMin(table, index, 4, threads);
  seconds.deltaMin = since(t);
  t = performance.now();
  const deltaMax = sampledDeltaMax(table, 512, threads);
  seconds.deltaMax = since(t);
  if (written) {
    try {
      const header = {
        ...key,
        indexBytes: statSync(indexPath).size,
        deltaMin,
        deltaMax,
        deltaMinFrom: fromGraph === null ? "search" : "graph",
      };
      const tmpJson = `${cachePath}.${process.pid}.tmp`;
      writeFileSynced(tmpJson, JSON.stringify(header));
      renameSync(tmpJson, cachePath);
    } catch {
      // The index stays usable this time; without its key the next opening builds again.
    }
  }
  return {
    neighbourhoods: lazy(index, deltaMin, deltaMax),
    cached: false,
    cachePath,
    indexPath: written,
    index,
    seconds,
  };
}

function readIndexCache(
  cachePath: string,
  indexPath: string,
  key: Record<string, unknown>,
): { deltaMin: number; deltaMax: number } | null {
  try {
    if (!existsSync(cachePath) || !existsSync(indexPath)) return null;
    const header = JSON.parse(readFileSync(cachePath, "utf8"));
    for (const [name, value] of Object.entries(key)) if (header[name] !== value) return null;
    if (statSync(indexPath).size !== header.indexBytes) return null;
    if (!(header.deltaMin > 0) || !(header.deltaMax >= header.deltaMin)) return null;
    return { deltaMin: header.deltaMin, deltaMax: header.deltaMax };
  } catch {
    return null;
  }
}

function since(t: number): number {
  return Math.round(performance.now() - t) / 1000;
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
    return new EagerNeighbourhoods(k, ids, distances, header.deltaMin, header.deltaMax, header.exact);
  } catch {
    return null;
  }
}
