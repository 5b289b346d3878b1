/**
 * Which event keys may already be stored: a Bloom filter over the 128-bit keys, so that a write of new events
 * (the usual case) can skip the anti-join that looks each key up among stored plays. The store fills it with
 * the keys of plays with an event id, and of plays without one that ended after its newest play when built.
 * For an event id that look-up cannot be narrowed: the keys are hashes, so DuckDB's zone maps prune nothing,
 * and the plays table has no index (an index would slow bulk ingest; migration 7). It read every stored key
 * per write: a one-play POST /v1/events took 560 ms p50 on a 1.2 M-play store (load 15-18), ~70 ms of it
 * per full scan of the key column.
 *
 * Written here rather than taken from a package: the keys are already uniform hashes, so the probe
 * positions are two 32-bit slices of the key (double hashing), with nothing to hash again; the whole
 * structure is a bit array and two loops. No false negatives: "may hold" false means the key is not stored.
 *
 * Sized for batches, not single keys: one key of a batch that may be stored sends the whole batch through
 * the look-up, so a 10,000-event batch needs a false-positive rate near 1e-7 per key. At 10 bits a key
 * (1% each) nearly every such batch took the slow path: 11k events/s over HTTP against 22k for plays
 * keyed by fields (load 18). 32 bits a key and 22 probes: ~2e-7 in theory, 4 bytes a stored event id.
 */
export class EventKeyFilter {
  /** With 32 bits a key, 22 probes minimise false positives (m/n ln 2). */
  private static readonly PROBES = 22;
  private static readonly BITS_PER_KEY = 32;
  private readonly words: Uint32Array;
  private readonly mask: number;
  private keys = 0;

  /** Room for `capacity` keys at the designed false-positive rate; more may be added, at a higher rate. */
  constructor(readonly capacity: number) {
    let bits = 1 << 16;
    while (bits < capacity * EventKeyFilter.BITS_PER_KEY && bits < 2 ** 31) bits *= 2;
    this.words = new Uint32Array(bits / 32);
    this.mask = bits - 1;
  }

  /** Keys added over the designed capacity make false positives more frequent: then build a larger one. */
  get overfull(): boolean {
    return this.keys > this.capacity;
  }

  /** A key given as its low two 32-bit words (what the store's scan returns, as numbers). */
  addWords(low: number, high: number): void {
    const step = high | 1;
    for (let p = 0, at = low; p < EventKeyFilter.PROBES; p++, at = (at + step) >>> 0) {
      const bit = at & this.mask;
      this.words[bit >>> 5] |= 1 << (bit & 31);
    }
    this.keys++;
  }

  mayHoldWords(low: number, high: number): boolean {
    const step = high | 1;
    for (let p = 0, at = low; p < EventKeyFilter.PROBES; p++, at = (at + step) >>> 0) {
      const bit = at & this.mask;
      if ((this.words[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  add(key: bigint): void {
    this.addWords(...keyWords(key));
  }

  mayHold(key: bigint): boolean {
    return this.mayHoldWords(...keyWords(key));
  }
}

/** The low two 32-bit words of a key, the same slices the store's scan selects in SQL. */
export function keyWords(key: bigint): [number, number] {
  return [Number(key & 0xffffffffn), Number((key >> 32n) & 0xffffffffn)];
}
