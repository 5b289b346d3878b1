/**
 * Single-deletion neighbourhoods of short strings (the SymSpell idea): a string and every string made by
 * deleting one of its characters are keys pointing back at it. Two strings within one edit (insertion,
 * deletion, substitution or adjacent swap) share at least one key, so a lookup of a query's own
 * neighbourhood finds them all.
 *
 * The word index uses it on its vocabulary: a request word with one slip ("helo", "lvoe") finds the
 * catalogue word at the cost of a few map lookups, where a trigram search would fail on short words
 * (one swapped letter breaks most of the trigrams of "love"). Strings longer than `maxLength` are left
 * out to bound the table.
 */
export class DeletionIndex {
  private readonly keys = new Map<string, number[]>();

  /** Indexes the strings of at most `maxLength` characters; ids are positions in `strings`. */
  constructor(
    strings: readonly string[],
    readonly maxLength: number,
  ) {
    for (let id = 0; id < strings.length; id++) {
      const s = strings[id];
      if (s === "" || s.length > maxLength) continue;
      for (const key of neighbourhood(s)) {
        const list = this.keys.get(key);
        if (list === undefined) this.keys.set(key, [id]);
        else if (list[list.length - 1] !== id) list.push(id);
      }
    }
  }

  /** Ids of indexed strings that may be within one edit of `query` (a superset; verify by distance). */
  lookup(query: string): number[] {
    if (query === "" || query.length > this.maxLength + 1) return [];
    const out = new Set<number>();
    for (const key of neighbourhood(query)) {
      const list = this.keys.get(key);
      if (list) for (const id of list) out.add(id);
    }
    return [...out];
  }
}

/** `s` and every string made by deleting one character of it. */
function neighbourhood(s: string): Set<string> {
  const out = new Set<string>([s]);
  for (let i = 0; i < s.length; i++) out.add(s.slice(0, i) + s.slice(i + 1));
  return out;
}
