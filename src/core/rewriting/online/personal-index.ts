import { normalizeText } from "../../matching/normalize.js";
import { parseRequest } from "../../matching/request.js";
import type { VoiceTurn } from "../../voice/turn.js";
import { requestContent } from "../rephrase.js";
import { charNgramVector, cosine, type NgramOptions, type SparseVector } from "./char-ngram-vector.js";

/**
 * The personal layer's index (methods.md 2e): per user, the requests that worked for them and the
 * entities they like, weighted by how much they like the item (play-duration affinity), how recently and
 * how often they asked. Affinity comes from outside as a function so that the core stays decoupled from
 * any one model (scoreUserItem of the affinity model, or playDurationAffinity over the logs).
 */

/** A user's affinity for an item, 0..1, or undefined when unknown. */
export type AffinityFn = (user: string, item: string) => number | undefined;

export type PersonalSource = "utterance" | "entity" | "reformulation";

export interface PersonalEntry {
  /** The normalized utterance retrieval matched: the rewrite itself, or the failed one it came from. */
  key: string;
  /** The content of `key` (what the vector is built from). */
  keyContent: string;
  /** The content of the rewrite. */
  content: string;
  /** The user's own successful phrasing, normalized; for an entity, "title by creator". */
  text: string;
  item: string | null;
  /**
   * "utterance": the user said it and it worked; "entity": an item they like; "reformulation": the user
   * said `key`, it failed, and they got `item` by saying `text` (`key` is their nickname for it, or their
   * mispronunciation of it).
   */
  source: PersonalSource;
  /** Title and first creator of an entity, for putting it into the user's own phrasing. */
  title?: string;
  creator?: string;
  count: number;
  lastMs: number;
  vector: SparseVector;
}

export interface PersonalHit {
  entry: PersonalEntry;
  similarity: number;
  /** Affinity (0.5 when unknown) times recency decay times a count factor, 0..1. */
  weight: number;
  affinity: number;
}

export interface PersonalIndexOptions {
  /** Recency half-life of an entry's weight. */
  halfLifeMs: number;
  /** Entries kept per user; the stalest go first. */
  maxEntriesPerUser: number;
  /** Affinity assumed when the function knows nothing. */
  unknownAffinity: number;
  ngram?: NgramOptions;
}

export const defaultPersonalIndexOptions: PersonalIndexOptions = {
  halfLifeMs: 30 * 24 * 3600 * 1000,
  maxEntriesPerUser: 500,
  unknownAffinity: 0.5,
};

/** An item as the entity layer needs it. */
export interface EntityItem {
  id: string;
  title: string;
  creators?: readonly string[];
}

export class PersonalIndex {
  private readonly users = new Map<string, Map<string, PersonalEntry>>();
  private readonly o: PersonalIndexOptions;

  constructor(
    private readonly affinity: AffinityFn = () => undefined,
    options: Partial<PersonalIndexOptions> = {},
  ) {
    this.o = { ...defaultPersonalIndexOptions, ...options };
  }

  /** Vectors by content, shared by every entry (of any user) with that content. */
  private readonly vectors = new Map<string, SparseVector>();

  /** The vector of a content, as this index builds it. */
  vector(content: string): SparseVector {
    let v = this.vectors.get(content);
    if (v === undefined) {
      v = this.o.ngram === undefined ? charNgramVector(content) : charNgramVector(content, this.o.ngram);
      this.vectors.set(content, v);
    }
    return v;
  }

  private userEntries(user: string): Map<string, PersonalEntry> {
    let m = this.users.get(user);
    if (m === undefined) {
      m = new Map();
      this.users.set(user, m);
    }
    return m;
  }

  private upsert(user: string, key: string, make: () => PersonalEntry, timeMs: number): void {
    const m = this.userEntries(user);
    const e = m.get(key);
    if (e !== undefined) {
      e.count++;
      e.lastMs = Math.max(e.lastMs, timeMs);
      return;
    }
    m.set(key, make());
    if (m.size > this.o.maxEntriesPerUser) {
      let stalest: string | null = null;
      let at = Number.POSITIVE_INFINITY;
      for (const [k, v] of m) if (v.lastMs < at) [stalest, at] = [k, v.lastMs];
      if (stalest !== null) m.delete(stalest);
    }
  }

  /** Records a turn; only successful ones that resolved to an item enter the index. */
  observe(turn: VoiceTurn, success: boolean): void {
    if (!success || turn.resolvedItem === undefined) return;
    const text = normalizeText(turn.text);
    const content = requestContent(text);
    if (content === "") return;
    const item = turn.resolvedItem;
    this.upsert(
      turn.user,
      `u\u0000${text}\u0000${item}`,
      () => ({
        key: text,
        keyContent: content,
        content,
        text,
        item,
        source: "utterance",
        count: 1,
        lastMs: turn.timeMs,
        vector: this.vector(content),
      }),
      turn.timeMs,
    );
  }

  /**
   * Takes back an observe(turn, true): the turn looked fine but was rephrased, so it was a defect after
   * all. The count drops by one and the entry goes at zero.
   */
  forget(turn: VoiceTurn): void {
    if (turn.resolvedItem === undefined) return;
    const m = this.users.get(turn.user);
    const key = `u\u0000${normalizeText(turn.text)}\u0000${turn.resolvedItem}`;
    const e = m?.get(key);
    if (e === undefined) return;
    if (--e.count <= 0) m!.delete(key);
  }

  /** Records that `failed` (defective) was reformulated by its user into `succeeded`. */
  observeReformulation(failed: VoiceTurn, succeeded: VoiceTurn): void {
    if (succeeded.resolvedItem === undefined) return;
    const key = normalizeText(failed.text);
    const text = normalizeText(succeeded.text);
    const keyContent = requestContent(key);
    if (keyContent === "" || key === text) return;
    const item = succeeded.resolvedItem;
    this.upsert(
      failed.user,
      `r\u0000${key}\u0000${text}\u0000${item}`,
      () => ({
        key,
        keyContent,
        content: requestContent(text),
        text,
        item,
        source: "reformulation",
        count: 1,
        lastMs: succeeded.timeMs,
        vector: this.vector(keyContent),
      }),
      succeeded.timeMs,
    );
  }

  /** Adds an item the user likes (e.g. played long) as an entity they may ask for in words never logged. */
  addEntity(user: string, item: EntityItem, timeMs: number): void {
    const creator = item.creators?.[0];
    const text = normalizeText(creator === undefined ? item.title : `${item.title} by ${creator}`);
    const content = requestContent(text);
    if (content === "") return;
    this.upsert(
      user,
      `e\u0000${item.id}`,
      () => ({
        key: text,
        keyContent: content,
        content,
        text,
        item: item.id,
        source: "entity",
        title: item.title,
        creator,
        count: 1,
        lastMs: timeMs,
        vector: this.vector(content),
      }),
      timeMs,
    );
  }

  entriesOf(user: string): PersonalEntry[] {
    return [...(this.users.get(user)?.values() ?? [])];
  }

  weightOf(user: string, entry: PersonalEntry, nowMs: number): { weight: number; affinity: number } {
    const affinity =
      entry.item === null
        ? this.o.unknownAffinity
        : (this.affinity(user, entry.item) ?? this.o.unknownAffinity);
    const age = Math.max(0, nowMs - entry.lastMs);
    const recency = 0.5 ** (age / this.o.halfLifeMs);
    const countFactor = entry.count / (entry.count + 1);
    return { weight: affinity * recency * countFactor, affinity };
  }

  /** The user's k entries nearest to the request (cosine >= minSimilarity), best first. */
  nearest(user: string, text: string, k: number, nowMs: number, minSimilarity = 0.3): PersonalHit[] {
    const content = requestContent(text);
    const q = this.o.ngram === undefined ? charNgramVector(content) : charNgramVector(content, this.o.ngram);
    return this.nearestVector(user, q, k, nowMs, minSimilarity);
  }

  /** nearest for a query vector already built (with the same n-gram options). */
  nearestVector(user: string, q: SparseVector, k: number, nowMs: number, minSimilarity = 0.3): PersonalHit[] {
    const m = this.users.get(user);
    if (m === undefined) return [];
    const hits: PersonalHit[] = [];
    // Entries of one content share their vector object: one cosine each.
    const seen = new Map<SparseVector, number>();
    for (const entry of m.values()) {
      let similarity = seen.get(entry.vector);
      if (similarity === undefined) {
        similarity = cosine(q, entry.vector);
        seen.set(entry.vector, similarity);
      }
      if (similarity < minSimilarity) continue;
      hits.push({ entry, similarity, ...this.weightOf(user, entry, nowMs) });
    }
    hits.sort(
      (a, b) => b.similarity - a.similarity || b.weight - a.weight || (a.entry.text < b.entry.text ? -1 : 1),
    );
    return hits.slice(0, k);
  }
}

/**
 * Puts an entity into the user's own phrasing: the title said is replaced by the entity's title, and the
 * creator said (or, when none was, the end of the title) gets the entity's creator: "play we dont talk
 * anymor" -> "play We Don't Talk Anymore by Charlie Puth". Naming the creator is what settles same-title
 * items for this user.
 */
export function substituteEntity(query: string, title: string, creator: string | undefined): string {
  const p = parseRequest(query);
  const by = creator === undefined ? "" : ` by ${creator}`;
  if (p.title === "") return `${title}${by}`;
  if (p.creatorSpan !== null && p.creatorSpan[0] > p.titleSpan[0]) {
    const out =
      creator === undefined
        ? query
        : query.slice(0, p.creatorSpan[0]) + creator + query.slice(p.creatorSpan[1]);
    return out.slice(0, p.titleSpan[0]) + title + out.slice(p.titleSpan[1]);
  }
  return query.slice(0, p.titleSpan[0]) + title + by + query.slice(p.titleSpan[1]);
}
