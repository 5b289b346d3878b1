import type { ImpressionSummary, RecentPlay, StoreSummary } from "./event-store.js";

/*
 * The overview queries both stores answer (the dashboard's counts, a listener's recent plays, the impression
 * log by slot and day): aggregates inside the database, so a refresh costs a few scans and no rows cross
 * into JavaScript. The SQL is written once; the few spellings DuckDB and PostgreSQL disagree on come from
 * the store's dialect.
 */

export interface SummaryDialect {
  /** The double-precision type's name (numbers come back as JS numbers, not bigints). */
  readonly double: string;
  /** Epoch milliseconds of a timestamp expression, as a double. */
  epochMs(expr: string): string;
  /** The UTC calendar day of a timestamp expression, as a date. */
  utcDay(expr: string): string;
  /** A date expression as 'YYYY-MM-DD' text. */
  dayText(expr: string): string;
}

/** Runs one statement with positional parameters ($1, $2, ...) and returns its rows as arrays. */
export type RowsQuery = (sql: string, params?: readonly unknown[]) => Promise<unknown[][]>;

export const duckdbDialect: SummaryDialect = {
  double: "DOUBLE",
  epochMs: (expr) => `epoch_ms(${expr})::DOUBLE`,
  // DuckDB's TIMESTAMP columns hold UTC wall time.
  utcDay: (expr) => `CAST(${expr} AS DATE)`,
  dayText: (expr) => `strftime(${expr}, '%Y-%m-%d')`,
};

export const postgresDialect: SummaryDialect = {
  double: "float8",
  epochMs: (expr) => `(extract(epoch from ${expr}) * 1000)::float8`,
  // timestamptz: the UTC day whatever the session's time zone.
  utcDay: (expr) => `(${expr} AT TIME ZONE 'UTC')::date`,
  dayText: (expr) => `to_char(${expr}, 'YYYY-MM-DD')`,
};

export async function storeSummary(
  rows: RowsQuery,
  d: SummaryDialect,
  topUsers: number,
): Promise<StoreSummary> {
  const one = async (sql: string) => (await rows(sql))[0];
  const [plays, playedItems, firstPlayMs, lastPlayMs] = await one(
    `SELECT count(*)::${d.double}, count(DISTINCT item_id)::${d.double}, ${d.epochMs("min(end_time)")}, ${d.epochMs("max(end_time)")} FROM plays`,
  );
  const [requests] = await one(`SELECT count(*)::${d.double} FROM requests`);
  const [users] = await one(
    `SELECT count(*)::${d.double} FROM (SELECT user_id FROM plays UNION SELECT user_id FROM requests) u`,
  );
  const [catalogueItems] = await one(`SELECT count(*)::${d.double} FROM items`);
  const [runs, accepted, rejected, duplicates] = await one(
    `SELECT count(*)::${d.double}, coalesce(sum(accepted), 0)::${d.double}, coalesce(sum(rejected), 0)::${d.double},
            coalesce(sum(duplicates), 0)::${d.double} FROM ingest_runs`,
  );
  const perDay = (
    await rows(
      `SELECT ${d.dayText("day")}, sum(p)::${d.double}, sum(r)::${d.double} FROM (
         SELECT ${d.utcDay("end_time")} AS day, 1 AS p, 0 AS r FROM plays
         UNION ALL SELECT ${d.utcDay("time")}, 0, 1 FROM requests
       ) days GROUP BY day ORDER BY day`,
    )
  ).map((r) => ({ day: r[0] as string, plays: r[1] as number, requests: r[2] as number }));
  const top = (
    await rows(
      `SELECT user_id, count(*)::${d.double} AS n FROM plays GROUP BY user_id ORDER BY n DESC, user_id LIMIT $1`,
      [topUsers],
    )
  ).map((r) => ({ user: r[0] as string, plays: r[1] as number }));
  return {
    plays: plays as number,
    requests: requests as number,
    users: users as number,
    playedItems: playedItems as number,
    catalogueItems: catalogueItems as number,
    firstPlayMs: (firstPlayMs as number | null) ?? null,
    lastPlayMs: (lastPlayMs as number | null) ?? null,
    perDay,
    ingest: {
      runs: runs as number,
      accepted: accepted as number,
      rejected: rejected as number,
      duplicates: duplicates as number,
    },
    topUsers: top,
  };
}

export async function recentPlaysOf(
  rows: RowsQuery,
  d: SummaryDialect,
  user: string,
  limit: number,
): Promise<RecentPlay[]> {
  return (
    await rows(
      `SELECT item_id, ${d.epochMs("end_time")}, played_ms::${d.double}, item_length_ms::${d.double}, end_reason,
              device_type, request_text
       FROM plays WHERE user_id = $1 ORDER BY end_time DESC, event_key DESC LIMIT $2`,
      [user, limit],
    )
  ).map((r) => ({
    item: r[0] as string,
    endTimeMs: r[1] as number,
    playedMs: r[2] as number,
    itemLengthMs: r[3] as number | null,
    endReason: r[4] as string | null,
    deviceType: r[5] as string | null,
    requestText: r[6] as string | null,
  }));
}

/** The impression log per slot and per day, each impression rewarded when a stream of it lasted `rewardMs`. */
export async function impressionSummaryOf(
  rows: RowsQuery,
  d: SummaryDialect,
  rewardMs: number,
): Promise<ImpressionSummary> {
  const of = (select: string) =>
    rows(
      `WITH rewarded AS (
         SELECT DISTINCT impression_id FROM impression_feedback WHERE kind = 'stream' AND played_ms >= $1
       ), log AS (
         SELECT i.slot, ${d.utcDay("i.time")} AS day, i.page_id, i.propensity,
                (r.impression_id IS NOT NULL)::int AS rewarded
         FROM impressions i LEFT JOIN rewarded r USING (impression_id)
       ) ${select}`,
      [rewardMs],
    );
  const [total] = await of(
    `SELECT count(*)::${d.double}, count(DISTINCT page_id)::${d.double}, coalesce(sum(rewarded), 0)::${d.double} FROM log`,
  );
  const bySlot = await of(
    `SELECT slot, count(*)::${d.double}, sum(rewarded)::${d.double}, avg(propensity) FROM log GROUP BY slot ORDER BY slot`,
  );
  const byDay = await of(
    `SELECT ${d.dayText("day")}, count(*)::${d.double}, sum(rewarded)::${d.double} FROM log GROUP BY day ORDER BY day`,
  );
  return {
    impressions: total[0] as number,
    pages: total[1] as number,
    rewarded: total[2] as number,
    bySlot: bySlot.map((r) => ({
      slot: r[0] as number,
      impressions: r[1] as number,
      rewarded: r[2] as number,
      meanPropensity: r[3] as number,
    })),
    byDay: byDay.map((r) => ({ day: r[0] as string, impressions: r[1] as number, rewarded: r[2] as number })),
  };
}
