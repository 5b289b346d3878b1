import { DeletionIndex } from "./deletion-index.js";
import { phoneticPhrase } from "./phonetic.js";
import { editSimilarity } from "./similarity.js";
import { type Hit, TopK } from "./top-k.js";

/**
 * Word-level candidate search: the fast path of title lookup. Titles are made of a limited vocabulary
 * ("love", "night", "baby"), so every character trigram of a title is shared by thousands of others and a
 * trigram search must count overlaps across long posting lists. Words are far more selective: a
 * request's words, each matched exactly, within one edit ("helo" -> "hello", "lvoe" -> "love") or by
 * sound ("fone" -> "phone"), point at the few titles that contain them, and titles are ranked by a
 * word-level Dice coefficient 2·matched / (request words + title words).
 *
 * The word view misses merged or split words ("sun flower" for "Sunflower") and slips that change two
 * letters of a short word; the catalogue index falls back to the title trigram index when this search
 * finds nothing close.
 */

/** A vocabulary word close to a request word, and how close (1 = equal). */
interface WordMatch {
  word: number;
  sim: number;
}

/** Least edit similarity for a one-edit neighbour to count as the same word ("helo" 0.8, "lvoe" 0.75). */
const MIN_WORD_SIM = 0.5;
/** Similarity granted to a word that sounds the same but is spelled further apart ("fone"/"phone"). */
const SOUND_ALIKE_SIM = 0.6;
/** A sound key shared by more words than this is too vague to enumerate. */
const MAX_SOUND_GROUP = 50;
/** Words longer than this get no neighbourhood entries (they keep enough trigrams through a typo). */
const MAX_NEIGHBOURHOOD_WORD = 24;

export class WordIndex {
  private readonly wordIds = new Map<string, number>();
  private readonly words: string[] = [];
  /** Per word, the ids of the strings containing it, ascending, repeated when it occurs repeatedly. */
  private readonly postings: Int32Array[];
  /** Per string, its word ids: flat, with offsets. */
  private readonly stringWords: Int32Array;
  private readonly stringOffsets: Int32Array;
  private readonly neighbours: DeletionIndex;
  private readonly soundAlikes = new Map<string, number[]>();
  /** A request word whose matches reach more strings than this only probes the strings rarer words found. */
  private readonly commonPosting: number;
  // Per-search scratch, indexed by string id; stamps avoid clearing them between searches.
  private readonly acc: Float64Array;
  private readonly seen: Int32Array;
  private readonly credited: Int32Array;
  private readonly credits: Uint8Array;
  private touched = new Int32Array(1024);
  private searchStamp = 0;
  private wordStamp = 0;

  constructor(strings: readonly string[]) {
    const lists: number[][] = [];
    const flat: number[] = [];
    this.stringOffsets = new Int32Array(strings.length + 1);
    for (let id = 0; id < strings.length; id++) {
      this.stringOffsets[id] = flat.length;
      if (strings[id] === "") continue;
      for (const w of strings[id].split(" ")) {
        let wid = this.wordIds.get(w);
        if (wid === undefined) {
          wid = this.words.length;
          this.wordIds.set(w, wid);
          this.words.push(w);
          lists.push([]);
        }
        const list = lists[wid];
        // A word twice in a title is listed twice: "Forever Forever" must beat "Forever River".
        list.push(id);
        flat.push(wid);
      }
    }
    this.stringOffsets[strings.length] = flat.length;
    this.stringWords = Int32Array.from(flat);
    this.postings = lists.map((l) => Int32Array.from(l));
    this.neighbours = new DeletionIndex(this.words, MAX_NEIGHBOURHOOD_WORD);
    for (let wid = 0; wid < this.words.length; wid++) {
      const key = phoneticPhrase(this.words[wid]);
      const group = this.soundAlikes.get(key);
      if (group) group.push(wid);
      else this.soundAlikes.set(key, [wid]);
    }
    this.commonPosting = Math.max(1000, strings.length / 32);
    this.acc = new Float64Array(strings.length);
    this.seen = new Int32Array(strings.length);
    this.credited = new Int32Array(strings.length);
    this.credits = new Uint8Array(strings.length);
  }

  /** Vocabulary words equal to, one edit from, or sounding like `w`; best first. */
  similarWords(w: string): WordMatch[] {
    const out = new Map<number, number>();
    const exact = this.wordIds.get(w);
    if (exact !== undefined) out.set(exact, 1);
    for (const wid of this.neighbours.lookup(w)) {
      if (out.has(wid)) continue;
      const sim = editSimilarity(w, this.words[wid], MIN_WORD_SIM);
      if (sim >= MIN_WORD_SIM) out.set(wid, sim);
    }
    const group = this.soundAlikes.get(phoneticPhrase(w));
    if (group && group.length <= MAX_SOUND_GROUP) {
      for (const wid of group) {
        const sim = Math.max(editSimilarity(w, this.words[wid]), SOUND_ALIKE_SIM);
        if (sim > (out.get(wid) ?? 0)) out.set(wid, sim);
      }
    }
    return [...out].map(([word, sim]) => ({ word, sim })).sort((a, b) => b.sim - a.sim);
  }

  /**
   * The `limit` strings sharing the most (similar) words with `query`, by word-level Dice; `Hit.score`
   * is that coefficient. Request words are taken rarest first; a very common word ("the", "love") only
   * adds to strings that rarer words already found, unless it is the rarest word of the request.
   */
  search(query: string, limit: number): Hit[] {
    const all = query.split(" ").filter((w) => w !== "");
    if (all.length === 0) return [];
    // Distinct words with their multiplicity: Dice over word multisets.
    const counts = new Map<string, number>();
    for (const w of all) counts.set(w, (counts.get(w) ?? 0) + 1);
    const matched = [...counts].map(([w, times]) => {
      const m = this.similarWords(w);
      let total = 0;
      for (const { word } of m) total += this.postings[word].length;
      return { m, total, times };
    });
    matched.sort((a, b) => a.total - b.total);

    const stamp = ++this.searchStamp;
    const { acc, seen, credited, credits, postings, stringWords, stringOffsets } = this;
    let nTouched = 0;
    for (const { m, total, times } of matched) {
      const wordStamp = ++this.wordStamp;
      if (nTouched > 0 && total > this.commonPosting) {
        // Probe: credit the strings found so far that contain one of the matched words.
        const touched = this.touched;
        for (let k = 0; k < nTouched; k++) {
          const id = touched[k];
          let best = 0;
          let found = 0;
          for (let p = stringOffsets[id], end = stringOffsets[id + 1]; p < end; p++) {
            const wid = stringWords[p];
            for (let j = 0; j < m.length; j++) {
              if (m[j].word === wid) {
                found++;
                if (m[j].sim > best) best = m[j].sim;
              }
            }
          }
          acc[id] += best * Math.min(found, times);
        }
        continue;
      }
      if (this.touched.length < nTouched + total) {
        const grown = new Int32Array(Math.max(nTouched + total, this.touched.length * 2));
        grown.set(this.touched.subarray(0, nTouched));
        this.touched = grown;
      }
      const touched = this.touched;
      // Matches come best first, so the first credits a string gets for this word are its best.
      for (let j = 0; j < m.length; j++) {
        const list = postings[m[j].word];
        const sim = m[j].sim;
        for (let k = 0; k < list.length; k++) {
          const id = list[k];
          if (seen[id] !== stamp) {
            seen[id] = stamp;
            acc[id] = 0;
            touched[nTouched++] = id;
          }
          if (credited[id] !== wordStamp) {
            credited[id] = wordStamp;
            credits[id] = 0;
          }
          if (credits[id] < times) {
            credits[id]++;
            acc[id] += sim;
          }
        }
      }
    }

    const top = new TopK(limit);
    const nq = all.length;
    const touched = this.touched;
    for (let k = 0; k < nTouched; k++) {
      const id = touched[k];
      const score = (2 * acc[id]) / (nq + stringOffsets[id + 1] - stringOffsets[id]);
      if (score > top.bar) top.offer(id, score);
    }
    return top.hits;
  }
}
