import type { AffinityModel } from "../affinity/affinity-model.js";

/** What serving needs to know of a catalogue item (a subset of the schema's CatalogueItem). */
export interface ServingItem {
  id: string;
  title: string;
  creators: readonly string[];
  kind: string;
  tags: readonly string[];
}

/**
 * The catalogue aligned with a model's item indices, plus the items the catalogue knows and the model
 * does not (never played yet): those can still be found by a request and served by a prior.
 */
export interface CatalogueView {
  /** Per model item index, its catalogue entry (null when the catalogue does not describe it). */
  byModelIndex: Array<ServingItem | null>;
  /** Every catalogue item, and every model item missing from the catalogue (with its id as title). */
  all: ServingItem[];
  /** Model item index of each entry of `all`, or -1. */
  modelIndexOf: Int32Array;
  byId: Map<string, number>;
  /** Entries of `all` before this index come from the catalogue; the rest are played items it lacks. */
  described: number;
}

export function buildCatalogueView(
  model: Pick<AffinityModel, "items">,
  items: readonly ServingItem[],
): CatalogueView {
  const byId = new Map<string, number>();
  const all: ServingItem[] = [];
  for (const item of items) {
    if (byId.has(item.id)) continue;
    byId.set(item.id, all.length);
    all.push(item);
  }
  const described = all.length;
  const byModelIndex: Array<ServingItem | null> = new Array(model.items.length).fill(null);
  model.items.forEach((id, i) => {
    const at = byId.get(id);
    if (at !== undefined) {
      byModelIndex[i] = all[at];
      return;
    }
    // Played but never described: serve it under its id (for songs, `artist|track` reads fine).
    const sep = id.indexOf("|");
    const synthetic: ServingItem = {
      id,
      title: sep > 0 ? id.slice(sep + 1) : id,
      creators: sep > 0 ? [id.slice(0, sep)] : [],
      kind: "song",
      tags: [],
    };
    byId.set(id, all.length);
    all.push(synthetic);
    byModelIndex[i] = synthetic;
  });
  const modelIndex = new Map(model.items.map((id, i) => [id, i]));
  const modelIndexOf = Int32Array.from(all, (item) => modelIndex.get(item.id) ?? -1);
  return { byModelIndex, all, modelIndexOf, byId, described };
}

export interface ItemFilter {
  kind?: string;
  /** Any of these tags. */
  tags?: readonly string[];
  /** Any of these creators (case-insensitive). */
  creators?: readonly string[];
}

/** 1 for model items that pass the filter; null when there is no filter (everything passes). */
export function filterMask(view: CatalogueView, filter: ItemFilter | undefined): Uint8Array | null {
  if (!filter || (!filter.kind && !filter.tags?.length && !filter.creators?.length)) return null;
  const tags = filter.tags?.length ? new Set(filter.tags.map((t) => t.toLowerCase())) : null;
  const creators = filter.creators?.length ? new Set(filter.creators.map((c) => c.toLowerCase())) : null;
  return Uint8Array.from(view.byModelIndex, (item) => {
    if (!item) return 0;
    if (filter.kind && item.kind !== filter.kind) return 0;
    if (tags && !item.tags.some((t) => tags.has(t.toLowerCase()))) return 0;
    if (creators && !item.creators.some((c) => creators.has(c.toLowerCase()))) return 0;
    return 1;
  });
}
