import { type Hit, TopK } from "./top-k.js";

/**
 * Character-trigram index over whole titles. Every string is cut into the trigrams of " " + s + " " (the
 * padding makes word starts and ends count), and a query's candidates are the strings sharing the most
 * trigrams with it, ranked by the Dice coefficient 2·|A∩B| / (|A| + |B|). A typo breaks at most three
 * trigrams, so a misspelled title still shares most of its trigrams with the right one, and unlike a
 * word index it does not care where the spaces are ("sunflower" / "Sun Flower"). The catalogue index
 * re-scores the best few by edit distance.
 *
 * The catalogue index asks it only when its word index finds nothing close: titles drawn from a small
 * vocabulary share every trigram with thousands of others, and counting those overlaps is the slow part
 * of a lookup. Postings are Int32Arrays of string ids, and overlaps are counted in one reused typed array.
 */

/** The distinct trigrams of " " + s + " ". */
export function trigrams(s: string): string[] {
  const padded = ` ${s} `;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
  return [...out];
}

/** Dice coefficient of two strings' trigram sets. */
export function trigramDice(a: string, b: string): number {
  const ta = trigrams(a);
  const tb = new Set(trigrams(b));
  let common = 0;
  for (const g of ta) if (tb.has(g)) common++;
  return ta.length + tb.size === 0 ? 1 : (2 * common) / (ta.length + tb.size);
}

export class TrigramIndex {
  private readonly gramIds = new Map<string, number>();
  private readonly postings: Int32Array[];
  /** Number of distinct trigrams per string. */
  private readonly sizes: Uint16Array;
  /** Per-query overlap counts, zeroed again after every query. */
  private readonly counts: Uint16Array;
  private touched = new Int32Array(1024);

  constructor(strings: readonly string[]) {
    const lists: number[][] = [];
    this.sizes = new Uint16Array(strings.length);
    for (let id = 0; id < strings.length; id++) {
      const s = strings[id];
      if (s === "") continue;
      const grams = trigrams(s);
      this.sizes[id] = Math.min(grams.length, 65535);
      for (const g of grams) {
        let gid = this.gramIds.get(g);
        if (gid === undefined) {
          gid = lists.length;
          this.gramIds.set(g, gid);
          lists.push([]);
        }
        lists[gid].push(id);
      }
    }
    this.postings = lists.map((l) => Int32Array.from(l));
    this.counts = new Uint16Array(strings.length);
  }

  /**
   * The `limit` strings with the highest Dice coefficient against `query` (at least `minDice`), best
   * first; `Hit.score` is the Dice coefficient.
   *
   * Overlaps are counted in one typed array. When the query's posting lists are short (rare trigrams, the
   * usual case in a large real catalogue) the strings they touch are remembered and visited; when they are
   * long (common trigrams, small vocabularies) a branch-free counting loop and one dense scan of the
   * counts is faster than any bookkeeping.
   */
  search(query: string, limit: number, minDice = 0): Hit[] {
    if (query === "" || limit <= 0) return [];
    const grams = trigrams(query);
    const q = grams.length;
    const lists: Int32Array[] = [];
    let total = 0;
    for (const g of grams) {
      const gid = this.gramIds.get(g);
      if (gid === undefined) continue;
      lists.push(this.postings[gid]);
      total += this.postings[gid].length;
    }
    const { counts, sizes } = this;
    const top = new TopK(limit);
    const offer = (id: number, c: number) => {
      const dice = (2 * c) / (q + sizes[id]);
      if (dice >= minDice) top.offer(id, dice);
    };
    // Smallest count that can reach minDice for a string of any size (size >= count).
    const minCount = Math.max(1, Math.ceil((minDice * q) / (2 - minDice) - 1e-9));

    if (total * 4 < counts.length) {
      let nTouched = 0;
      if (this.touched.length < total)
        this.touched = new Int32Array(Math.max(total, this.touched.length * 2));
      const touched = this.touched;
      for (const list of lists) {
        for (let k = 0; k < list.length; k++) {
          const id = list[k];
          if (counts[id]++ === 0) touched[nTouched++] = id;
        }
      }
      for (let k = 0; k < nTouched; k++) {
        const id = touched[k];
        const c = counts[id];
        counts[id] = 0;
        if (c >= minCount) offer(id, c);
      }
    } else {
      for (const list of lists) for (let k = 0; k < list.length; k++) counts[list[k]]++;
      for (let id = 0; id < counts.length; id++) {
        const c = counts[id];
        if (c === 0) continue;
        counts[id] = 0;
        if (c >= minCount) offer(id, c);
      }
    }
    return top.hits;
  }
}
