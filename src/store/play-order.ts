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
 * cache miss). So this is a least significant digit radix sort of one composite key per row, packed into as
 * few 32-bit words as its real bit widths need (item rank, user rank and the time in steps of the largest step
 * all times share: a minute, for minute-stamped histories; 43 bits for 2 M Spotify plays, four passes), which
 * travel with the row numbers. Each pass reads every word once and writes each word and the row number to its
 * bucket in the same loop; the digits' counts are taken for all passes before the first moves anything, and a
 * pass whose digit never varies is skipped. User, item and time are unpacked from the words in order; only
 * played ms, item length and weight are looked up through the row numbers, and not at all when a column holds
 * one value throughout (no item lengths, no weights). Runs equal in time, user and item (rare: the same item
 * ending twice in one step) are sorted on the rest with a comparator.
 */

/** Plays as scanned: ranks are integers from 0 below `users` and `items`, times integer epoch ms. */
export type PlaySortColumns = Omit<PlayColumns, "users" | "items">;

/**
 * End times read as 32-bit whole steps from the earliest (the DuckDB scan's narrow read): a time is
 * `min + steps[k] * step` ms. The steps' buffer, from their offset, should have room for n doubles: the sorted
 * times in ms are written there (else into a fresh array).
 */
export interface EndTimeSteps {
  steps: Uint32Array;
  min: number;
  step: number;
  /** The largest of the steps. */
  max: number;
}

/**
 * Plays as a store reads them: as PlaySortColumns, or narrower where the values fit 32 bits (times as steps,
 * played ms and item lengths as 32-bit integers), which the sort reads as they are and widens as it writes.
 */
export interface PlayScanColumns {
  userIndex: Int32Array;
  itemIndex: Int32Array;
  endTimeMs: Float64Array | EndTimeSteps;
  playedMs: Float64Array | Int32Array;
  itemLengthMs: Float64Array | Int32Array;
  weight: Float64Array;
}

/** The widest digit: 2^11 buckets of each moved array stay in the cache as they fill. */
const MAX_DIGIT_BITS = 11;
const TWO_32 = 4294967296;

/** The columns besides the key: looked up through the row numbers after the sort. */
export type PlayPayloadColumn = "playedMs" | "itemLengthMs" | "weight";
const PAYLOAD: readonly PlayPayloadColumn[] = ["playedMs", "itemLengthMs", "weight"];

/**
 * The columns in scan order. The input is used up: its user, item and time arrays come back holding the sorted
 * values, and a column that holds one value throughout is handed back as it is (widened to doubles when it was
 * read narrow). `users` and `items` bound the ranks. `pause` is awaited between passes (a scan yields to the
 * event loop there). `uniform` names columns the caller knows hold one value throughout, which are then not read
 * at all.
 *
 * Memory is reused rather than taken fresh (on the shared machine a first touch of a page costs ~13 us, as
 * much as sorting 300 rows): the time array holds the row numbers while the times are packed, the sorted values
 * go back into the input's arrays, and a spent block of key words holds the first looked-up column.
 */
export async function sortPlayColumns(
  columns: PlayScanColumns,
  users: number,
  items: number,
  pause: () => Promise<void> = async () => {},
  uniform: readonly PlayPayloadColumn[] = [],
): Promise<PlaySortColumns> {
  const n = columns.userIndex.length;
  const stepped = columns.endTimeMs instanceof Float64Array ? null : columns.endTimeMs;
  if (n < 2 || isOrdered(columns)) return widened(columns);
  // Times read as steps need no pass to find their step (the store chose it); the times in ms are not read.
  const time = stepped
    ? { min: stepped.min, step: stepped.step, bits: bitsFor(stepped.max) }
    : timeSteps(wide(columns.endTimeMs));
  if (!time) return comparatorSorted(widened(columns));
  const layout = keyLayout(bitsFor(items - 1), bitsFor(users - 1), time.bits);
  const wordCount = Math.max(1, Math.ceil(layout.bits / 32));
  // Two blocks for the key words (the passes move them from one to the other), each big enough to hold a
  // Float64Array of n afterwards; one for the row numbers and theirs.
  const blocks = [0, 1].map(() => new ArrayBuffer(Math.max(2, wordCount) * 4 * n));
  const wordsIn = (block: ArrayBuffer) =>
    Array.from({ length: wordCount }, (_, w) => new Uint32Array(block, w * 4 * n, n));
  const words = wordsIn(blocks[0]);
  const spare = wordsIn(blocks[1]);
  packKeys(columns, time, layout, words, new Uint32Array(blocks[1], 0, n));
  await pause();
  const varying = PAYLOAD.filter((c) => !uniform.includes(c) && !isConstant(columns[c]));
  // When played ms is the one column to look up and 32-bit, the passes move its values where they would move
  // the row numbers: no gather through the rows afterwards (a random read of every row), and ties are put in
  // order by sorting the values themselves.
  const carried =
    varying.length === 1 && varying[0] === "playedMs" && columns.playedMs instanceof Int32Array
      ? columns.playedMs
      : null;
  // The times are packed, so until they are unpacked their array holds the row numbers and theirs.
  const t = stepped ? roomForTimes(stepped, n) : wide(columns.endTimeMs);
  const rowBlocks = [0, 1].map((half) => new Int32Array(t.buffer, t.byteOffset + half * 4 * n, n));
  const rows = await radixSortRows(words, spare, rowBlocks, layout.bits, pause, carried);
  // Columns not looked up are handed back (in doubles); the rest are replaced below.
  const sorted: PlaySortColumns = {
    userIndex: columns.userIndex,
    itemIndex: columns.itemIndex,
    endTimeMs: t,
    playedMs: varying.includes("playedMs") ? new Float64Array(0) : widenedColumn(columns.playedMs),
    itemLengthMs: varying.includes("itemLengthMs")
      ? new Float64Array(0)
      : widenedColumn(columns.itemLengthMs),
    weight: columns.weight,
  };
  // The block the sorted words are not in takes the first looked-up column.
  const free = words[0].buffer === blocks[0] ? blocks[1] : blocks[0];
  if (carried) {
    orderTieValues(words, rows);
    const played = new Float64Array(free, 0, n);
    for (let k = 0; k < n; k++) played[k] = rows[k];
    sorted.playedMs = played;
  } else if (varying.length > 0) {
    orderTies(words, rows, columns);
    varying.forEach((c, k) => {
      sorted[c] = gather(columns[c], rows, k === 0 ? new Float64Array(free, 0, n) : new Float64Array(n));
    });
  }
  unpackKeys(words, time, layout, sorted);
  return sorted;
}

/** Never true of what a caller passes: the narrow cases are taken apart before (for the type checker). */
function wide(times: Float64Array | EndTimeSteps): Float64Array {
  if (!(times instanceof Float64Array)) throw new Error("sortPlayColumns: times in steps where ms were due");
  return times;
}

/** Doubles of n times over the steps' memory when it has room (the steps are read first), else fresh. */
function roomForTimes(times: EndTimeSteps, n: number): Float64Array {
  const { buffer, byteOffset } = times.steps;
  return byteOffset % 8 === 0 && buffer.byteLength - byteOffset >= 8 * n
    ? new Float64Array(buffer, byteOffset, n)
    : new Float64Array(n);
}

/** A payload column as doubles: itself when it is, else a widened copy. */
function widenedColumn(column: Float64Array | Int32Array): Float64Array {
  return column instanceof Float64Array ? column : Float64Array.from(column);
}

/** The columns as they are, in doubles (the times in ms over their steps, in place when there is room). */
function widened(columns: PlayScanColumns): PlaySortColumns {
  const times = columns.endTimeMs;
  if (
    times instanceof Float64Array &&
    columns.playedMs instanceof Float64Array &&
    columns.itemLengthMs instanceof Float64Array
  )
    return columns as PlaySortColumns;
  let endTimeMs: Float64Array;
  if (times instanceof Float64Array) endTimeMs = times;
  else {
    const n = times.steps.length;
    endTimeMs = roomForTimes(times, n);
    const { steps, min, step } = times;
    // Backwards: the double at k covers the steps at 2k and 2k + 1, read by then (or, at 0, just read).
    for (let k = n - 1; k >= 0; k--) endTimeMs[k] = min + steps[k] * step;
  }
  return {
    ...columns,
    endTimeMs,
    playedMs: widenedColumn(columns.playedMs),
    itemLengthMs: widenedColumn(columns.itemLengthMs),
  };
}

interface TimeSteps {
  /** The earliest time, and the largest step all times are whole multiples of from it. */
  min: number;
  step: number;
  /** Bits of the largest number of steps from the earliest time. */
  bits: number;
}

/**
 * The earliest time and the greatest common divisor of the times' offsets from the first (the same as from the
 * earliest); null when some time is not a whole number of ms (the radix sort needs integers).
 */
function timeSteps(t: Float64Array): TimeSteps | null {
  const first = t[0];
  let min = first;
  let max = first;
  let step = 0;
  for (let k = 0; k < t.length; k++) {
    const x = t[k];
    if (!Number.isSafeInteger(x)) return null;
    if (x < min) min = x;
    else if (x > max) max = x;
    const offset = Math.abs(x - first);
    // Division tests divisibility exactly below 2^53, and far faster than `%` on doubles.
    if (step !== 1 && offset !== 0 && (step === 0 || offset / step !== Math.floor(offset / step)))
      step = gcd(step, offset);
  }
  if (step === 0) step = 1;
  if (!Number.isSafeInteger(max - min)) return null;
  return { min, step, bits: bitsFor((max - min) / step) };
}

/** Bits needed to write `v` (an integer from 0 below 2^53); 0 for 0 and below. */
function bitsFor(v: number): number {
  if (v <= 0) return 0;
  if (v < TWO_32) return 32 - Math.clz32(v);
  return 32 + bitsFor(Math.floor(v / TWO_32));
}

/** Where each field sits in the composite key (bit offsets, least significant first), and its width. */
interface KeyLayout {
  item: number;
  itemBits: number;
  user: number;
  userBits: number;
  time: number;
  timeBits: number;
  /** All of the key's bits: its words hold 32 each, the last fewer. */
  bits: number;
}

function keyLayout(itemBits: number, userBits: number, timeBits: number): KeyLayout {
  return {
    item: 0,
    itemBits,
    user: itemBits,
    userBits,
    time: itemBits + userBits,
    timeBits,
    bits: itemBits + userBits + timeBits,
  };
}

/**
 * One composite key per row into `words` (zeros; ceil(bits / 32) of them): time most significant, then user,
 * then item. `part` is room for the time's parts.
 */
function packKeys(
  c: PlayScanColumns,
  time: TimeSteps,
  layout: KeyLayout,
  words: Uint32Array[],
  part: Uint32Array,
): void {
  const n = c.userIndex.length;
  orBits(words, layout.item, layout.itemBits, c.itemIndex);
  orBits(words, layout.user, layout.userBits, c.userIndex);
  const { min, step, bits } = time;
  if (bits === 0) return;
  if (!(c.endTimeMs instanceof Float64Array)) {
    // Read as steps already (bits <= 32).
    orBits(words, layout.time, bits, c.endTimeMs.steps);
    return;
  }
  // The time in steps, in up to two 32-bit parts.
  const t = c.endTimeMs;
  for (let k = 0; k < n; k++) part[k] = (t[k] - min) / step; // ToUint32: the low 32 bits
  orBits(words, layout.time, Math.min(bits, 32), part);
  if (bits > 32) {
    for (let k = 0; k < n; k++) part[k] = Math.floor((t[k] - min) / step / TWO_32);
    orBits(words, layout.time + 32, bits - 32, part);
  }
}

/** ORs `values` (each below 2^bits, bits <= 32) into the key words at bit `offset`, across a word boundary. */
function orBits(words: Uint32Array[], offset: number, bits: number, values: Int32Array | Uint32Array): void {
  if (bits === 0) return;
  const at = offset >>> 5;
  const shift = offset & 31;
  const low = words[at];
  for (let k = 0; k < values.length; k++) low[k] |= values[k] << shift;
  if (shift + bits > 32) {
    const high = words[at + 1];
    for (let k = 0; k < values.length; k++) high[k] |= values[k] >>> (32 - shift);
  }
}

/** `bits` (<= 32) of the key words from bit `offset`, for every row, into `out`. */
function extractBits(
  words: Uint32Array[],
  offset: number,
  bits: number,
  out: Int32Array | Uint32Array,
): void {
  if (bits === 0) {
    out.fill(0);
    return;
  }
  const at = offset >>> 5;
  const shift = offset & 31;
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const low = words[at];
  if (shift + bits <= 32) {
    for (let k = 0; k < out.length; k++) out[k] = (low[k] >>> shift) & mask;
  } else {
    const high = words[at + 1];
    for (let k = 0; k < out.length; k++) out[k] = ((low[k] >>> shift) | (high[k] << (32 - shift))) & mask;
  }
}

/** The ranks and times back from the sorted key words into `out`'s arrays. */
function unpackKeys(words: Uint32Array[], time: TimeSteps, layout: KeyLayout, out: PlaySortColumns): void {
  extractBits(words, layout.item, layout.itemBits, out.itemIndex);
  extractBits(words, layout.user, layout.userBits, out.userIndex);
  const { min, step, bits } = time;
  const t = out.endTimeMs;
  if (bits === 0) {
    t.fill(min);
    return;
  }
  if (bits <= 32) {
    for (let k = 0; k < t.length; k++) t[k] = min + bitsAt(words, layout.time, bits, k) * step;
    return;
  }
  for (let k = 0; k < t.length; k++)
    t[k] =
      min +
      (bitsAt(words, layout.time + 32, bits - 32, k) * TWO_32 + bitsAt(words, layout.time, 32, k)) * step;
}

/** `bits` (<= 32) of row k's key from bit `offset`, as an unsigned number. */
function bitsAt(words: Uint32Array[], offset: number, bits: number, k: number): number {
  const at = offset >>> 5;
  const shift = offset & 31;
  let v = words[at][k] >>> shift;
  if (shift + bits > 32) v |= words[at + 1][k] << (32 - shift);
  return bits === 32 ? v >>> 0 : v & ((1 << bits) - 1);
}

/** One pass of the sort: a digit of `bits` bits at `shift` in word `word`. */
interface Pass {
  word: number;
  shift: number;
  bits: number;
  /** Each bucket's start (the counts' running sum). */
  starts: Int32Array;
}

/**
 * Sorts the key words (in place: the arrays of `words` and `spare` trade places as the passes go) and returns
 * the row numbers in their new order (in one of `rowBlocks`), or `carried`'s values when given. Stable, so rows
 * with equal keys keep their order.
 */
async function radixSortRows(
  words: Uint32Array[],
  spare: Uint32Array[],
  rowBlocks: Int32Array[],
  keyBits: number,
  pause: () => Promise<void>,
  carried: Int32Array | null = null,
): Promise<Int32Array> {
  const n = words[0].length;
  const passes = plannedPasses(words, keyBits);
  let [rows, spareRows] = rowBlocks;
  if (carried) rows.set(carried);
  else for (let k = 0; k < n; k++) rows[k] = k;
  if (passes.length === 0) return rows;
  for (const pass of passes) {
    if (words.length === 1) scatterOne(words[0], rows, spare[0], spareRows, pass);
    else if (words.length === 2) scatterTwo(words, rows, spare, spareRows, pass);
    else scatterAny(words, rows, spare, spareRows, pass);
    for (let w = 0; w < words.length; w++) [words[w], spare[w]] = [spare[w], words[w]];
    [rows, spareRows] = [spareRows, rows];
    await pause();
  }
  return rows;
}

/**
 * The passes, least significant digit first: each word's bits split into equal digits of at most
 * MAX_DIGIT_BITS, their counts taken in one read of the word, passes whose digit is the same on every row
 * dropped (they would move nothing).
 */
function plannedPasses(words: Uint32Array[], keyBits: number): Pass[] {
  const n = words[0].length;
  const passes: Pass[] = [];
  for (let w = 0; w < words.length; w++) {
    const wordBits = Math.min(32, keyBits - 32 * w);
    if (wordBits <= 0) break;
    const count = Math.ceil(wordBits / MAX_DIGIT_BITS);
    const bits = Math.ceil(wordBits / count);
    const digits: Pass[] = [];
    for (let d = 0; d < count; d++) {
      const shift = d * bits;
      digits.push({
        word: w,
        shift,
        bits: Math.min(bits, wordBits - shift),
        starts: new Int32Array(1 << bits),
      });
    }
    countDigits(words[w], digits);
    for (const pass of digits) {
      const counts = pass.starts;
      let sum = 0;
      let single = false;
      for (let d = 0; d < counts.length; d++) {
        const c = counts[d];
        if (c === n) single = true;
        counts[d] = sum;
        sum += c;
      }
      if (!single) passes.push(pass);
    }
  }
  return passes;
}

/** Counts of each digit of `digits` (all of one word), in one read of the word. */
function countDigits(word: Uint32Array, digits: Pass[]): void {
  const [a, b, c] = digits;
  const n = word.length;
  const aMask = (1 << a.bits) - 1;
  const aCounts = a.starts;
  if (digits.length === 1) {
    for (let k = 0; k < n; k++) aCounts[(word[k] >>> a.shift) & aMask]++;
    return;
  }
  const bMask = (1 << b.bits) - 1;
  const bCounts = b.starts;
  if (digits.length === 2) {
    for (let k = 0; k < n; k++) {
      const x = word[k];
      aCounts[(x >>> a.shift) & aMask]++;
      bCounts[(x >>> b.shift) & bMask]++;
    }
    return;
  }
  const cMask = (1 << c.bits) - 1;
  const cCounts = c.starts;
  for (let k = 0; k < n; k++) {
    const x = word[k];
    aCounts[(x >>> a.shift) & aMask]++;
    bCounts[(x >>> b.shift) & bMask]++;
    cCounts[(x >>> c.shift) & cMask]++;
  }
}

// The scatters: each row's key words and row number go to the next free place of its digit's bucket, all in one
// loop (one read of the digit's word). Written out for one and two words, the usual cases, so that the loop
// holds no array of arrays.

function scatterOne(
  key: Uint32Array,
  rows: Int32Array,
  toKey: Uint32Array,
  toRows: Int32Array,
  pass: Pass,
): void {
  const next = pass.starts;
  const { shift } = pass;
  const mask = (1 << pass.bits) - 1;
  for (let k = 0; k < key.length; k++) {
    const x = key[k];
    const at = next[(x >>> shift) & mask]++;
    toKey[at] = x;
    toRows[at] = rows[k];
  }
}

function scatterTwo(
  words: Uint32Array[],
  rows: Int32Array,
  to: Uint32Array[],
  toRows: Int32Array,
  pass: Pass,
): void {
  const [w0, w1] = words;
  const [t0, t1] = to;
  const next = pass.starts;
  const { shift } = pass;
  const mask = (1 << pass.bits) - 1;
  const digitWord = pass.word === 0 ? w0 : w1;
  for (let k = 0; k < w0.length; k++) {
    const at = next[(digitWord[k] >>> shift) & mask]++;
    t0[at] = w0[k];
    t1[at] = w1[k];
    toRows[at] = rows[k];
  }
}

function scatterAny(
  words: Uint32Array[],
  rows: Int32Array,
  to: Uint32Array[],
  toRows: Int32Array,
  pass: Pass,
): void {
  const next = pass.starts;
  const { shift } = pass;
  const mask = (1 << pass.bits) - 1;
  const digitWord = words[pass.word];
  for (let k = 0; k < rows.length; k++) {
    const at = next[(digitWord[k] >>> shift) & mask]++;
    for (let w = 0; w < words.length; w++) to[w][at] = words[w][k];
    toRows[at] = rows[k];
  }
}

/**
 * Sorts each run of rows with equal keys (equal in time, user and item) on played ms, item length and weight
 * (`c`'s, through the row numbers), in place in `rows`.
 */
function orderTies(words: Uint32Array[], rows: Int32Array, c: PlayScanColumns): void {
  const compare = (a: number, b: number) =>
    c.playedMs[a] - c.playedMs[b] ||
    c.itemLengthMs[a] - c.itemLengthMs[b] ||
    compareWeights(c.weight[a], c.weight[b]);
  forEachTie(words, (start, end) => rows.subarray(start, end).sort(compare));
}

/** Sorts each run of rows with equal keys on the values carried with them (played ms), in place. */
function orderTieValues(words: Uint32Array[], values: Int32Array): void {
  forEachTie(words, (start, end) => values.subarray(start, end).sort());
}

/** Calls `run` with the bounds of each run of more than one row with equal keys (sorted key words). */
function forEachTie(words: Uint32Array[], run: (start: number, end: number) => void): void {
  const w0 = words[0];
  const n = w0.length;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && w0[end] === w0[start] && sameKey(words, start, end)) end++;
    if (end - start > 1) run(start, end);
    start = end;
  }
}

function sameKey(words: Uint32Array[], a: number, b: number): boolean {
  for (let w = 1; w < words.length; w++) if (words[w][a] !== words[w][b]) return false;
  return true;
}

function isConstant(column: Float64Array | Int32Array): boolean {
  const first = column[0];
  if (Number.isNaN(first)) {
    for (let k = 1; k < column.length; k++) if (!Number.isNaN(column[k])) return false;
  } else {
    for (let k = 1; k < column.length; k++) if (column[k] !== first) return false;
  }
  return true;
}

function gather(column: Float64Array | Int32Array, rows: Int32Array, out: Float64Array): Float64Array {
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

/**
 * Compares two rows on every key (NaN weights last, equal to each other); `time` is the times in ms or in
 * steps (the same order).
 */
function compareRows(c: PlayScanColumns, time: Float64Array | Uint32Array, a: number, b: number): number {
  return (
    time[a] - time[b] ||
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
function isOrdered(c: PlayScanColumns): boolean {
  const time = c.endTimeMs instanceof Float64Array ? c.endTimeMs : c.endTimeMs.steps;
  for (let k = 1; k < time.length; k++) if (compareRows(c, time, k - 1, k) > 0) return false;
  return true;
}

/** Times that are not whole ms (not from a store, which keeps ms): a comparator sort of the row numbers. */
function comparatorSorted(c: PlaySortColumns): PlaySortColumns {
  const rows = Int32Array.from(c.endTimeMs, (_, k) => k).sort((a, b) => compareRows(c, c.endTimeMs, a, b));
  const pick = <T extends Int32Array | Float64Array>(column: T): T => {
    const out = new (column.constructor as new (n: number) => T)(rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = column[rows[k]];
    return out;
  };
  return {
    userIndex: pick(c.userIndex),
    itemIndex: pick(c.itemIndex),
    endTimeMs: pick(c.endTimeMs),
    playedMs: pick(c.playedMs),
    itemLengthMs: pick(c.itemLengthMs),
    weight: pick(c.weight),
  };
}
