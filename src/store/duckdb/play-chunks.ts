import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  INTEGER,
  TIMESTAMP,
  UHUGEINT,
  VARCHAR,
} from "@duckdb/node-api";
import bindings from "@duckdb/node-bindings";

/** A play as the appender takes it, in the plays table's column order (ingested_at aside). */
export interface PlayRow {
  key: bigint;
  eventId: string | null;
  user: string;
  item: string;
  /** Integers (playRow checks them): written into the chunk without a BigInt each (setInt64). */
  endMs: number;
  playedMs: number;
  itemLengthMs: number | null;
  weight: number | null;
  deviceType: string | null;
  hasScreen: boolean | null;
  extra: string | null;
  requestText: string | null;
  endReason: string | null;
  source: string;
  requestId: string | null;
  deviceState: string | null;
  activity: string | null;
  /** The user's and item's codes (schema 8), given on the write connection just before the append. */
  userCode: number;
  itemCode: number;
}

/** The staging table's columns: the plays table's without ingested_at (the order of PlayRow). */
const STAGING_TYPES = [
  UHUGEINT,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  TIMESTAMP,
  BIGINT,
  BIGINT,
  DOUBLE,
  VARCHAR,
  BOOLEAN,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  INTEGER,
  INTEGER,
];

/** The plays table's own columns: the staging table's with ingested_at (a TIMESTAMP) after source. */
const PLAYS_TYPES = [...STAGING_TYPES.slice(0, 14), TIMESTAMP, ...STAGING_TYPES.slice(14)];

type Vector = ReturnType<typeof bindings.data_chunk_get_vector>;

/**
 * Plays as DuckDB data chunks of the staging table's columns, for `appender.appendDataChunk`; with
 * `ingestedAtMicros`, of the plays table's own columns, every row ingested at that time. The row-by-row
 * appender makes one call into DuckDB per value, 21 a play, and with the bindings' cost per call that was
 * the largest JavaScript cost of a 10k-event POST /v1/events (about 3.5 us of the server's main thread per
 * play, a third of it for NULLs). Here a column of numbers is one copy into its vector, NULLs are bits of one
 * validity copy, and only non-NULL strings are a call each. Written against the bindings rather than the
 * node API's vectors: those set validity bit by bit with BigInt arithmetic.
 */
export function playChunks(rows: readonly PlayRow[], ingestedAtMicros?: bigint): DuckDBDataChunk[] {
  const size = bindings.vector_size();
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const n = Math.min(size, rows.length - start);
    const chunk = DuckDBDataChunk.create(ingestedAtMicros === undefined ? STAGING_TYPES : PLAYS_TYPES, n);
    // The staging table's columns; for plays itself, those after source move one on past ingested_at.
    const column = (c: number) =>
      bindings.data_chunk_get_vector(chunk.chunk, ingestedAtMicros === undefined || c < 14 ? c : c + 1);
    if (ingestedAtMicros !== undefined)
      copyInto(bindings.data_chunk_get_vector(chunk.chunk, 14), new BigInt64Array(n).fill(ingestedAtMicros));
    const key = new BigUint64Array(2 * n);
    const [endMicros, playedMs, itemLengthMs] = [n, n, n].map((length) => new BigInt64Array(length));
    const [endWords, playedWords, lengthWords] = [endMicros, playedMs, itemLengthMs].map(
      (column) => new Uint32Array(column.buffer),
    );
    const [userCode, itemCode] = [n, n].map((length) => new Int32Array(length));
    const weight = new Float64Array(n);
    const hasScreen = new Uint8Array(n);
    const [lengthValid, weightValid, screenValid] = [n, n, n].map((length) => new Validity(length));
    for (let k = 0; k < n; k++) {
      const row = rows[start + k];
      // UHUGEINT: the low 64 bits, then the high 64, each little-endian (as the platform's typed arrays).
      key[2 * k] = BigInt.asUintN(64, row.key);
      key[2 * k + 1] = row.key >> 64n;
      setInt64(endMicros, endWords, k, row.endMs, 1000);
      setInt64(playedMs, playedWords, k, row.playedMs, 1);
      userCode[k] = row.userCode;
      itemCode[k] = row.itemCode;
      if (row.itemLengthMs === null) lengthValid.clear(k);
      else setInt64(itemLengthMs, lengthWords, k, row.itemLengthMs, 1);
      if (row.weight === null) weightValid.clear(k);
      else weight[k] = row.weight;
      if (row.hasScreen === null) screenValid.clear(k);
      else hasScreen[k] = row.hasScreen ? 1 : 0;
    }
    copyInto(column(0), key);
    copyInto(column(4), endMicros);
    copyInto(column(5), playedMs);
    copyInto(column(6), itemLengthMs, lengthValid);
    copyInto(column(7), weight, weightValid);
    copyInto(column(9), hasScreen, screenValid);
    copyInto(column(17), userCode);
    copyInto(column(18), itemCode);
    strings(column(1), rows, start, n, (r) => r.eventId);
    strings(column(2), rows, start, n, (r) => r.user);
    strings(column(3), rows, start, n, (r) => r.item);
    strings(column(8), rows, start, n, (r) => r.deviceType);
    strings(column(10), rows, start, n, (r) => r.extra);
    strings(column(11), rows, start, n, (r) => r.requestText);
    strings(column(12), rows, start, n, (r) => r.endReason);
    strings(column(13), rows, start, n, (r) => r.source);
    strings(column(14), rows, start, n, (r) => r.requestId);
    strings(column(15), rows, start, n, (r) => r.deviceState);
    strings(column(16), rows, start, n, (r) => r.activity);
    chunks.push(chunk);
  }
  return chunks;
}

/**
 * value x scale into slot k of an int64 column: as its two 32-bit words (low first, the platform's order)
 * while the product is a safe integer, which needs no BigInt; as a BigInt past that (times past 2255).
 */
function setInt64(column: BigInt64Array, words: Uint32Array, k: number, value: number, scale: number): void {
  const v = value * scale;
  if (Number.isSafeInteger(v)) {
    words[2 * k] = v >>> 0;
    words[2 * k + 1] = Math.floor(v / 4294967296) >>> 0;
  } else column[k] = BigInt(value) * BigInt(scale);
}

/** A vector's validity mask: 64-bit words, one bit a row, set when the row has a value. */
class Validity {
  readonly words: Uint32Array;
  any = false;

  constructor(n: number) {
    // DuckDB reads the mask as 64-bit words; two 32-bit words each hold the same bits on a little-endian host.
    this.words = new Uint32Array(2 * Math.ceil(n / 64)).fill(0xffffffff);
  }

  clear(row: number): void {
    this.words[row >>> 5] &= ~(1 << (row & 31));
    this.any = true;
  }
}

function copyInto(vector: Vector, values: ArrayBufferView, validity?: Validity): void {
  bindings.copy_data_to_vector(vector, 0, values.buffer as ArrayBuffer, values.byteOffset, values.byteLength);
  setValidity(vector, validity);
}

function setValidity(vector: Vector, validity: Validity | undefined): void {
  if (!validity?.any) return;
  bindings.vector_ensure_validity_writable(vector);
  bindings.copy_data_to_vector_validity(
    vector,
    0,
    validity.words.buffer as ArrayBuffer,
    0,
    validity.words.byteLength,
  );
}

/**
 * A column of strings: one call a non-NULL value, or, when every row has the same one (a batch's source, as
 * a rule), one for the chunk: the vector then refers to that value as a constant.
 */
function strings(
  vector: Vector,
  rows: readonly PlayRow[],
  start: number,
  n: number,
  of: (row: PlayRow) => string | null,
): void {
  const first = of(rows[start]);
  let same = true;
  for (let k = 1; k < n && same; k++) same = of(rows[start + k]) === first;
  if (same && first !== null) {
    bindings.vector_reference_value(vector, bindings.create_varchar(first));
    return;
  }
  const validity = new Validity(n);
  for (let k = 0; k < n; k++) {
    const s = of(rows[start + k]);
    if (s === null) validity.clear(k);
    else bindings.vector_assign_string_element(vector, k, s);
  }
  setValidity(vector, validity);
}
