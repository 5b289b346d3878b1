import { createHash } from "node:crypto";
import type { AffinityModel } from "../../core/affinity/affinity-model.js";
import type { CatalogueView, ServingItem } from "../../core/serving/catalogue-view.js";
import { transferablesOf } from "./train-threads.js";
import type { VersionFiles } from "./version-reader.js";

/**
 * How a model version read on the reading thread (version-reader-worker.ts) crosses to the serving thread
 * without one long turn there. A message between threads is deserialized whole, in one turn of the
 * receiving thread, and its typed arrays are moved without a copy, but every object in it is rebuilt:
 * for the bench's 3,000-item catalogue and its view that was some 10-30 ms of the serving thread at
 * load 10, with the collections it set off on top, in the same turn as the rest of the swap. So lists of
 * objects and of ids cross as JSON text, a few strings of at most `ITEMS_PER_TURN` entries each (a copy of
 * each string's bytes), and the serving thread parses one string per turn, letting requests in between.
 */

/** Most entries (items, ids) the serving thread rebuilds in one turn of a swap: about 1-3 ms of work. */
export const ITEMS_PER_TURN = 2_000;

/** Lets the event loop answer what waits (requests) before the next chunk of a long build. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `body` over 0..count in ranges of at most `perTurn`, waiting for `yieldTurn` between ranges: a
 * loop that would hold the serving thread for one long turn, cut into short ones.
 */
export async function inTurns(
  count: number,
  body: (from: number, end: number) => void,
  perTurn = ITEMS_PER_TURN,
  yieldTurn: () => Promise<void> = nextTurn,
): Promise<void> {
  for (let from = 0; from < count; from += perTurn) {
    if (from > 0) await yieldTurn();
    body(from, Math.min(count, from + perTurn));
  }
}

/** `values` as JSON arrays of at most `perChunk` entries each. */
export function packChunks(values: readonly unknown[], perChunk = ITEMS_PER_TURN): string[] {
  const chunks: string[] = [];
  for (let at = 0; at < values.length; at += perChunk)
    chunks.push(JSON.stringify(values.slice(at, at + perChunk)));
  return chunks;
}

/**
 * Parses `chunks` (packChunks) one per turn, calling `each` with every entry and its index in the whole
 * list; waits for `yieldTurn` before each chunk but the first. Returns how many entries there were.
 */
export async function unpackChunks<T>(
  chunks: readonly string[],
  each: (value: T, index: number) => void,
  yieldTurn: () => Promise<void> = nextTurn,
): Promise<number> {
  let index = 0;
  for (let c = 0; c < chunks.length; c++) {
    if (c > 0) await yieldTurn();
    for (const value of JSON.parse(chunks[c]) as T[]) each(value, index++);
  }
  return index;
}

/** Ids packed for the trip (packChunks), read back as the list and its index (id -> position). */
export async function unpackIds(
  chunks: readonly string[],
  yieldTurn: () => Promise<void> = nextTurn,
): Promise<{ ids: string[]; index: Map<string, number> }> {
  const ids: string[] = [];
  const index = new Map<string, number>();
  await unpackChunks<string>(
    chunks,
    (id, k) => {
      ids.push(id);
      index.set(id, k);
    },
    yieldTurn,
  );
  return { ids, index };
}

/** Each id's position, built `perTurn` ids a turn (for ids already on this thread: a model just trained). */
export async function indexInTurns(
  ids: readonly string[],
  perTurn = ITEMS_PER_TURN,
  yieldTurn: () => Promise<void> = nextTurn,
): Promise<Map<string, number>> {
  const index = new Map<string, number>();
  await inTurns(
    ids.length,
    (from, end) => {
      for (let k = from; k < end; k++) index.set(ids[k], k);
    },
    perTurn,
    yieldTurn,
  );
  return index;
}

/** A catalogue view as it crosses threads: its items as JSON chunks, its index arrays moved whole. */
export interface PackedCatalogueView {
  /** `all`, packChunks'd. */
  all: string[];
  /** Per model item index, its position in `all`, -1 when none. */
  byModelIndexAt: Int32Array;
  modelIndexOf: Int32Array;
  described: number;
  /** matchableDigest of `all`. */
  matchableDigest: string;
}

/**
 * A digest of what a request matcher reads of each item, in order (id, title, kind, creators): two
 * catalogues with one digest are matched alike, so a swap keeps the matcher it has without comparing
 * thousands of items on the serving thread.
 */
export function matchableDigest(items: readonly ServingItem[]): string {
  const hash = createHash("sha256");
  for (const item of items)
    hash.update(JSON.stringify([item.id, item.title, item.kind, item.creators])).update("\n");
  return hash.digest("hex");
}

/** Packs a view built on the reading thread (its typed arrays go in the transfer list: catalogueViewTransferables). */
export function packCatalogueView(view: CatalogueView, perChunk = ITEMS_PER_TURN): PackedCatalogueView {
  const position = new Map<ServingItem, number>();
  for (let k = 0; k < view.all.length; k++) position.set(view.all[k], k);
  return {
    all: packChunks(view.all, perChunk),
    byModelIndexAt: Int32Array.from(view.byModelIndex, (item) => (item ? (position.get(item) ?? -1) : -1)),
    modelIndexOf: view.modelIndexOf,
    described: view.described,
    matchableDigest: matchableDigest(view.all),
  };
}

export function catalogueViewTransferables(packed: PackedCatalogueView): ArrayBuffer[] {
  return [packed.byModelIndexAt.buffer as ArrayBuffer, packed.modelIndexOf.buffer as ArrayBuffer];
}

/**
 * Rebuilds a packed view on this thread, ITEMS_PER_TURN items a turn (entries of `byModelIndex` are the
 * same objects as in `all`, as buildCatalogueView makes them).
 */
export async function unpackCatalogueView(
  packed: PackedCatalogueView,
  yieldTurn: () => Promise<void> = nextTurn,
): Promise<CatalogueView> {
  const all: ServingItem[] = [];
  const byId = new Map<string, number>();
  await unpackChunks<ServingItem>(
    packed.all,
    (item, k) => {
      all.push(item);
      byId.set(item.id, k);
    },
    yieldTurn,
  );
  const at = packed.byModelIndexAt;
  const byModelIndex: Array<ServingItem | null> = new Array(at.length).fill(null);
  await yieldTurn();
  await inTurns(
    at.length,
    (from, end) => {
      for (let i = from; i < end; i++) byModelIndex[i] = at[i] < 0 ? null : all[at[i]];
    },
    ITEMS_PER_TURN,
    yieldTurn,
  );
  return { byModelIndex, all, modelIndexOf: packed.modelIndexOf, byId, described: packed.described };
}

/** A version as the reading thread has it, before packing (VersionFiles without what unpacking adds). */
export type ReadVersion = Omit<VersionFiles, "modelIndex" | "viewDigest">;

/** A version as it crosses threads: the model without its id lists, which travel packed beside it. */
export interface PackedVersionFiles extends Omit<ReadVersion, "model" | "view"> {
  model: (Omit<AffinityModel, "users" | "items"> & { users: []; items: [] }) | null;
  modelIds: { users: string[]; items: string[] } | null;
  view: PackedCatalogueView | null;
}

export function packVersionFiles(files: ReadVersion, perChunk = ITEMS_PER_TURN): PackedVersionFiles {
  const { model, view, ...rest } = files;
  return {
    ...rest,
    model: model ? { ...model, users: [], items: [] } : null,
    modelIds: model
      ? { users: packChunks(model.users, perChunk), items: packChunks(model.items, perChunk) }
      : null,
    view: view ? packCatalogueView(view, perChunk) : null,
  };
}

/** Every typed array's buffer of a packed version: moved to the serving thread, not copied. */
export function versionTransferables(files: PackedVersionFiles): ArrayBuffer[] {
  return [
    ...(files.model ? transferablesOf(files.model) : []),
    ...(files.recommender ? transferablesOf(files.recommender) : []),
    ...(files.view ? catalogueViewTransferables(files.view) : []),
  ];
}

/** Rebuilds a packed version on this thread, ITEMS_PER_TURN entries a turn. */
export async function unpackVersionFiles(
  packed: PackedVersionFiles,
  yieldTurn: () => Promise<void> = nextTurn,
): Promise<VersionFiles> {
  const { model, modelIds, view, ...rest } = packed;
  let unpackedModel: AffinityModel | null = null;
  let modelIndex: VersionFiles["modelIndex"] = null;
  if (model && modelIds) {
    const users = await unpackIds(modelIds.users, yieldTurn);
    await yieldTurn();
    const items = await unpackIds(modelIds.items, yieldTurn);
    unpackedModel = { ...model, users: users.ids, items: items.ids };
    modelIndex = { users: users.index, items: items.index };
  }
  if (view) await yieldTurn();
  return {
    ...rest,
    model: unpackedModel,
    modelIndex,
    view: view ? await unpackCatalogueView(view, yieldTurn) : null,
    viewDigest: view?.matchableDigest ?? null,
  };
}
