/**
 * `npm run bench -- scan-read [--rows N]`: ways of getting the training scan's four numeric columns of every play
 * (user and item codes, end time, played ms) out of DuckDB into typed arrays, on the store `npm run bench -- scan`
 * fills, alternating, three rounds each (issue 14; what the scan's reading could be, measured before changing it):
 * - chunks: as the scan reads them (a streamed result, each vector of each chunk copied out; 64-bit time and ms);
 * - chunks-narrow: the same with the end time as 32-bit steps of a minute after the earliest and played ms as
 *   32-bit integers, after the query of the columns' ranges that choosing those takes (counted in);
 * - ranges: that query alone;
 * - list: all rows aggregated into one list of structs (narrow), so each column is one vector and one copy;
 * - ordered: DuckDB ranks the names, joins the ranks and sorts (materialized chunks, narrow); the scan's order.
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import bindings from "@duckdb/node-bindings";

type Column = Int32Array | Uint32Array | Float64Array;
type ColumnType = Int32ArrayConstructor | Uint32ArrayConstructor | Float64ArrayConstructor;

interface Ranges {
  n: number;
  timeMin: number;
  /** Every time a whole minute and every played ms a 32-bit integer: the narrow read applies. */
  minutes: boolean;
}

async function ranges(conn: DuckDBConnection): Promise<Ranges> {
  const [n, timeMin, minutes, playedFits] = (
    await conn.runAndReadAll(
      `SELECT count(*)::DOUBLE, min(epoch_ms(end_time))::DOUBLE, bool_and(epoch_ms(end_time) % 60000 = 0),
         min(played_ms) >= -2147483648 AND max(played_ms) <= 2147483647
       FROM plays`,
    )
  ).getRows()[0] as [number, number, boolean, boolean];
  return { n, timeMin, minutes: minutes && playedFits };
}

function narrowColumns(r: Ranges): { sql: string; type: ColumnType }[] {
  if (!r.minutes)
    throw new Error("scan-read: the narrow read needs minute-stamped plays, played ms in 32 bits");
  return [
    { sql: "user_code", type: Int32Array },
    { sql: "item_code", type: Int32Array },
    { sql: `((epoch_ms(end_time) - ${r.timeMin}) // 60000)::UINTEGER`, type: Uint32Array },
    { sql: "played_ms::INTEGER", type: Int32Array },
  ];
}

const WIDE: { sql: string; type: ColumnType }[] = [
  { sql: "user_code", type: Int32Array },
  { sql: "item_code", type: Int32Array },
  { sql: "epoch_ms(end_time)::DOUBLE", type: Float64Array },
  { sql: "played_ms::DOUBLE", type: Float64Array },
];

/** A vector's first `rows` values as an array of `type` (the bindings hand back a fresh copy). */
function vectorValues(vector: bindings.Vector, rows: number, type: ColumnType): Column {
  const bytes = bindings.vector_get_data(vector, rows * type.BYTES_PER_ELEMENT);
  // A fresh Buffer starts its memory; otherwise (never seen) a copy that does, for the alignment.
  return new type(
    bytes.byteOffset === 0 ? (bytes.buffer as ArrayBuffer) : new Uint8Array(bytes).buffer,
    0,
    rows,
  );
}

/** Each chunk's vectors copied into arrays of n (the scan's way), from a streamed or materialized result. */
async function intoArrays(
  chunks: AsyncIterable<bindings.DataChunk>,
  columns: { type: ColumnType }[],
  n: number,
): Promise<Column[]> {
  const out = columns.map((c) => new c.type(n));
  let at = 0;
  for await (const chunk of chunks) {
    const rows = bindings.data_chunk_get_size(chunk);
    columns.forEach((c, k) => {
      const bytes = bindings.vector_get_data(
        bindings.data_chunk_get_vector(chunk, k),
        rows * c.type.BYTES_PER_ELEMENT,
      );
      out[k].set(new c.type(bytes.buffer as ArrayBuffer, bytes.byteOffset, rows), at);
    });
    at += rows;
  }
  if (at !== n) throw new Error(`scan-read: ${at} rows read, ${n} counted`);
  return out;
}

async function* streamed(conn: DuckDBConnection, sql: string): AsyncIterable<bindings.DataChunk> {
  const result = await conn.stream(sql);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk())
    yield chunk.chunk;
}

async function* materialized(conn: DuckDBConnection, sql: string): AsyncIterable<bindings.DataChunk> {
  const result = await conn.run(sql);
  for (let c = 0; c < result.chunkCount; c++) yield result.getChunk(c).chunk;
}

const READS: Record<string, (conn: DuckDBConnection) => Promise<Column[] | Ranges>> = {
  chunks: async (conn) => {
    const { n } = await ranges(conn);
    return intoArrays(streamed(conn, `SELECT ${WIDE.map((c) => c.sql).join(", ")} FROM plays`), WIDE, n);
  },
  "chunks-narrow": async (conn) => {
    const r = await ranges(conn);
    const columns = narrowColumns(r);
    return intoArrays(
      streamed(conn, `SELECT ${columns.map((c) => c.sql).join(", ")} FROM plays`),
      columns,
      r.n,
    );
  },
  ranges: (conn) => ranges(conn),
  list: async (conn) => {
    const r = await ranges(conn);
    const columns = narrowColumns(r);
    const fields = columns.map((c, k) => `c${k} := ${c.sql}`).join(", ");
    const result = await conn.run(`SELECT list(struct_pack(${fields})) FROM plays`);
    const list = bindings.data_chunk_get_vector(result.getChunk(0).chunk, 0);
    const size = bindings.list_vector_get_size(list);
    if (size !== r.n) throw new Error(`scan-read: a list of ${size}, ${r.n} counted`);
    const structs = bindings.list_vector_get_child(list);
    return columns.map((c, k) => vectorValues(bindings.struct_vector_get_child(structs, k), size, c.type));
  },
  ordered: async (conn) => {
    const r = await ranges(conn);
    const columns = narrowColumns(r);
    const sql = `
      WITH u AS (SELECT user_code, (row_number() OVER (ORDER BY user_id) - 1)::INTEGER AS rank FROM user_codes),
      i AS (SELECT item_code, (row_number() OVER (ORDER BY item_id) - 1)::INTEGER AS rank FROM item_codes)
      SELECT u.rank, i.rank, ${columns[2].sql}, ${columns[3].sql}
      FROM plays JOIN u USING (user_code) JOIN i USING (item_code)
      ORDER BY end_time, u.rank, i.rank, played_ms, item_length_ms, weight NULLS LAST`;
    return intoArrays(materialized(conn, sql), columns, r.n);
  },
};

/** Each way of reading, alternating, `rounds` times on a connection of its own; medians of wall and CPU ms. */
export async function scanReadFigures(path: string, rounds = 3): Promise<object> {
  const instance = await DuckDBInstance.create(path);
  const runs: Record<string, { wall: number; cpu: number }[]> = {};
  try {
    for (let round = 0; round < rounds; round++)
      for (const [name, read] of Object.entries(READS)) {
        const conn = await instance.connect();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await read(conn);
        const wall = performance.now() - t0;
        const c = process.cpuUsage(c0);
        conn.closeSync();
        runs[name] ??= [];
        runs[name].push({ wall, cpu: (c.user + c.system) / 1000 });
      }
  } finally {
    instance.closeSync();
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const figures: Record<string, object> = {};
  const base = runs.chunks;
  for (const [name, r] of Object.entries(runs)) {
    const wall = med(r.map((x) => x.wall));
    const cpu = med(r.map((x) => x.cpu));
    figures[name] = {
      wallMs: Math.round(wall),
      cpuMs: Math.round(cpu),
      // Time of the scan's way over this way's: above 1 is faster.
      chunksToThis: Math.round((med(base.map((x) => x.wall)) / wall) * 100) / 100,
      chunksToThisCpu: Math.round((med(base.map((x) => x.cpu)) / cpu) * 100) / 100,
    };
  }
  return figures;
}
