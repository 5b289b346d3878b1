import type { PoolClient } from "pg";
import type { ImpressionSummary, RecentPlay, StoreSummary } from "../event-store.js";

/** Epoch ms of a timestamptz, as a JS number. */
export const ms = (expr: string) => `(extract(epoch from ${expr}) * 1000)::float8`;

/** The UTC calendar day of a timestamptz (whatever the session's time zone). */
const utcDay = (expr: string) => `(${expr} AT TIME ZONE 'UTC')::date`;

async function rows(c: PoolClient, text: string, values: unknown[] = []): Promise<unknown[][]> {
  return (await c.query({ text, values, rowMode: "array" })).rows;
}

/**
 * The overview queries of the PostgreSQL store (the same answers as src/store/duckdb/summary-queries.ts):
 * aggregates inside the database, on one client in one snapshot so the counts agree with each other.
 */
export async function storeSummary(c: PoolClient, topUsers: number): Promise<StoreSummary> {
  const [[plays, playedItems, firstPlayMs, lastPlayMs]] = await rows(
    c,
    `SELECT count(*)::float8, count(DISTINCT item_id)::float8, ${ms("min(end_time)")}, ${ms("max(end_time)")} FROM plays`,
  );
  const [[requests]] = await rows(c, "SELECT count(*)::float8 FROM requests");
  const [[users]] = await rows(
    c,
    "SELECT count(*)::float8 FROM (SELECT user_id FROM plays UNION SELECT user_id FROM requests) u",
  );
  const [[catalogueItems]] = await rows(c, "SELECT count(*)::float8 FROM items");
  const [[runs, accepted, rejected, duplicates]] = await rows(
    c,
    "SELECT count(*)::float8, coalesce(sum(accepted), 0)::float8, coalesce(sum(rejected), 0)::float8, coalesce(sum(duplicates), 0)::float8 FROM ingest_runs",
  );
  const perDay = (
    await rows(
      c,
      `SELECT to_char(day, 'YYYY-MM-DD'), sum(p)::float8, sum(r)::float8 FROM (
         SELECT ${utcDay("end_time")} AS day, 1 AS p, 0 AS r FROM plays
         UNION ALL SELECT ${utcDay("time")}, 0, 1 FROM requests
       ) d GROUP BY day ORDER BY day`,
    )
  ).map((r) => ({ day: r[0] as string, plays: r[1] as number, requests: r[2] as number }));
  const top = (
    await rows(
      c,
      "SELECT user_id, count(*)::float8 AS n FROM plays GROUP BY user_id ORDER BY n DESC, user_id LIMIT $1",
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

export async function recentPlaysOf(c: PoolClient, user: string, limit: number): Promise<RecentPlay[]> {
  return (
    await rows(
      c,
      `SELECT item_id, ${ms("end_time")}, played_ms::float8, item_length_ms::float8, end_reason, device_type, request_text
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
export async function impressionSummaryOf(c: PoolClient, rewardMs: number): Promise<ImpressionSummary> {
  const of = (select: string) =>
    rows(
      c,
      `WITH rewarded AS (
         SELECT DISTINCT impression_id FROM impression_feedback WHERE kind = 'stream' AND played_ms >= $1
       ), log AS (
         SELECT i.slot, ${utcDay("i.time")} AS day, i.page_id, i.propensity,
                (r.impression_id IS NOT NULL)::int AS rewarded
         FROM impressions i LEFT JOIN rewarded r USING (impression_id)
       ) ${select}`,
      [rewardMs],
    );
  const [total] = await of(
    "SELECT count(*)::float8, count(DISTINCT page_id)::float8, coalesce(sum(rewarded), 0)::float8 FROM log",
  );
  const bySlot = await of(
    "SELECT slot, count(*)::float8, sum(rewarded)::float8, avg(propensity) FROM log GROUP BY slot ORDER BY slot",
  );
  const byDay = await of(
    "SELECT to_char(day, 'YYYY-MM-DD'), count(*)::float8, sum(rewarded)::float8 FROM log GROUP BY day ORDER BY day",
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
