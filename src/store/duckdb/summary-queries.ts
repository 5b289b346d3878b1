import type { DuckDBConnection, DuckDBPreparedStatement } from "@duckdb/node-api";
import type { ImpressionSummary, RecentPlay, StoreSummary } from "../event-store.js";

type Prepare = (sql: string) => Promise<DuckDBPreparedStatement>;

/**
 * The overview queries of the DuckDB store, kept apart from the write path: each is one aggregate over a
 * table, so a dashboard refresh costs a few scans inside DuckDB and no rows cross into JavaScript.
 * `prepare` gives statements the store destroys when the call ends.
 */
export async function storeSummary(
  conn: DuckDBConnection,
  prepare: Prepare,
  topUsers: number,
): Promise<StoreSummary> {
  const one = async (sql: string) => (await conn.runAndReadAll(sql)).getRows()[0];
  const [plays, playedItems, firstPlayMs, lastPlayMs] = await one(
    "SELECT count(*)::DOUBLE, count(DISTINCT item_id)::DOUBLE, epoch_ms(min(end_time))::DOUBLE, epoch_ms(max(end_time))::DOUBLE FROM plays",
  );
  const [requests] = await one("SELECT count(*)::DOUBLE FROM requests");
  const [users] = await one(
    "SELECT count(*)::DOUBLE FROM (SELECT user_id FROM plays UNION SELECT user_id FROM requests)",
  );
  const [catalogueItems] = await one("SELECT count(*)::DOUBLE FROM items");
  const [runs, accepted, rejected, duplicates] = await one(
    "SELECT count(*)::DOUBLE, coalesce(sum(accepted), 0)::DOUBLE, coalesce(sum(rejected), 0)::DOUBLE, coalesce(sum(duplicates), 0)::DOUBLE FROM ingest_runs",
  );
  const perDay = (
    await conn.runAndReadAll(`
      SELECT strftime(day, '%Y-%m-%d'), sum(p)::DOUBLE, sum(r)::DOUBLE FROM (
        SELECT CAST(end_time AS DATE) AS day, 1 AS p, 0 AS r FROM plays
        UNION ALL SELECT CAST(time AS DATE), 0, 1 FROM requests
      ) GROUP BY day ORDER BY day`)
  )
    .getRows()
    .map((r) => ({ day: r[0] as string, plays: r[1] as number, requests: r[2] as number }));
  const stmt = await prepare(
    "SELECT user_id, count(*)::DOUBLE AS n FROM plays GROUP BY user_id ORDER BY n DESC, user_id LIMIT $1",
  );
  stmt.bindInteger(1, topUsers);
  const top = (await stmt.runAndReadAll())
    .getRows()
    .map((r) => ({ user: r[0] as string, plays: r[1] as number }));
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

export async function recentPlaysOf(prepare: Prepare, user: string, limit: number): Promise<RecentPlay[]> {
  const stmt = await prepare(`
    SELECT item_id, epoch_ms(end_time)::DOUBLE, played_ms::DOUBLE, item_length_ms::DOUBLE, end_reason,
           device_type, request_text
    FROM plays WHERE user_id = $1 ORDER BY end_time DESC, event_key DESC LIMIT $2`);
  stmt.bindVarchar(1, user);
  stmt.bindInteger(2, limit);
  return (await stmt.runAndReadAll()).getRows().map((r) => ({
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
export async function impressionSummaryOf(prepare: Prepare, rewardMs: number): Promise<ImpressionSummary> {
  const rows = async (select: string) => {
    const stmt = await prepare(`
      WITH rewarded AS (
        SELECT DISTINCT impression_id FROM impression_feedback WHERE kind = 'stream' AND played_ms >= $1
      ), log AS (
        SELECT i.slot, CAST(i.time AS DATE) AS day, i.page_id, i.propensity,
               (r.impression_id IS NOT NULL)::INTEGER AS rewarded
        FROM impressions i LEFT JOIN rewarded r USING (impression_id)
      ) ${select}`);
    stmt.bindDouble(1, rewardMs);
    return (await stmt.runAndReadAll()).getRows();
  };
  const [total] = await rows(
    "SELECT count(*)::DOUBLE, count(DISTINCT page_id)::DOUBLE, coalesce(sum(rewarded), 0)::DOUBLE FROM log",
  );
  const bySlot = await rows(
    "SELECT slot, count(*)::DOUBLE, sum(rewarded)::DOUBLE, avg(propensity) FROM log GROUP BY slot ORDER BY slot",
  );
  const byDay = await rows(
    "SELECT strftime(day, '%Y-%m-%d'), count(*)::DOUBLE, sum(rewarded)::DOUBLE FROM log GROUP BY day ORDER BY day",
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
