import type { DuckDBConnection, DuckDBDataChunk } from "@duckdb/node-api";
import bindings from "@duckdb/node-bindings";
import type { PlayColumns } from "../event-store.js";
import { type EndTimeSteps, type PlayPayloadColumn, sortPlayColumns } from "../play-order.js";

/**
 * The training scan of the embedded store (EventStore.scanPlays), in one read transaction on a connection
 * of its own: the users and items by name from the code tables (schema 8, small), then the numeric columns
 * of the plays in the window (four to six: item lengths and weights only when some play has one), copied chunk
 * by chunk from DuckDB's vectors into typed arrays, 32-bit where the window's values fit (playsShape says
 * which: times as steps from the earliest, played ms and item lengths as integers; doubles otherwise). The
 * codes become ranks by name and the rows are put in scan order here (play-order.ts), in JavaScript, between
 * yields to the event loop: no join, no string and no object per play.
 *
 * Before schema 8 the scan ranked the plays' user and item names inside DuckDB, joined them back to every
 * play and sorted there: 3.6-4.7 CPU s for 2 M plays (issue 14 asks 5 M plays/s).
 */
export async function scanPlayColumns(conn: DuckDBConnection, where: string): Promise<PlayColumns> {
  await conn.run("BEGIN TRANSACTION");
  try {
    const users = await namesByCode(conn, "user_codes", "user_code", "user_id");
    const items = await namesByCode(conn, "item_codes", "item_code", "item_id");
    const shape = await playsShape(conn, where);
    const n = shape.count;
    const userIndex = new Int32Array(n);
    const itemIndex = new Int32Array(n);
    const read: { sql: string; into: Column }[] = [
      { sql: "user_code", into: userIndex },
      { sql: "item_code", into: itemIndex },
    ];
    // The narrow read where the values fit 32 bits: a third fewer bytes out of DuckDB, and times as steps
    // spare the sort a pass (bench/scan-read.ts measured the read alone at 27-37% less CPU). Else as doubles.
    let endTimeMs: Float64Array | EndTimeSteps;
    if (shape.timeSteps) {
      const { min, step } = shape.timeSteps;
      // Room for the doubles the sort writes the times into over their steps.
      const steps = new Uint32Array(new ArrayBuffer(8 * n), 0, n);
      read.push({ sql: `((epoch_ms(end_time) - (${min})) // ${step})::UINTEGER`, into: steps });
      endTimeMs = { ...shape.timeSteps, steps };
    } else {
      endTimeMs = new Float64Array(n);
      read.push({ sql: "epoch_ms(end_time)::DOUBLE", into: endTimeMs });
    }
    const playedMs = shape.playedFits ? new Int32Array(n) : new Float64Array(n);
    read.push({ sql: `played_ms::${sqlType(playedMs)}`, into: playedMs });
    const uniform: PlayPayloadColumn[] = [];
    let itemLengthMs: Int32Array | Float64Array;
    if (shape.lengths > 0) {
      itemLengthMs = shape.lengthsFit ? new Int32Array(n) : new Float64Array(n);
      read.push({ sql: `coalesce(item_length_ms, 0)::${sqlType(itemLengthMs)}`, into: itemLengthMs });
    } else {
      itemLengthMs = new Float64Array(n);
      uniform.push("itemLengthMs");
    }
    const weight = new Float64Array(n);
    if (shape.weights > 0) read.push({ sql: "coalesce(weight, 'NaN'::DOUBLE)", into: weight });
    else {
      weight.fill(Number.NaN);
      uniform.push("weight");
    }
    // No column read can be NULL (NOT NULL or coalesced), so the vectors' data is all there is to read.
    const result = await conn.stream(`SELECT ${read.map((r) => r.sql).join(", ")} FROM plays ${where}`);
    let at = 0;
    // Each fetch is a trip to DuckDB's thread and back: the event loop runs in between.
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    ) {
      if (at + chunk.rowCount > n) throw new Error("scanPlays: more plays than counted in the same snapshot");
      for (let col = 0; col < read.length; col++) copyColumn(chunk, col, read[col].into, at);
      at += chunk.rowCount;
    }
    if (at !== n) throw new Error("scanPlays: fewer plays than counted in the same snapshot");
    await conn.run("COMMIT");
    const present = (names: NamesByCode, codes: Int32Array) => {
      // Ranks of the codes the window holds, in name order; the names of those alone.
      const seen = new Uint8Array(names.codeCount);
      for (let k = 0; k < codes.length; k++) seen[codes[k]] = 1;
      const rank = new Int32Array(names.codeCount).fill(-1);
      const kept: string[] = [];
      for (let k = 0; k < names.codes.length; k++) {
        const code = names.codes[k];
        if (seen[code]) {
          rank[code] = kept.length;
          kept.push(names.names[k]);
        }
      }
      for (let k = 0; k < codes.length; k++) codes[k] = rank[codes[k]];
      return kept;
    };
    const userNames = present(users, userIndex);
    const itemNames = present(items, itemIndex);
    await yieldToEventLoop();
    const sorted = await sortPlayColumns(
      { userIndex, itemIndex, endTimeMs, playedMs, itemLengthMs, weight },
      userNames.length,
      itemNames.length,
      yieldToEventLoop,
      uniform,
    );
    return { users: userNames, items: itemNames, ...sorted };
  } catch (err) {
    await conn.run("ROLLBACK").catch(() => {});
    throw err;
  }
}

interface NamesByCode {
  /** Codes in name order, with their names. */
  codes: Int32Array;
  names: string[];
  /** One more than the largest code. */
  codeCount: number;
}

/** A code table's entries in name order (byte order, as DuckDB sorts text; the PostgreSQL store's too). */
async function namesByCode(
  conn: DuckDBConnection,
  table: string,
  code: string,
  name: string,
): Promise<NamesByCode> {
  const r = await conn.runAndReadAll(`SELECT ${code}, ${name} FROM ${table} ORDER BY ${name}`);
  const [codes, names] = r.getColumns() as [number[] | undefined, string[] | undefined];
  const c = Int32Array.from(codes ?? []);
  let max = -1;
  for (const x of c) if (x > max) max = x;
  return { codes: c, names: names ?? [], codeCount: max + 1 };
}

/**
 * Copies column `col` of a result chunk into `target` at `at`, straight from the vector's memory. The node API's
 * own readers (getColumnValues) build a JS array of values per chunk: 6 columns of 2 M plays cost more that
 * way than DuckDB's whole query.
 */
function copyColumn(chunk: DuckDBDataChunk, col: number, target: Column, at: number): void {
  const rows = chunk.rowCount;
  const bytes = bindings.vector_get_data(
    bindings.data_chunk_get_vector(chunk.chunk, col),
    rows * target.BYTES_PER_ELEMENT,
  );
  const view =
    target instanceof Float64Array
      ? new Float64Array(bytes.buffer, bytes.byteOffset, rows)
      : target instanceof Uint32Array
        ? new Uint32Array(bytes.buffer, bytes.byteOffset, rows)
        : new Int32Array(bytes.buffer, bytes.byteOffset, rows);
  target.set(view, at);
}

type Column = Int32Array | Uint32Array | Float64Array;

const UINT32_MAX = 4294967295;
const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;

function sqlType(column: Int32Array | Float64Array): string {
  return column instanceof Int32Array ? "INTEGER" : "DOUBLE";
}

/** What the scan reads by: how many plays, which columns hold values, and which fit 32 bits. */
export interface PlaysShape {
  count: number;
  lengths: number;
  weights: number;
  /**
   * The earliest end time (epoch ms), a step (a minute, a second or a ms) every end time is a whole number of
   * from it, and the most steps any is from it; null when that passes 32 bits (or there are no plays).
   */
  timeSteps: Omit<EndTimeSteps, "steps"> | null;
  playedFits: boolean;
  lengthsFit: boolean;
}

/**
 * One pass over the window's plays. The time step: every end time leaves the same remainder by it (the same
 * as every offset from the earliest dividing by it; times on both sides of 1970 leave remainders of both
 * signs, so those share a step only as multiples of it, which is still right).
 */
export async function playsShape(conn: DuckDBConnection, where: string): Promise<PlaysShape> {
  const t = "epoch_ms(end_time)";
  const sameRemainder = (step: number) => `min(${t} % ${step}) = max(${t} % ${step})`;
  const row = (
    await conn.runAndReadAll(
      `SELECT count(*), count(item_length_ms), count(weight), min(${t}), max(${t}),
           ${sameRemainder(60_000)}, ${sameRemainder(1000)}, min(played_ms), max(played_ms),
           min(item_length_ms), max(item_length_ms)
         FROM plays ${where}`,
    )
  ).getRows()[0];
  const [count, lengths, weights] = row.slice(0, 3).map(Number);
  const [timeMin, timeMax, playedMin, playedMax, lengthMin, lengthMax] = [3, 4, 7, 8, 9, 10].map(
    (k) => row[k] as bigint | null,
  );
  const step = row[5] ? 60_000 : row[6] ? 1000 : 1;
  const maxSteps = timeMin === null || timeMax === null ? null : Number(timeMax - timeMin) / step;
  const fits = (min: bigint | null, max: bigint | null) =>
    min === null || max === null || (min >= INT32_MIN && max <= INT32_MAX);
  return {
    count,
    lengths,
    weights,
    timeSteps:
      maxSteps === null || maxSteps > UINT32_MAX ? null : { min: Number(timeMin), step, max: maxSteps },
    playedFits: fits(playedMin, playedMax),
    lengthsFit: fits(lengthMin, lengthMax),
  };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
