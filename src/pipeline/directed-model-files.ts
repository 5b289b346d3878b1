import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { DirectedEmbeddings, DirectedGraph, NextCandidates } from "../core/directed/index.js";
import { writeFileSynced } from "./model-files.js";

/** What `manifest.json` of a directed model version holds, beside its binary arrays. */
export interface DirectedManifest {
  format: "tastebud-directed-model";
  formatVersion: 1;
  version: string;
  createdAt: string;
  /** Where the edges came from: "plays" (the plays-next graph of the store) or an edge file's path. */
  graphSource: string;
  nodes: number;
  edges: number;
  dim: number;
  /** Settings chosen on validation, and the rest as trained. */
  training: Record<string, unknown>;
}

export interface DirectedModelFiles {
  manifest: DirectedManifest;
  nodeIds: string[];
  embeddings: DirectedEmbeddings;
  graph: DirectedGraph;
}

const arrays = {
  "source.f32": Float32Array,
  "target.f32": Float32Array,
  "target-bias.f32": Float32Array,
  "out-offsets.i32": Int32Array,
  "out-targets.i32": Int32Array,
  "out-weights.f32": Float32Array,
  "in-offsets.i32": Int32Array,
  "in-sources.i32": Int32Array,
  "in-weights.f32": Float32Array,
} as const;

/** Directed model versions live in `<models>/directed/<version>/`; the newest complete one is current. */
export function directedModelsDir(modelsDir: string): string {
  return join(modelsDir, "directed");
}

/**
 * Writes a version atomically: every file into a `.tmp-*` folder, each fsynced, then one rename. A crash
 * leaves at most a `.tmp-*` folder, which loading ignores; the previous version stays current until then.
 */
export function saveDirectedModel(modelsDir: string, files: DirectedModelFiles): string {
  return stageDirectedModel(modelsDir, files).publish();
}

/**
 * A version written into its `.tmp-*` folder but not yet current: more files (the served index, built on a
 * worker thread) can go into `dir` first, then `publish()` renames it into place and returns its path.
 */
export function stageDirectedModel(
  modelsDir: string,
  files: DirectedModelFiles,
): { dir: string; publish(): string } {
  const root = directedModelsDir(modelsDir);
  mkdirSync(root, { recursive: true });
  const tmp = join(root, `.tmp-${files.manifest.version}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const { embeddings: e, graph: g } = files;
  const data: Record<keyof typeof arrays, Float32Array | Int32Array> = {
    "source.f32": e.source,
    "target.f32": e.target,
    "target-bias.f32": e.targetBias,
    "out-offsets.i32": g.outOffsets,
    "out-targets.i32": g.outTargets,
    "out-weights.f32": g.outWeights,
    "in-offsets.i32": g.inOffsets,
    "in-sources.i32": g.inSources,
    "in-weights.f32": g.inWeights,
  };
  writeArrays(tmp, data);
  writeFileSynced(join(tmp, "nodes.json"), JSON.stringify(files.nodeIds));
  writeFileSynced(join(tmp, "manifest.json"), JSON.stringify(files.manifest, null, 2));
  return {
    dir: tmp,
    publish() {
      const path = join(root, files.manifest.version);
      renameSync(tmp, path);
      return path;
    },
  };
}

/** The newest complete version's folder name, or null when none was trained. */
export function latestDirectedVersion(modelsDir: string): string | null {
  const root = directedModelsDir(modelsDir);
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => !name.startsWith(".") && existsSync(join(root, name, "manifest.json")))
    .sort();
  return versions.at(-1) ?? null;
}

export function loadDirectedModel(modelsDir: string, version: string): DirectedModelFiles {
  const dir = join(directedModelsDir(modelsDir), version);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as DirectedManifest;
  if (manifest.format !== "tastebud-directed-model" || manifest.formatVersion !== 1)
    throw new Error(
      `${dir}: not a tastebud directed model (format ${manifest.format} ${manifest.formatVersion})`,
    );
  const read = <K extends keyof typeof arrays>(name: K) =>
    readArray(join(dir, name), arrays[name]) as InstanceType<(typeof arrays)[K]>;
  const nodeIds = JSON.parse(readFileSync(join(dir, "nodes.json"), "utf8")) as string[];
  const n = manifest.nodes;
  const graph: DirectedGraph = {
    nodeCount: n,
    edgeCount: manifest.edges,
    outOffsets: read("out-offsets.i32"),
    outTargets: read("out-targets.i32"),
    outWeights: read("out-weights.f32"),
    inOffsets: read("in-offsets.i32"),
    inSources: read("in-sources.i32"),
    inWeights: read("in-weights.f32"),
  };
  const embeddings: DirectedEmbeddings = {
    nodeCount: n,
    dim: manifest.dim,
    source: read("source.f32"),
    target: read("target.f32"),
    targetBias: read("target-bias.f32"),
  };
  if (
    nodeIds.length !== n ||
    embeddings.source.length !== n * manifest.dim ||
    graph.outOffsets.length !== n + 1
  )
    throw new Error(`${dir}: arrays do not match the manifest (${n} nodes, dim ${manifest.dim})`);
  return { manifest, nodeIds, embeddings, graph };
}

const candidateArrays = {
  "next-nodes.i32": Int32Array,
  "next-logits.f32": Float32Array,
  "next-log-normaliser.f32": Float32Array,
  "next-floor-logit.f32": Float32Array,
  "next-floor-node.i32": Int32Array,
} as const;

/** Where a version keeps its candidate rows' shape (the arrays are files beside the manifest). */
export interface NextCandidatesShape {
  k: number;
  pool: number;
}

/** Each typed array as a file of its raw bytes, synced (the loaders view them in place). */
function writeArrays(dir: string, arrays: Record<string, Float32Array | Int32Array>): void {
  for (const [name, array] of Object.entries(arrays))
    writeFileSynced(join(dir, name), new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}

/**
 * Writes each node's kept next candidates into a staged version's folder (before `publish()`, so a version
 * is current with its rows or not at all).
 */
export function saveNextCandidates(dir: string, c: NextCandidates): void {
  const data: Record<keyof typeof candidateArrays, Float32Array | Int32Array> = {
    "next-nodes.i32": c.nodes,
    "next-logits.f32": c.logits,
    "next-log-normaliser.f32": c.logNormaliser,
    "next-floor-logit.f32": c.floorLogit,
    "next-floor-node.i32": c.floorNode,
  };
  writeArrays(dir, data);
}

/** A version's kept next candidates, or null for versions saved without them. */
export function loadNextCandidates(modelsDir: string, files: DirectedModelFiles): NextCandidates | null {
  const shape = files.manifest.training.nextCandidates as Partial<NextCandidatesShape> | undefined;
  if (!shape || typeof shape.k !== "number" || typeof shape.pool !== "number") return null;
  const dir = join(directedModelsDir(modelsDir), files.manifest.version);
  const n = files.manifest.nodes;
  const read = <K extends keyof typeof candidateArrays>(name: K, length: number) => {
    const out = readArray(join(dir, name), candidateArrays[name]);
    if (out.length !== length) throw new Error(`${dir}/${name}: ${out.length} entries, expected ${length}`);
    return out as InstanceType<(typeof candidateArrays)[K]>;
  };
  return {
    nodeCount: n,
    k: shape.k,
    pool: shape.pool,
    nodes: read("next-nodes.i32", n * shape.k),
    logits: read("next-logits.f32", n * shape.k),
    logNormaliser: read("next-log-normaliser.f32", n),
    floorLogit: read("next-floor-logit.f32", n),
    floorNode: read("next-floor-node.i32", n),
  };
}

/** A binary array file, copied into a fresh, aligned buffer (a Buffer may sit at any offset of a shared pool). */
function readArray(
  path: string,
  Type: Float32ArrayConstructor | Int32ArrayConstructor,
): Float32Array | Int32Array {
  const bytes = readFileSync(path);
  const out = new Type(bytes.byteLength / Type.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
