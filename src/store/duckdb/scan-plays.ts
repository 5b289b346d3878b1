import type { DuckDBConnection, DuckDBDataChunk } from "@duckdb/node-api";
import bindings from "@duckdb/node-bindings";
import type { PlayColumns } from "../event-store.js";
import { type PlayPayloadColumn, sortPlayColumns } from "../play-order.js";

/**
 * The training scan of the embedded store (EventStore.scanPlays), in one read transaction on a connection
 * of its own: the users and items by name from the code tables (schema 8, small), then the numeric columns
 * of the plays in the window (four to six: item lengths and weights only when some play has one), copied chunk
 * by chunk from DuckDB's vectors into typed arrays. The codes become
 * ranks by name and the rows are put in scan order here (play-order.ts), in JavaScript, between yields to
 * the event loop: no join, no string and no object per play.
 *
 * Before schema 8 the scan ranked the plays' user and item names inside DuckDB, joined them back to every
 * play and sorted there: 3.6-4.7 CPU s for 2 M plays (issue 14 asks 5 M plays/s).
 */
export async function scanPlayColumns(conn: DuckDBConnection, where: string): Promise<PlayColumns> {
  await conn.run("BEGIN TRANSACTION");
  try {
    const users = await namesByCode(conn, "user_codes", "user_code", "user_id");
    const items = await namesByCode(conn, "item_codes", "item_code", "item_id");
    // The plays' count, and whether any has an item length or a weight: a column with none (a Spotify history
    // has neither) is filled here instead of being read, a third of the bytes.
    const [count, lengths, weights] = (
      await conn.runAndReadAll(`SELECT count(*), count(item_length_ms), count(weight) FROM plays ${where}`)
    ).getRows()[0];
    const n = Number(count);
    const userIndex = new Int32Array(n);
    const itemIndex = new Int32Array(n);
    const endTimeMs = new Float64Array(n);
    const playedMs = new Float64Array(n);
    const itemLengthMs = new Float64Array(n);
    const weight = new Float64Array(n);
    const read: { sql: string; into: Int32Array | Float64Array }[] = [
      { sql: "user_code", into: userIndex },
      { sql: "item_code", into: itemIndex },
      { sql: "epoch_ms(end_time)::DOUBLE", into: endTimeMs },
      { sql: "played_ms::DOUBLE", into: playedMs },
    ];
    const uniform: PlayPayloadColumn[] = [];
    if (Number(lengths) > 0) read.push({ sql: "coalesce(item_length_ms, 0)::DOUBLE", into: itemLengthMs });
    else uniform.push("itemLengthMs");
    if (Number(weights) > 0) read.push({ sql: "coalesce(weight, 'NaN'::DOUBLE)", into: weight });
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
function copyColumn(
  chunk: DuckDBDataChunk,
  col: number,
  target: Int32Array | Float64Array,
  at: number,
): void {
  const rows = chunk.rowCount;
  const bytes = bindings.vector_get_data(
    bindings.data_chunk_get_vector(chunk.chunk, col),
    rows * target.BYTES_PER_ELEMENT,
  );
  const view =
    target instanceof Int32Array
      ? new Int32Array(bytes.buffer, bytes.byteOffset, rows)
      : new Float64Array(bytes.buffer, bytes.byteOffset, rows);
  target.set(view, at);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
