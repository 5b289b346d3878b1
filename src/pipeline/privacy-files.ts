import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { type EmbeddingTable, EmbeddingTableBuilder } from "../core/privacy/embeddings.js";
import { savedGraphDeltaMin } from "../core/privacy/hnsw-graph.js";
import {
  buildIvf,
  IVF_NPROBE_ROWS,
  type IvfIndex,
  ivfAssignment,
  ivfDeltaMin,
  ivfFromAssignment,
  ivfNeighbourSearch,
} from "../core/privacy/ivf.js";
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
  /**
   * The index of tables above exactUpTo: "ivf" (default; k-means lists, built in seconds, saved as
   * `<table>.ivf.bin`) or "hnsw" (usearch's graph, what large tables used before; `<table>.hnsw.usearch`).
   */
  largeIndex?: LargeIndexKind;
}

export const largeIndexKinds = ["ivf", "hnsw"] as const;
export type LargeIndexKind = (typeof largeIndexKinds)[number];

export interface OpenedNeighbourhoods {
  neighbourhoods: Neighbourhoods;
  /** Whether the neighbourhoods (small table) or the index and Δ (large table) came from the cache. */
  cached: boolean;
  cachePath: string;
  /** Large tables: the saved HNSW index (null when it could not be written), for other searches to view. */
  indexPath: string | null;
  /** Large tables: the index the rows search (built, or viewing indexPath). */
  index: HnswIndex | null;
  /** Large tables on the IVF path: its index (what Laplace's nearest-word search uses too). */
  ivf?: IvfIndex | null;
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
  if (table.size > (options.exactUpTo ?? 20_000))
    return (options.largeIndex ?? "ivf") === "ivf"
      ? openIvfNeighbourhoods(tablePath, file, options)
      : openLazyNeighbourhoods(tablePath, file, options);
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

const IVF_MAGIC = "tastebud-ivf-v1";
/** The IVF build's settings, part of its saved file's key (a change rebuilds). */
const IVF_SETTINGS = { trainingSample: 50_000, iterations: 8, seed: 1 };

/**
 * A large table's neighbourhoods from an IVF index (src/core/privacy/ivf.ts): rows on first use, searched
 * in the IVF_NPROBE_ROWS nearest lists. The index (centroids and each word's list) is saved as
 * `<table>.ivf.bin` with a JSON header holding its key (the table's SHA-256 and size, words, dimensions,
 * lists and build settings) and Δ_min / Δ_max, written to a temporary file, fsynced and renamed; a later
 * opening whose key matches rebuilds the lists from the saved assignment (no k-means, no Δ). Δ_min is
 * ivfDeltaMin (pairs within lists and across each word's two nearest lists), Δ_max sampledDeltaMax.
 */
export function openIvfNeighbourhoods(
  tablePath: string,
  file: EmbeddingFile,
  options: NeighbourhoodFileOptions = {},
): OpenedNeighbourhoods {
  const { table } = file;
  const k = Math.min(options.k ?? 64, table.size - 1);
  const cachePath = `${tablePath}.ivf.bin`;
  const lists = Math.max(1, Math.round(Math.sqrt(table.size)));
  const key = {
    magic: IVF_MAGIC,
    sha256: file.sha256,
    bytes: file.bytes,
    words: table.size,
    dimensions: table.dimensions,
    lists,
    ...IVF_SETTINGS,
  };
  const lazy = (ivf: IvfIndex, deltaMin: number, deltaMax: number) =>
    new LazyNeighbourhoods(
      table,
      ivfNeighbourSearch(ivf, IVF_NPROBE_ROWS),
      k,
      deltaMin,
      deltaMax,
      false,
      options.lazyCapacity,
    );
  const seconds: Record<string, number> = {};
  let t = performance.now();
  const saved = readIvfCache(cachePath, key, table.size, table.dimensions);
  if (saved) {
    const ivf = ivfFromAssignment(table, saved.centroids, saved.assignment);
    seconds.readIndex = since(t);
    return {
      neighbourhoods: lazy(ivf, saved.deltaMin, saved.deltaMax),
      cached: true,
      cachePath,
      indexPath: null,
      index: null,
      ivf,
      seconds,
    };
  }
  const build = buildIvf(table, { lists, ...IVF_SETTINGS });
  seconds.buildIndex = since(t);
  t = performance.now();
  const deltaMin = ivfDeltaMin(table, build);
  seconds.deltaMin = since(t);
  t = performance.now();
  const deltaMax = sampledDeltaMax(table, 512, options.threads ?? 0);
  seconds.deltaMax = since(t);
  t = performance.now();
  try {
    const header = Buffer.from(JSON.stringify({ ...key, deltaMin, deltaMax }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    const { centroids } = build.index;
    const assignment = ivfAssignment(build.index);
    const tmp = `${cachePath}.${process.pid}.tmp`;
    writeFileSynced(
      tmp,
      Buffer.concat([
        length,
        header,
        Buffer.from(centroids.buffer, centroids.byteOffset, centroids.byteLength),
        Buffer.from(assignment.buffer, assignment.byteOffset, assignment.byteLength),
      ]),
    );
    renameSync(tmp, cachePath);
  } catch {
    // Read-only folder: serve from memory; the next opening builds again.
  }
  seconds.saveIndex = since(t);
  return {
    neighbourhoods: lazy(build.index, deltaMin, deltaMax),
    cached: false,
    cachePath,
    indexPath: null,
    index: null,
    ivf: build.index,
    seconds,
  };
}

function readIvfCache(
  path: string,
  key: Record<string, unknown>,
  words: number,
  dimensions: number,
): { centroids: Float32Array; assignment: Int32Array; deltaMin: number; deltaMax: number } | null {
  try {
    if (!existsSync(path)) return null;
    const buf = readFileSync(path);
    const headerLength = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + headerLength).toString("utf8"));
    for (const [name, value] of Object.entries(key)) if (header[name] !== value) return null;
    if (!(header.deltaMin > 0) || !(header.deltaMax >= header.deltaMin)) return null;
    const lists = header.lists as number;
    const at = 4 + headerLength;
    const centroidBytes = lists * dimensions * 4;
    if (buf.length !== at + centroidBytes + words * 4) return null;
    // Copied out so the arrays are aligned whatever the header length.
    const centroids = new Float32Array(lists * dimensions);
    const assignment = new Int32Array(words);
    new Uint8Array(centroids.buffer).set(buf.subarray(at, at + centroidBytes));
    new Uint8Array(assignment.buffer).set(buf.subarray(at + centroidBytes));
    for (let w = 0; w < words; w++) if (!(assignment[w] >= 0 && assignment[w] < lists)) return null;
    return { centroids, assignment, deltaMin: header.deltaMin, deltaMax: header.deltaMax };
  } catch {
    return null;
  }
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
