import { normalizeText } from "../../matching/normalize.js";
import type { VoiceTurn } from "../../voice/turn.js";
import { requestContent } from "../rephrase.js";
import { charNgramVector, type NgramOptions, type SparseVector } from "./char-ngram-vector.js";
import type { Reformulation } from "./reformulations.js";
import { VectorIndex } from "./vector-index.js";

/**
 * The global layer's retrieval index (methods.md 2e), pooled over all users. Statistics are kept per
 * normalized utterance, as the Markov table's states are: the same title asked in other words can fail
 * where this wording works (an NLU that misreads one phrasing, a kind word that changes the route).
 * Retrieval, though, goes by content (title and creator as said), so that misheard and reworded requests
 * find their neighbours. Two kinds of entries:
 * - "utterance": a wording that worked for several people, with the item it led to;
 * - "reformulation": a wording that failed, pointing at what the people who said it ended up saying
 *   successfully: the fuzzy side of the Markov table, which also fires for variants the table never saw.
 */

export interface GlobalEntry {
  source: "utterance" | "reformulation";
  /** The normalized utterance retrieval matched: the rewrite itself, or the failed one it came from. */
  key: string;
  /** The content of `key` (what the vector is built from). */
  keyContent: string;
  /** The normalized utterance to serve. */
  text: string;
  /** Its content. */
  content: string;
  /** The item it led to, null when none resolved. */
  item: string | null;
  /** Successful turns (utterance) or reformulations (reformulation) behind the entry. */
  count: number;
  /** Distinct users among them. */
  users: number;
  /** Share of the text's successful turns that led to `item`. */
  itemShare: number;
  /** Smoothed success rate of `text` over all its turns: (successes + 1) / (turns + 2). */
  successRate: number;
  /** Reformulation: share of the key's turns that were reformulated into this entry (0 for utterances). */
  share: number;
}

/** What the logs say about one normalized utterance. */
export interface UtteranceStats {
  turns: number;
  successes: number;
  users: number;
  /** (successes + 1) / (turns + 2). */
  successRate: number;
}

export interface GlobalIndexOptions {
  /** Minimum successful turns (or reformulations) for an entry. */
  minCount: number;
  /** Minimum distinct users: one person's habit is the personal layer's business. */
  minUsers: number;
  ngram?: NgramOptions;
}

export const defaultGlobalIndexOptions: GlobalIndexOptions = { minCount: 2, minUsers: 2 };

export interface GlobalHit {
  entry: GlobalEntry;
  /** Cosine of the query's content vector and the entry's key-content vector. */
  similarity: number;
}

interface Tally {
  count: number;
  users: Set<string>;
}

function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    m.set(k, v);
  }
  return v;
}

const newTally = (): Tally => ({ count: 0, users: new Set() });

function sortedKeys<V>(m: Map<string, V>): string[] {
  return [...m.keys()].sort();
}

export class GlobalIndex {
  private readonly entries: GlobalEntry[] = [];
  /** One vector per distinct key content, and the entries behind each. */
  private readonly index = new VectorIndex();
  private readonly byContent = new Map<string, number>();
  private readonly groups: GlobalEntry[][] = [];

  private constructor(
    private readonly stats: ReadonlyMap<string, UtteranceStats>,
    private readonly ngram: NgramOptions | undefined,
  ) {}

  /**
   * Builds the index from logged turns (time order), their outcomes (`success(turn, i)`, usually the
   * negation of a detectDefects verdict) and optionally their reformulation pairs. Deterministic.
   */
  static build(
    turns: readonly VoiceTurn[],
    success: (turn: VoiceTurn, index: number) => boolean,
    options: Partial<GlobalIndexOptions> = {},
    reformulations: readonly Reformulation[] = [],
  ): GlobalIndex {
    const o = { ...defaultGlobalIndexOptions, ...options };
    const texts = turns.map((t) => normalizeText(t.text));
    const raw = new Map<string, { turns: number; successes: number; users: Set<string> }>();
    // text -> item -> successful turns
    const ok = new Map<string, Map<string, Tally>>();
    turns.forEach((t, i) => {
      const text = texts[i];
      if (text === "") return;
      const s = getOr(raw, text, () => ({ turns: 0, successes: 0, users: new Set<string>() }));
      s.turns++;
      s.users.add(t.user);
      if (!success(t, i)) return;
      s.successes++;
      if (t.resolvedItem === undefined) return;
      const tally = getOr(
        getOr(ok, text, () => new Map<string, Tally>()),
        t.resolvedItem,
        newTally,
      );
      tally.count++;
      tally.users.add(t.user);
    });
    const stats = new Map<string, UtteranceStats>();
    for (const [text, s] of raw) {
      stats.set(text, {
        turns: s.turns,
        successes: s.successes,
        users: s.users.size,
        successRate: (s.successes + 1) / (s.turns + 2),
      });
    }
    // failed text -> "success text\0item" -> reformulations
    const pairs = new Map<string, Map<string, Tally>>();
    for (const { from, to } of reformulations) {
      const item = turns[to].resolvedItem;
      if (texts[from] === "" || texts[to] === "" || texts[from] === texts[to] || item === undefined) continue;
      const tally = getOr(
        getOr(pairs, texts[from], () => new Map<string, Tally>()),
        `${texts[to]}\0${item}`,
        newTally,
      );
      tally.count++;
      tally.users.add(turns[from].user);
    }

    const out = new GlobalIndex(stats, o.ngram);
    const enough = (t: Tally) => t.count >= o.minCount && t.users.size >= o.minUsers;
    for (const text of sortedKeys(ok)) {
      const byItem = ok.get(text)!;
      const s = stats.get(text)!;
      const content = requestContent(text);
      for (const item of sortedKeys(byItem)) {
        const t = byItem.get(item)!;
        if (!enough(t)) continue;
        out.insert({
          source: "utterance",
          key: text,
          keyContent: content,
          text,
          content,
          item,
          count: t.count,
          users: t.users.size,
          itemShare: t.count / Math.max(1, s.successes),
          successRate: s.successRate,
          share: 0,
        });
      }
    }
    for (const key of sortedKeys(pairs)) {
      const byTarget = pairs.get(key)!;
      const keyContent = requestContent(key);
      for (const target of sortedKeys(byTarget)) {
        const t = byTarget.get(target)!;
        if (!enough(t)) continue;
        const [text, item] = target.split("\0");
        const s = stats.get(text)!;
        out.insert({
          source: "reformulation",
          key,
          keyContent,
          text,
          content: requestContent(text),
          item,
          count: t.count,
          users: t.users.size,
          itemShare: (ok.get(text)?.get(item)?.count ?? 0) / Math.max(1, s.successes),
          successRate: s.successRate,
          share: t.count / stats.get(key)!.turns,
        });
      }
    }
    return out;
  }

  private insert(entry: GlobalEntry): void {
    this.entries.push(entry);
    let g = this.byContent.get(entry.keyContent);
    if (g === undefined) {
      g = this.index.add(this.vector(entry.keyContent));
      this.byContent.set(entry.keyContent, g);
      this.groups.push([]);
    }
    this.groups[g].push(entry);
  }

  private vector(content: string): SparseVector {
    return this.ngram === undefined ? charNgramVector(content) : charNgramVector(content, this.ngram);
  }

  get size(): number {
    return this.entries.length;
  }

  /** All entries, utterances first. */
  all(): readonly GlobalEntry[] {
    return this.entries;
  }

  /** What the logs say about an utterance (normalized here), if it was ever said. */
  statsOf(text: string): UtteranceStats | undefined {
    return this.stats.get(normalizeText(text));
  }

  /**
   * Entries whose key content is among the k nearest to the request's content (cosine >= minSimilarity),
   * best first; of each content, its `perContent` best supported entries.
   */
  nearest(text: string, k: number, minSimilarity = 0.3, perContent = 4): GlobalHit[] {
    return this.nearestContent(requestContent(text), k, minSimilarity, perContent);
  }

  nearestContent(content: string, k: number, minSimilarity = 0.3, perContent = 4): GlobalHit[] {
    return this.nearestVector(this.vector(content), k, minSimilarity, perContent);
  }

  /** nearestContent for a query vector already built (with the same n-gram options). */
  nearestVector(q: SparseVector, k: number, minSimilarity = 0.3, perContent = 4): GlobalHit[] {
    const out: GlobalHit[] = [];
    for (const h of this.index.search(q, k, minSimilarity)) {
      const best = [...this.groups[h.id]].sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : 1));
      for (const entry of best.slice(0, perContent)) out.push({ entry, similarity: h.score });
    }
    return out;
  }
}
