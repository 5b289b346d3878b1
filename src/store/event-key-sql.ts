/**
 * eventKey (event-key.ts) as SQL, for plays keyed inside the database by the bulk ingest path: the same md5
 * over the same text, so a file ingested in bulk and the same file ingested row by row store the same keys
 * (event-key-sql.test.ts checks this on random events). Only for events without an eventId, whose optional
 * fields are all absent or given as SQL text that prints exactly as JavaScript's String() would.
 */

/**
 * An md5 in hex (a VARCHAR expression, best a column: it is used twice) as the UHUGEINT that
 * BigInt(`0x${hex}`) gives in JavaScript.
 */
export function hexKeySql(hex: string): string {
  return `((('0x' || substr(${hex}, 1, 16))::UBIGINT::UHUGEINT << 64) | ('0x' || substr(${hex}, 17, 16))::UBIGINT::UHUGEINT)`;
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

/** eventKey(event, occurrence) as SQL (md5 runs twice; for a column of many rows, take hexKeySql of md5). */
export function eventKeySql(p: EventKeyParts, occurrence: string): string {
  return hexKeySql(`md5(${eventKeyTextSql(p, occurrence)})`);
}
