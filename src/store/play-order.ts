import type { PlayColumns } from "./event-store.js";
/**
 * The order in which a store hands plays to the trainer (EventStore.scanPlays): by end time, then user and
 * item (their ranks by name), played ms, item length and weight (NaN last). Rows equal in all six are
 * indistinguishable in the columns, so the order is a function of the plays alone, whichever store holds
 * them and in whatever order they were written.
 *
 * Hand-written because the scan's budget (issue 14: 5 M plays/s) leaves no room for a comparison sort, nor for
 * reading memory at random: on 2 M plays a comparator sort of the indices took longer than reading the plays
 * out of DuckDB, and so did a radix sort of the indices that looked each key up through them (each look-up a
 * cache miss: 80 ns a value on the shared machine, against 4 in order). So this is a least significant digit
 * radix sort, 11 bits a pass, of two packed keys that travel with the row numbers: user and item as one number
 * (user rank x items + item rank) and the time as steps of the largest step all times share (a minute, for
 * minute-stamped histories), passes whose digit never varies skipped. User, item and time are then unpacked
 * in order; only the other three columns are looked up through the row numbers, and not at all when a column
 * holds one value throughout (no item lengths, no weights). Runs equal in time, user and item (rare: the same
 * item ending twice in one millisecond) are sorted on the rest with a comparator.
 */

/** Plays as scanned: ranks are integers from 0 below `users` and `items`, times integer epoch ms. */
export type PlaySortColumns = Omit<PlayColumns, "users" | "items">;

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const TWO_32 = 4294967296;

/**
 * The columns in scan order (new arrays; the input's may be reused). `users` and `items` bound the ranks.
 * `pause` is awaited between passes (a scan yields to the event loop there).
 */
export async function sortPlayColumns(
  columns: PlaySortColumns,
  users: number,
  items: number,
  pause: () => Promise<void> = async () => {},
): Promise<PlaySortColumns> {
  const n = columns.endTimeMs.length;
  if (n < 2 || isOrdered(columns)) return columns;
  const time = timeSteps(columns.endTimeMs);
  // User and item as one word when they fit (user-major, so the word's order is theirs), else two.
  const packed = users * items <= TWO_32;
  const words = packed
    ? [packUserItem(columns.userIndex, columns.itemIndex, items)]
    : [Uint32Array.from(columns.itemIndex), Uint32Array.from(columns.userIndex)];
  words.push(time.low);
  if (time.high) words.push(time.high);
  let rows = new Int32Array(n);
  for (let k = 0; k < n; k++) rows[k] = k;
  // Least significant word first; each pass is stable, so it keeps the earlier passes' order on ties. The
  // row numbers and every word move with each pass (the words are unpacked in order at the end).
  let spareRows = new Int32Array(n);
  const spareWords = words.map(() => new Uint32Array(n));
  const digits = new Uint16Array(n);
  const counts = new Int32Array(BUCKETS);
  for (let w = 0; w < words.length; w++) {
    const max = maxOf(words[w]);
    for (let shift = 0; shift < 32 && max >>> shift > 0; shift += DIGIT_BITS) {
      if (!countDigits(words[w], shift, digits, counts)) continue; // one digit throughout: nothing would move
      scatterRows(rows, spareRows, digits, counts);
      [rows, spareRows] = [spareRows, rows];
      // The same move for each word (counts now hold each bucket's end).
      for (let v = 0; v < words.length; v++) {
        scatterLike(words[v], spareWords[v], digits, counts);
        [words[v], spareWords[v]] = [spareWords[v], words[v]];
      }
      await pause();
    }
  }
  const sorted: PlaySortColumns = {
    userIndex: new Int32Array(n),
    itemIndex: new Int32Array(n),
    endTimeMs: new Float64Array(n),
    playedMs: gatherUnlessConstant(columns.playedMs, rows),
    itemLengthMs: gatherUnlessConstant(columns.itemLengthMs, rows),
    weight: gatherUnlessConstant(columns.weight, rows),
  };
  if (packed) unpackUserItem(words[0], items, sorted.userIndex, sorted.itemIndex);
  else {
    sorted.itemIndex.set(words[0]);
    sorted.userIndex.set(words[1]);
  }
  unpackTimes(words[packed ? 1 : 2], time.high ? words[words.length - 1] : null, time, sorted.endTimeMs);
  breakTies(sorted);
  return sorted;
}

interface TimeSteps {
  /** The earliest time, and the largest step all times are whole multiples of from it. */
  min: number;
  step: number;
  low: Uint32Array<ArrayBuffer>;
  /** Only when some time is 2^32 steps or more from the earliest (ms over 49 days, not on whole seconds). */
  high: Uint32Array<ArrayBuffer> | null;
}

/** Times as whole steps from the earliest: the step is the greatest common divisor of the offsets. */
function timeSteps(t: Float64Array): TimeSteps {
  const n = t.length;
  let min = t[0];
  for (let k = 1; k < n; k++) if (t[k] < min) min = t[k];
  let step = 0;
  for (let k = 0; k < n && step !== 1; k++) {
    const offset = t[k] - min;
    if (offset % step !== 0 || step === 0) step = gcd(step, offset);
  }
  if (step === 0) step = 1;
  const low = new Uint32Array(n);
  let high: Uint32Array<ArrayBuffer> | null = null;
  for (let k = 0; k < n; k++) {
    const steps = (t[k] - min) / step;
    if (steps >= TWO_32) {
      high ??= new Uint32Array(n);
      high[k] = Math.floor(steps / TWO_32);
    }
    low[k] = steps >>> 0;
  }
  return { min, step, low, high };
}

function unpackTimes(low: Uint32Array, high: Uint32Array | null, time: TimeSteps, out: Float64Array): void {
  const { min, step } = time;
  if (high) for (let k = 0; k < out.length; k++) out[k] = min + (high[k] * TWO_32 + low[k]) * step;
  else for (let k = 0; k < out.length; k++) out[k] = min + low[k] * step;
}

function packUserItem(user: Int32Array, item: Int32Array, items: number): Uint32Array<ArrayBuffer> {
  const both = new Uint32Array(user.length);
  for (let k = 0; k < both.length; k++) both[k] = user[k] * items + item[k];
  return both;
}

function unpackUserItem(both: Uint32Array, items: number, user: Int32Array, item: Int32Array): void {
  for (let k = 0; k < both.length; k++) {
    const u = Math.floor(both[k] / items);
    user[k] = u;
    item[k] = both[k] - u * items;
  }
}

function maxOf(word: Uint32Array): number {
  let max = 0;
  for (let k = 0; k < word.length; k++) if (word[k] > max) max = word[k];
  return max;
}

/**
 * Each row's digit at `shift` into `digits`, and `counts` turned into each bucket's start; false (and nothing
 * else to do) when every row has the same digit.
 */
function countDigits(word: Uint32Array, shift: number, digits: Uint16Array, counts: Int32Array): boolean {
  counts.fill(0);
  for (let k = 0; k < word.length; k++) {
    const d = (word[k] >>> shift) & (BUCKETS - 1);
    digits[k] = d;
    counts[d]++;
  }
  if (counts[digits[0]] === word.length) return false;
  let sum = 0;
  for (let d = 0; d < BUCKETS; d++) {
    const c = counts[d];
    counts[d] = sum;
    sum += c;
  }
  return true;
}

/** Moves the rows to their buckets in order; leaves each bucket's end in `counts`. */
function scatterRows(rows: Int32Array, to: Int32Array, digits: Uint16Array, counts: Int32Array): void {
  for (let k = 0; k < rows.length; k++) to[counts[digits[k]]++] = rows[k];
}

/**
 * Moves `from` into `to` as the pass just moved the rows: `counts` holds each bucket's end, so walking
 * backwards and stepping back puts each value where its row went (the pass is stable either way).
 */
function scatterLike(from: Uint32Array, to: Uint32Array, digits: Uint16Array, counts: Int32Array): void {
  const ends = counts.slice();
  for (let k = from.length - 1; k >= 0; k--) to[--ends[digits[k]]] = from[k];
}

function gatherUnlessConstant(column: Float64Array, rows: Int32Array): Float64Array {
  const first = column[0];
  let constant = true;
  for (let k = 1; k < column.length && constant; k++) constant = Object.is(column[k], first);
  if (constant) return column.slice();
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = column[rows[k]];
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/** Compares two rows on every key (NaN weights last, equal to each other). */
function compareRows(c: PlaySortColumns, a: number, b: number): number {
  return (
    c.endTimeMs[a] - c.endTimeMs[b] ||
    c.userIndex[a] - c.userIndex[b] ||
    c.itemIndex[a] - c.itemIndex[b] ||
    c.playedMs[a] - c.playedMs[b] ||
    c.itemLengthMs[a] - c.itemLengthMs[b] ||
    compareWeights(c.weight[a], c.weight[b])
  );
}

function compareWeights(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a - b;
}

/** Whether the rows are in scan order already (a store written in time order often is). */
function isOrdered(c: PlaySortColumns): boolean {
  for (let k = 1; k < c.endTimeMs.length; k++) if (compareRows(c, k - 1, k) > 0) return false;
  return true;
}

/** Sorts each run of rows equal in time, user and item (in place) on the remaining keys. */
function breakTies(c: PlaySortColumns): void {
  const { endTimeMs: t, userIndex: u, itemIndex: i } = c;
  const n = t.length;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && t[end] === t[start] && u[end] === u[start] && i[end] === i[start]) end++;
    if (end - start > 1) {
      const rows = Array.from({ length: end - start }, (_, k) => start + k).sort((a, b) =>
        compareRows(c, a, b),
      );
      for (const column of [c.playedMs, c.itemLengthMs, c.weight]) {
        const values = rows.map((r) => column[r]);
        values.forEach((v, k) => {
          column[start + k] = v;
        });
      }
    }
    start = end;
  }
}
