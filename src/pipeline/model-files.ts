import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { AffinityModel } from "../core/affinity/affinity-model.js";
import type { AffinityBlend } from "../core/affinity/blend.js";
import type { TrainingCurvePoint } from "../core/affinity/training-curve.js";
import type { LabelRule } from "../core/affinity/weighting.js";
import type { RecommenderChoice, SkipMeaning, TopNModel, TopNSelection } from "../core/recommend/index.js";
import type { EventStore } from "../store/event-store.js";
import type { CpuPacer } from "../threads/index.js";

/** What `manifest.json` in a model version folder holds, beside the binary arrays. */
export interface ModelManifest {
  format: "tastebud-affinity-model";
  formatVersion: 1;
  version: string;
  createdAt: string;
  config: unknown;
  dataWindow: {
    plays: number;
    users: number;
    items: number;
    from: string | null;
    to: string | null;
    /** When training read the store (its snapshot); replicas fold in only plays published after it. */
    readAt?: string;
  };
  metrics: unknown;
  rule: LabelRule;
  blend: AffinityBlend;
  globalLongRate: number;
  factors: number;
  nUsers: number;
  nItems: number;
  nCells: number;
  /** File name -> element type, so a reader can check what it maps. */
  arrays: Record<string, "float32" | "int32" | "float64">;
  /** Side models learned with this version (e.g. "contextPriors"), each in `<name>.json`. */
  extras?: string[];
  /**
   * The top-N model `recommend` serves (absent: versions trained before it existed, or with it turned off;
   * recommend then ranks by the affinity model). Its arrays are the `topn-*` files.
   */
  topN?: TopNManifest;
  /** The sampled pairwise loss after every epoch of training (versions trained before it have none). */
  trainingCurve?: TrainingCurvePoint[];
}

/** What the manifest says of the top-N model: what was chosen, on what validation, and how it is stored. */
export interface TopNManifest {
  choice: RecommenderChoice;
  /** The choice in words, as recommend answers name it. */
  name: string;
  skips: SkipMeaning;
  /** "item-item": topn-row-ptr/targets/weights; "factors": topn-*-factors and bias; "popularity": none. */
  storage: "item-item" | "factors" | "popularity";
  factors?: number;
  nUsers?: number;
  validation: TopNSelection["validation"];
  seconds: number;
}

type ArrayFields = Record<string, Float32Array | Int32Array | Float64Array>;

/** The top-N model to save beside the affinity model, with what selection found. */
export interface TopNToSave {
  model: TopNModel;
  selection: TopNSelection;
  name: string;
  seconds: number;
}

function topNArrays(t: TopNModel): ArrayFields {
  const out: ArrayFields = { "topn-popularity.f32": t.popularity };
  if (t.itemItem) {
    out["topn-row-ptr.i32"] = t.itemItem.rowPtr;
    out["topn-targets.i32"] = t.itemItem.targets;
    out["topn-weights.f32"] = t.itemItem.weights;
  }
  if (t.factors) {
    out["topn-user-factors.f32"] = t.factors.userFactors;
    out["topn-item-factors.f32"] = t.factors.itemFactors;
    out["topn-item-bias.f32"] = t.factors.itemBias;
  }
  return out;
}

function modelArrays(m: AffinityModel): ArrayFields {
  return {
    "user-factors.f32": m.factors.userFactors,
    "item-factors.f32": m.factors.itemFactors,
    "item-bias.f32": m.factors.itemBias,
    "history-row-ptr.i32": m.history.rowPtr,
    "history-items.i32": m.history.items,
    "history-sum.f32": m.history.sum,
    "history-count.i32": m.history.count,
    "history-long-count.i32": m.history.longCount,
    "popularity.f64": m.popularity,
    "item-long-rate.f32": m.itemLongRate,
    "user-long-rate.f32": m.userLongRate,
  };
}

/** Writes a whole file and fsyncs it before closing. */
export function writeFileSynced(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, "w");
  try {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a model version atomically: everything goes into a temporary folder, each file fsynced, and the
 * folder is renamed into place last. A crash leaves at most a `.tmp-*` folder, never a half-written
 * version; `loadModel` ignores such folders.
 */
export function saveModel(
  modelsDir: string,
  version: string,
  model: AffinityModel,
  meta: Pick<ModelManifest, "config" | "dataWindow" | "metrics">,
  extras: Record<string, unknown> = {},
  topN?: TopNToSave,
): string {
  mkdirSync(modelsDir, { recursive: true });
  const finalDir = join(modelsDir, version);
  if (existsSync(finalDir)) throw new Error(`model version ${version} already exists in ${modelsDir}`);
  const tmpDir = join(modelsDir, `.tmp-${version}-${process.pid}`);
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir);
  const arrays = { ...modelArrays(model), ...(topN ? topNArrays(topN.model) : {}) };
  const manifest: ModelManifest = {
    format: "tastebud-affinity-model",
    formatVersion: 1,
    version,
    createdAt: new Date().toISOString(),
    ...meta,
    rule: model.rule,
    blend: model.blend,
    globalLongRate: model.globalLongRate,
    factors: model.factors.factors,
    nUsers: model.factors.nUsers,
    nItems: model.factors.nItems,
    nCells: model.history.items.length,
    arrays: Object.fromEntries(
      Object.entries(arrays).map(([name, a]) => [
        name,
        a instanceof Float32Array ? "float32" : a instanceof Int32Array ? "int32" : "float64",
      ]),
    ),
    extras: Object.keys(extras),
    ...(model.trainingCurve ? { trainingCurve: model.trainingCurve } : {}),
    ...(topN
      ? {
          topN: {
            choice: topN.model.choice,
            name: topN.name,
            skips: topN.model.skips,
            storage: topN.model.itemItem ? "item-item" : topN.model.factors ? "factors" : "popularity",
            ...(topN.model.factors
              ? { factors: topN.model.factors.factors, nUsers: topN.model.factors.nUsers }
              : {}),
            validation: topN.selection.validation,
            seconds: topN.seconds,
          },
        }
      : {}),
  };
  for (const [name, a] of Object.entries(arrays)) {
    writeFileSynced(join(tmpDir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  writeFileSynced(join(tmpDir, "users.json"), JSON.stringify(model.users));
  writeFileSynced(join(tmpDir, "items.json"), JSON.stringify(model.items));
  for (const [name, value] of Object.entries(extras)) {
    if (!/^[a-zA-Z][a-zA-Z0-9-]*$/.test(name)) throw new Error(`bad name for a model extra: ${name}`);
    writeFileSynced(join(tmpDir, `${name}.json`), JSON.stringify(value));
  }
  // The manifest is written last inside the temporary folder; the rename publishes the whole version.
  writeFileSynced(join(tmpDir, "manifest.json"), JSON.stringify(manifest, null, 2));
  renameSync(tmpDir, finalDir);
  fsyncDir(modelsDir);
  return finalDir;
}

/** Fsyncs a folder, so a rename into it survives a crash. */
/**
 * How old a `.tmp-*` entry of a live process must be before it counts as abandoned: its pid may have been
 * reused after a crash (common in containers), while no save takes anywhere near this long.
 */
export const abandonedAfterMs = 60 * 60 * 1000;

/**
 * Removes the `.tmp-*` files and folders that crashed saves left in `dir` (named `.tmp-<...>-<pid>` by
 * saveModel, saveRewriteTable and the evaluation records). A save in progress is never touched: an entry
 * goes only when the process that wrote it is gone, or when it is older than `abandonedAfterMs`. Returns the
 * names removed.
 */
export function removeAbandonedTemporaries(dir: string, nowMs = Date.now()): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const pid = /^\.tmp-.*-(\d+)$/.exec(name)?.[1];
    if (pid === undefined) continue;
    const path = join(dir, name);
    let ageMs: number;
    try {
      ageMs = nowMs - statSync(path).mtimeMs;
    } catch {
      continue; // renamed into place meanwhile
    }
    if (processAlive(Number(pid)) && ageMs < abandonedAfterMs) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A version's array files already in memory, by file name (readArraysPaced): the loaders take them from
 * here instead of reading the folder.
 */
export type ReadArrays = ReadonlyMap<string, ArrayBuffer>;

const ARRAY_FILE = /\.(f32|i32|f64)$/;
/** How much of a file is read between two of the pacer's rests. */
const PACED_CHUNK_BYTES = 1 << 20;

/**
 * Reads every array file of a version's folder into its own ArrayBuffer (aligned, so no copy is needed
 * for the typed-array view), a chunk at a time with `pacer.breathe()` between chunks, so a reader kept
 * to a share of a core spreads the tens of MB of an item-item top-N model over time instead of taking a
 * core for them at once. Reads run on the calling thread (readSync), not on libuv's pool, whose threads
 * keep the normal priority.
 */
export async function readArraysPaced(
  dir: string,
  pacer: Pick<CpuPacer, "breathe">,
  wanted: (name: string) => boolean = () => true,
): Promise<ReadArrays> {
  const arrays = new Map<string, ArrayBuffer>();
  for (const name of readdirSync(dir).filter((n) => ARRAY_FILE.test(n) && wanted(n))) {
    const fd = openSync(join(dir, name), "r");
    try {
      const size = fstatSync(fd).size;
      const buffer = new ArrayBuffer(size);
      const bytes = new Uint8Array(buffer);
      for (let at = 0; at < size; ) {
        const read = readSync(fd, bytes, at, Math.min(PACED_CHUNK_BYTES, size - at), at);
        if (read === 0) throw new Error(`model file ${join(dir, name)} ended at byte ${at} of ${size}`);
        at += read;
        await pacer.breathe();
      }
      arrays.set(name, buffer);
    } finally {
      closeSync(fd);
    }
  }
  return arrays;
}

function readArray<T extends Float32Array | Int32Array | Float64Array>(
  path: string,
  ctor: { new (buffer: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number },
  read?: ReadArrays,
): T {
  const ready = read?.get(basename(path));
  if (ready) {
    if (ready.byteLength % ctor.BYTES_PER_ELEMENT !== 0)
      throw new Error(`model file ${path} holds ${ready.byteLength} bytes, not whole ${ctor.name} elements`);
    return new ctor(ready, 0, ready.byteLength / ctor.BYTES_PER_ELEMENT);
  }
  const buf = readFileSync(path);
  // Copy into a fresh, aligned buffer: Node's pooled Buffers may not be aligned for typed-array views.
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return new ctor(copy, 0, buf.byteLength / ctor.BYTES_PER_ELEMENT);
}

/** A side model saved with a version, or null when this version has none by that name. */
export function loadModelExtra(dir: string, manifest: ModelManifest, name: string): unknown {
  if (!manifest.extras?.includes(name)) return null;
  return JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
}

/** A model version's manifest, checked to be one this code reads. */
export function loadManifest(dir: string): ModelManifest {
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath)) throw new Error(`no model at ${dir} (manifest.json missing)`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ModelManifest;
  if (manifest.format !== "tastebud-affinity-model" || manifest.formatVersion !== 1) {
    throw new Error(`model at ${dir} has an unknown format (${manifest.format} v${manifest.formatVersion})`);
  }
  return manifest;
}

/** The saved top-N model of a version, or null when it has none. */
export function loadTopN(dir: string, manifest: ModelManifest, read?: ReadArrays): TopNModel | null {
  const t = manifest.topN;
  if (!t) return null;
  const f32 = (name: string) => readArray(join(dir, name), Float32Array, read);
  const i32 = (name: string) => readArray(join(dir, name), Int32Array, read);
  const model: TopNModel = {
    choice: t.choice,
    skips: t.skips,
    nItems: manifest.nItems,
    popularity: f32("topn-popularity.f32"),
  };
  if (t.storage === "item-item") {
    model.itemItem = {
      nItems: manifest.nItems,
      rowPtr: i32("topn-row-ptr.i32"),
      targets: i32("topn-targets.i32"),
      weights: f32("topn-weights.f32"),
    };
    if (model.itemItem.rowPtr.length !== manifest.nItems + 1)
      throw new Error(`model at ${dir} is inconsistent: top-N rows do not match its item count`);
  }
  if (t.storage === "factors") {
    model.factors = {
      nUsers: t.nUsers ?? 0,
      nItems: manifest.nItems,
      factors: t.factors ?? 0,
      userFactors: f32("topn-user-factors.f32"),
      itemFactors: f32("topn-item-factors.f32"),
      itemBias: f32("topn-item-bias.f32"),
    };
  }
  return model;
}

/** A version's affinity model; `read` holds its arrays when they were read already (readArraysPaced). */
export function loadModel(dir: string, read?: ReadArrays): { model: AffinityModel; manifest: ModelManifest } {
  const manifest = loadManifest(dir);
  const f32 = (name: string) => readArray(join(dir, name), Float32Array, read);
  const i32 = (name: string) => readArray(join(dir, name), Int32Array, read);
  const users = JSON.parse(readFileSync(join(dir, "users.json"), "utf8")) as string[];
  const items = JSON.parse(readFileSync(join(dir, "items.json"), "utf8")) as string[];
  const model: AffinityModel = {
    users,
    items,
    factors: {
      nUsers: manifest.nUsers,
      nItems: manifest.nItems,
      factors: manifest.factors,
      userFactors: f32("user-factors.f32"),
      itemFactors: f32("item-factors.f32"),
      itemBias: f32("item-bias.f32"),
    },
    history: {
      nUsers: manifest.nUsers,
      nItems: manifest.nItems,
      rowPtr: i32("history-row-ptr.i32"),
      items: i32("history-items.i32"),
      sum: f32("history-sum.f32"),
      count: i32("history-count.i32"),
      longCount: i32("history-long-count.i32"),
    },
    popularity: readArray(join(dir, "popularity.f64"), Float64Array, read),
    itemLongRate: f32("item-long-rate.f32"),
    userLongRate: f32("user-long-rate.f32"),
    globalLongRate: manifest.globalLongRate,
    blend: manifest.blend,
    rule: manifest.rule,
  };
  if (
    model.factors.userFactors.length !== manifest.nUsers * manifest.factors ||
    users.length !== manifest.nUsers
  ) {
    throw new Error(`model at ${dir} is inconsistent: user factor table does not match its manifest`);
  }
  if (
    model.factors.itemFactors.length !== manifest.nItems * manifest.factors ||
    items.length !== manifest.nItems
  ) {
    throw new Error(`model at ${dir} is inconsistent: item factor table does not match its manifest`);
  }
  return { model, manifest };
}

/** A sortable, unique version name: v<UTC timestamp>-<random>. */
export function newModelVersion(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "")
    .replace("T", "-");
  return `v${stamp}-${Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, "0")}`;
}

/**
 * Saves a model built outside training (a benchmark's or a test's fixed model) as a new version beside
 * the store and makes it the current one, as `tastebud train` would leave it.
 */
export async function saveAsCurrentModel(
  store: EventStore,
  model: AffinityModel,
  plays: number,
): Promise<string> {
  const version = newModelVersion();
  const path = saveModel(`${store.location}.models`, version, model, {
    config: {},
    dataWindow: { plays, users: model.users.length, items: model.items.length, from: null, to: null },
    metrics: {},
  });
  await store.registerModel({
    version,
    path,
    createdAt: new Date(),
    config: {},
    metrics: {},
    isCurrent: true,
  });
  return version;
}
