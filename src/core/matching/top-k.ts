/**
 * The best few hits of a candidate search. Searches offer thousands of strings and keep a few dozen, so a
 * small array kept sorted by insertion beats sorting everything or a heap's bookkeeping.
 */

export interface Hit {
  /** Index of the string in the array the searched index was built from. */
  id: number;
  score: number;
}

export class TopK {
  /** Best first; ties keep the order in which they were offered. */
  readonly hits: Hit[] = [];

  constructor(private readonly limit: number) {}

  /** Score a hit must beat to enter (the current last one when full, else -Infinity). */
  get bar(): number {
    return this.hits.length < this.limit ? Number.NEGATIVE_INFINITY : this.hits[this.limit - 1].score;
  }

  offer(id: number, score: number): void {
    const { hits, limit } = this;
    if (limit <= 0 || (hits.length === limit && score <= hits[limit - 1].score)) return;
    const hit = { id, score };
    let pos = hits.length;
    if (pos < limit) hits.push(hit);
    else pos = limit - 1;
    while (pos > 0 && hits[pos - 1].score < score) {
      hits[pos] = hits[pos - 1];
      pos--;
    }
    hits[pos] = hit;
  }
}
