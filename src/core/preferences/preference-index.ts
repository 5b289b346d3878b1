import { normalizeText, stripVersion } from "../matching/index.js";
import type { PreferenceTarget } from "./preference-fact.js";

/** What applying preferences reads of an item; the serving view's items fit. */
export interface PreferenceItem {
  id: string;
  title: string;
  creators: readonly string[];
  kind: string;
  tags: readonly string[];
}

function push(map: Map<string, number[]>, key: string, at: number) {
  const list = map.get(key);
  if (list === undefined) map.set(key, [at]);
  else if (list[list.length - 1] !== at) list.push(at);
}

/**
 * The positions of a catalogue's items by tag, creator, kind, id and title, so that a fact finds its
 * items without scanning the catalogue: recommend applies preferences on every call. Tags and creators
 * repeat across items, so each distinct spelling is folded once; titles are folded only when a fact
 * names a title without an item id.
 */
export class PreferenceIndex {
  private readonly byTag = new Map<string, number[]>();
  private readonly byCreator = new Map<string, number[]>();
  private readonly byKind = new Map<string, number[]>();
  private readonly byId = new Map<string, number>();
  private byTitle: Map<string, number[]> | null = null;

  constructor(readonly items: ReadonlyArray<PreferenceItem | null>) {
    const folded = new Map<string, string>();
    const fold = (s: string) => {
      let norm = folded.get(s);
      if (norm === undefined) {
        norm = normalizeText(s);
        folded.set(s, norm);
      }
      return norm;
    };
    items.forEach((item, at) => {
      if (item === null) return;
      if (!this.byId.has(item.id)) this.byId.set(item.id, at);
      push(this.byKind, item.kind, at);
      for (const t of item.tags) {
        const norm = fold(t);
        push(this.byTag, norm, at);
        const compact = norm.replace(/ /g, "");
        if (compact !== norm) push(this.byTag, compact, at);
      }
      for (const c of item.creators) push(this.byCreator, fold(c), at);
    });
  }

  private titles(): Map<string, number[]> {
    if (this.byTitle === null) {
      const byTitle = new Map<string, number[]>();
      this.items.forEach((item, at) => {
        if (item === null) return;
        const full = normalizeText(item.title);
        push(byTitle, full, at);
        const base = normalizeText(stripVersion(item.title));
        if (base !== full) push(byTitle, base, at);
      });
      this.byTitle = byTitle;
    }
    return this.byTitle;
  }

  /** Positions of the items a target is about, ascending, each once. */
  positions(target: PreferenceTarget): number[] {
    const none: number[] = [];
    switch (target.type) {
      case "kind":
        return this.byKind.get(target.value) ?? none;
      case "entity": {
        if (target.itemId !== undefined) {
          const at = this.byId.get(target.itemId);
          return at === undefined ? none : [at];
        }
        return this.titles().get(target.value) ?? none;
      }
      case "creator":
        if (target.matched) return this.byCreator.get(target.value) ?? none;
        return union(this.byCreator.get(target.value), this.byTag.get(target.value));
      case "tag":
        if (target.matched) return this.byTag.get(target.value) ?? none;
        // Free text not in the catalogue when said: it may since have become a tag or a creator.
        return union(
          this.byTag.get(target.value),
          this.byTag.get(target.value.replace(/ /g, "")),
          this.byCreator.get(target.value),
        );
    }
  }
}

function union(...lists: Array<number[] | undefined>): number[] {
  const present = lists.filter((l): l is number[] => l !== undefined && l.length > 0);
  if (present.length <= 1) return present[0] ?? [];
  return [...new Set(present.flat())].sort((a, b) => a - b);
}

const indexes = new WeakMap<ReadonlyArray<PreferenceItem | null>, PreferenceIndex>();

/** The index of a catalogue array, built on first use and kept as long as the array lives. */
export function preferenceIndexOf(items: ReadonlyArray<PreferenceItem | null>): PreferenceIndex {
  let index = indexes.get(items);
  if (index === undefined) {
    index = new PreferenceIndex(items);
    indexes.set(items, index);
  }
  return index;
}
