/**
 * eventKey (event-key.ts) as SQL, for plays keyed inside the database by the bulk ingest path: the same md5
 * over the same text, so a file ingested in bulk and the same file ingested row by row store the same keys
 * (event-key-sql.test.ts checks this on random events). Only for events without an eventId, whose optional
 * fields are all absent or given as SQL text that prints exactly as JavaScript's String() would.
 */

/** The bytes of a UBIGINT expression in reverse order (each byte masked before its shift: no overflow). */
function byteSwap64(v: string): string {
  return Array.from({ length: 8 }, (_, k) => `(((${v} >> ${8 * k}) & 255::UBIGINT) << ${8 * (7 - k)})`).join(
    " | ",
  );
}

/**
 * The md5 of a text as the UHUGEINT that BigInt(`0x${hex}`) gives in JavaScript. DuckDB's md5_number reads the
 * digest's 16 bytes little-endian; swapping them back costs half of parsing md5()'s hex text (2 M keys: 1.4 s
 * against 3.9 s, one loaded core).
 */
export function md5KeySql(text: string): string {
  return md5NumberKeySql(`md5_number(${text})`);
}

/**
 * md5KeySql given md5_number's value. It is read sixteen times, which DuckDB computes once when it is a plain
 * expression; keep it a column when it stands on deep subqueries (their projections merged into it made a
 * 2 M-row query 6x slower).
 */
export function md5NumberKeySql(n: string): string {
  const lo = `(${n} & 18446744073709551615::UHUGEINT)::UBIGINT`;
  const hi = `(${n} >> 64)::UBIGINT`;
  return `(((${byteSwap64(lo)})::UHUGEINT << 64) | (${byteSwap64(hi)})::UHUGEINT)`;
}

export interface EventKeyParts {
  user: string;
  item: string;
  /** Epoch milliseconds (BIGINT). */
  endMs: string;
  playedMs: string;
  /** Each optional part as VARCHAR printing as JavaScript does, or absent (the key then holds ""). */
  itemLengthMs?: string;
  weight?: string;
  endReason?: string;
  requestText?: string;
  contextJson?: string;
}

/**
 * The key text of eventKey for the parts and an occurrence number (a BIGINT expression): the fields joined
 * with NUL, "ev" first.
 */
export function eventKeyTextSql(p: EventKeyParts, occurrence: string): string {
  const opt = (v: string | undefined) => (v === undefined ? "''" : `coalesce(${v}, '')`);
  const parts = [
    "'ev'",
    p.user,
    p.item,
    `(${p.endMs})::VARCHAR`,
    `(${p.playedMs})::VARCHAR`,
    opt(p.itemLengthMs),
    opt(p.weight),
    opt(p.endReason),
    opt(p.requestText),
    opt(p.contextJson),
    `(${occurrence})::VARCHAR`,
  ];
  return `concat_ws(chr(0), ${parts.join(", ")})`;
}

/** eventKey(event, occurrence) as SQL. */
export function eventKeySql(p: EventKeyParts, occurrence: string): string {
  return md5KeySql(eventKeyTextSql(p, occurrence));
}
