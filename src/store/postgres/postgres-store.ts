import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import Cursor from "pg-cursor";
import { type CatalogueItem, eventTimeMs, type RequestEvent } from "../../schema/events.js";
import type { FeedbackEvent, ImpressionEvent } from "../../schema/impressions.js";
import type { BulkFileIngest, BulkIngestOptions, BulkPlan } from "../bulk-ingest.js";
import type { CatalogueSource } from "../catalogue-source.js";
import {
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ImpressionSummary,
  type ImpressionWithFeedback,
  type IngestRunRecord,
  type KeyedPlayEvent,
  type ModelRegistryEntry,
  type PlayColumns,
  type PlayRequestRow,
  type PoolRecord,
  type PreferenceRecord,
  type PrivacyLedgerSummary,
  type RecentPlay,
  type SourcedRequestEvent,
  type StoredPolicy,
  StoreError,
  type StoreSummary,
  type TimeWindow,
} from "../event-store.js";
import { rowsOfKeys } from "../inserted-rows.js";
import {
  impressionSummaryOf,
  postgresDialect,
  type RowsQuery,
  recentPlaysOf,
  storeSummary,
} from "../summary-queries.js";
import { type BulkInsertMethod, type PostgresBulkContext, postgresBulkIngestCsv } from "./bulk-ingest.js";
import { selectItems } from "./catalogue-items.js";
import { binaryCopyOfFiles } from "./copy-binary.js";
import { copyLine } from "./copy-text.js";
import { latestSchemaVersion, migrations } from "./migrations.js";
import { fetchModelFilesOffThread } from "./model-fetch.js";

const ms = postgresDialect.epochMs;

/** Rows as arrays from one statement on `c`. */
const rowsOn =
  (c: pg.PoolClient): RowsQuery =>
  async (text, values = []) =>
    (await c.query({ text, values: [...values], rowMode: "array" })).rows;

/** How plays go in: COPY into a staging table, or one multi-row INSERT over unnest()ed arrays. */
export type PlayWriteMethod = "copy" | "insert";

export interface PostgresStoreOptions {
  /** Connections in the pool (default 8). */
  poolSize?: number;
  /**
   * Default "insert": one statement per batch, and in `npm run bench -- cluster` as fast or faster than
   * COPY plus the staging INSERT it needs for the key check (7.2k vs 4.0k events/s on 571k plays at load
   * 12-19; 10.4k vs 9.7k on 60k at load 15).
   */
  playWrites?: PlayWriteMethod;
  /** Rows fetched per cursor read while scanning plays (default 10,000). */
  scanBatchRows?: number;
  /**
   * How the bulk path (bulk-ingest.ts) moves new plays from its staging table into plays: INSERT ... ON
   * CONFLICT DO NOTHING alone (default), or behind an anti-join on the key as well (measured in the bench).
   */
  bulkInsert?: BulkInsertMethod;
  /** Told the wall seconds and rows of each step of a bulk ingest (the benchmark's breakdown). */
  onBulkStep?: PostgresBulkContext["onStep"];
}

/** The channel a registered current model is announced on (LISTEN tastebud_models). */
export const modelsChannel = "tastebud_models";

/** Any key the advisory locks below take: the migrations, the model registry. */
const LOCK_MIGRATIONS = 0x7461_7374;
const LOCK_MODELS = 0x7461_7375;

/** Columns of a play, in the order the COPY and the unnest() write them. */
const PLAY_COLUMNS = [
  "user_id",
  "event_key",
  "event_id",
  "item_id",
  "end_time",
  "played_ms",
  "item_length_ms",
  "weight",
  "device_type",
  "has_screen",
  "context_extra",
  "request_text",
  "end_reason",
  "request_id",
  "device_state",
  "activity",
  "source",
] as const;
const PLAY_TYPES = [
  "text",
  "uuid",
  "text",
  "text",
  "timestamptz",
  "bigint",
  "bigint",
  "float8",
  "text",
  "boolean",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
];

/** Whether a --store value names a PostgreSQL database rather than a DuckDB file. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** The URL without its password, for messages and `location`. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ":***@");
  }
}

/**
 * The event store on a PostgreSQL server, chosen by a `postgres://` URL: what several serving replicas and
 * a trainer share. The same interface and answers as the embedded DuckDB store (one conformance suite runs
 * against both); unlike it, any number of processes may open the same database at once, so there is no
 * lock file and no single owner.
 *
 * Calls run on a pool of connections, each on its own: PostgreSQL's MVCC lets reads go on beside writes,
 * and every write is one transaction whose ON CONFLICT DO NOTHING on the event keys makes concurrent
 * writers of the same events store each once (a second writer of a key waits for the first to commit,
 * then skips it). A batch of plays goes in as one multi-row INSERT over unnest()ed column arrays (or COPY
 * into a staging table first, `playWrites`); the training scan reads a snapshot through a cursor, a
 * slice of rows at a time.
 */
export class PostgresEventStore implements EventStore, BulkFileIngest {
  /** Connections that have their temporary staging table (created once per session). */
  private readonly staged = new WeakSet<pg.PoolClient>();
  private closing: Promise<void> | null = null;

  private constructor(
    readonly location: string,
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly options: Required<Omit<PostgresStoreOptions, "onBulkStep">> &
      Pick<PostgresStoreOptions, "onBulkStep">,
  ) {}

  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresEventStore> {
    const location = redactedUrl(url);
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 8 });
    // An idle connection the server dropped (a restart) must not crash the process: the pool discards it
    // and the next call connects afresh; a call under way gets the error as a StoreError("io").
    pool.on("error", () => {});
    const store = new PostgresEventStore(location, url, pool, {
      poolSize: options.poolSize ?? 8,
      playWrites: options.playWrites ?? "insert",
      scanBatchRows: options.scanBatchRows ?? 10_000,
      bulkInsert: options.bulkInsert ?? "on-conflict",
      onBulkStep: options.onBulkStep,
    });
    try {
      try {
        await store.migrate();
      } catch (err) {
        if ((err as { code?: string }).code !== "3D000") throw err;
        // Like a DuckDB file, the database is created when missing (when the role may create databases).
        await createDatabase(url);
        await store.migrate();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw openError(location, err);
    }
    return store;
  }

  /** Runs `body` on a pooled connection, turning a failure of the server itself into StoreError("io"). */
  private async client<T>(body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw unavailable(this.location, err) ?? err;
    }
    let broken: Error | undefined;
    try {
      return await body(c);
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      throw unavailable(this.location, err) ?? err;
    } finally {
      c.release(broken);
    }
  }

  private transaction<T>(body: (c: pg.PoolClient) => Promise<T>, begin = "BEGIN"): Promise<T> {
    return this.client(async (c) => {
      await c.query(begin);
      try {
        const result = await body(c);
        await c.query("COMMIT");
        return result;
      } catch (err) {
        await c.query("ROLLBACK").catch(() => {});
        throw err;
      }
    });
  }

  private async rows(text: string, values: unknown[] = []): Promise<unknown[][]> {
    return this.client(async (c) => (await c.query({ text, values, rowMode: "array" })).rows);
  }

  /**
   * Brings the schema to the latest version in one transaction under an advisory lock: replicas starting
   * at once against a new database wait for the first to migrate, then find nothing left to do.
   */
  private async migrate(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [LOCK_MIGRATIONS]);
      await c.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const current = Number(
        (await c.query("SELECT coalesce(max(version), 0) AS v FROM schema_migrations")).rows[0].v,
      );
      if (current > latestSchemaVersion) {
        throw new StoreError(
          "schema",
          `store ${this.location} has schema version ${current}, newer than this tastebud (${latestSchemaVersion}); upgrade tastebud`,
        );
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        await c.query(m.sql);
        await c.query("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", [
          m.version,
          m.description,
        ]);
      }
    });
  }

  async schemaVersion(): Promise<number> {
    const [[v]] = await this.rows("SELECT max(version) FROM schema_migrations");
    return v as number;
  }

  async appendPlays(batch: readonly KeyedPlayEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (batch.length === 0 && !options.run)
      return { inserted: 0, duplicates: 0, ...(options.listInserted ? { insertedRows: [] } : {}) };
    const returning = options.listInserted ? " RETURNING event_key" : "";
    const { run } = options;
    const result = await this.transaction(async (c) => {
      const r = await (batch.length === 0
        ? { rowCount: 0, rows: [] }
        : this.options.playWrites === "copy"
          ? this.copyPlays(c, batch, returning)
          : c.query({
              // One statement whatever the batch size: each column is one array parameter, unnest()ed back
              // into rows (see INSERT_ORDER for their order).
              text: `INSERT INTO plays (${PLAY_COLUMNS.join(", ")})
                   SELECT ${PLAY_COLUMNS.map((c) => (c === "end_time" ? "to_timestamp(end_ms / 1000)" : c)).join(", ")}
                   FROM unnest(${PLAY_TYPES.map((t, k) => `$${k + 1}::${t === "timestamptz" ? "float8" : t}[]`).join(", ")})
                     WITH ORDINALITY AS t(${PLAY_COLUMNS.map((c) => (c === "end_time" ? "end_ms" : c)).join(", ")}, ord)
                   ${INSERT_ORDER} ON CONFLICT DO NOTHING${returning}`,
              values: playColumns(batch),
            }));
      // The batch's ingest run, in its transaction (AppendOptions.run).
      if (run) {
        const accepted = r.rowCount ?? 0;
        await this.insertRun(c, {
          ...run,
          finishedAt: new Date(),
          accepted,
          duplicates: batch.length - accepted,
        });
      }
      return r;
    });
    const inserted = result.rowCount ?? 0;
    if (!options.listInserted) return { inserted, duplicates: batch.length - inserted };
    const insertedRows = rowsOfKeys(
      batch.map((b) => uuidOfKey(b.key)),
      result.rows.map((r) => r.event_key as string),
    );
    return { inserted, duplicates: batch.length - inserted, insertedRows };
  }

  /**
   * COPY into the connection's temporary staging table (emptied at commit), then one INSERT ... ON CONFLICT
   * DO NOTHING in key order (INSERT_ORDER): COPY is the fastest way in, and the staging table lets the key check run
   * inside the database for the whole batch.
   */
  private async copyPlays(c: pg.PoolClient, batch: readonly KeyedPlayEvent[], returning: string) {
    if (!this.staged.has(c)) {
      await c.query(
        `CREATE TEMP TABLE IF NOT EXISTS plays_staging (ord integer, ${PLAY_COLUMNS.map((col, k) => `${col} ${PLAY_TYPES[k]}`).join(", ")}) ON COMMIT DELETE ROWS`,
      );
      this.staged.add(c);
    }
    const copy = c.query(copyStreams.from(`COPY plays_staging (ord, ${PLAY_COLUMNS.join(", ")}) FROM STDIN`));
    await pipeline(Readable.from(copyChunks(batch)), copy);
    return c.query(
      `INSERT INTO plays (${PLAY_COLUMNS.join(", ")}) SELECT ${PLAY_COLUMNS.join(", ")} FROM plays_staging
       ${INSERT_ORDER} ON CONFLICT DO NOTHING${returning}`,
    );
  }

  /** The bulk ingest path (bulk-ingest.ts): DuckDB in memory reads, checks and keys; COPY brings the rows in. */
  ingestFileInBulk(file: string, plan: BulkPlan, options: BulkIngestOptions) {
    return postgresBulkIngestCsv(
      {
        client: (body) => this.client(body),
        insertMethod: this.options.bulkInsert,
        onStep: this.options.onBulkStep,
      },
      file,
      plan,
      options,
    );
  }

  async upsertItems(items: readonly CatalogueItem[]): Promise<number> {
    if (items.length === 0) return 0;
    // Later facts about an item overwrite earlier ones, in the batch too: the last row of an id wins.
    const last = [...new Map(items.map((i) => [i.id, i])).values()];
    const r = await this.transaction((c) =>
      c.query(
        `INSERT INTO items (item_id, title, creators, kind, length_ms, tags, attributes)
         SELECT id, title, ARRAY(SELECT json_array_elements_text(creators)), kind, length_ms,
                ARRAY(SELECT json_array_elements_text(tags)), attributes
         FROM unnest($1::text[], $2::text[], $3::json[], $4::text[], $5::bigint[], $6::json[], $7::json[])
           AS t(id, title, creators, kind, length_ms, tags, attributes)
         ORDER BY id COLLATE "C"
         ON CONFLICT (item_id) DO UPDATE SET title = excluded.title, creators = excluded.creators,
           kind = excluded.kind, length_ms = excluded.length_ms, tags = excluded.tags, attributes = excluded.attributes`,
        [
          last.map((i) => i.id),
          last.map((i) => i.title),
          last.map((i) => JSON.stringify(i.creators)),
          last.map((i) => i.kind),
          last.map((i) => i.lengthMs ?? null),
          last.map((i) => JSON.stringify(i.tags)),
          last.map((i) => JSON.stringify(i.attributes)),
        ],
      ),
    );
    return r.rowCount ?? 0;
  }

  /**
   * In one REPEATABLE READ transaction (a snapshot: the plays committed when it began, while writers go on).
   * Dense indices are assigned inside PostgreSQL, so no per-event string look-ups happen in JS; the rows
   * then stream through a cursor `scanBatchRows` at a time straight into typed arrays, sized from a count
   * in the same snapshot. At most one slice of row arrays is alive at once, however many plays there are.
   * The order is the one every store gives (src/store/play-order.ts; PostgreSQL sorts NaN last too).
   */
  async scanPlays(window: TimeWindow = {}): Promise<PlayColumns> {
    const { where, values } = timeWindow("end_time", window);
    return this.transaction(async (c) => {
      const list = async (column: string) =>
        (
          await c.query({
            text: `SELECT DISTINCT ${column} FROM plays ${where} ORDER BY 1`,
            values,
            rowMode: "array",
          })
        ).rows.map((r) => r[0] as string);
      const users = await list("user_id");
      const items = await list("item_id");
      const n = Number(
        (await c.query({ text: `SELECT count(*) FROM plays ${where}`, values, rowMode: "array" })).rows[0][0],
      );
      const columns: PlayColumns = {
        users,
        items,
        userIndex: new Int32Array(n),
        itemIndex: new Int32Array(n),
        endTimeMs: new Float64Array(n),
        playedMs: new Float64Array(n),
        itemLengthMs: new Float64Array(n),
        weight: new Float64Array(n),
      };
      const cursor = c.query(
        new Cursor(
          `WITH s AS (SELECT * FROM plays ${where}),
           u AS (SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1)::int AS ix FROM (SELECT DISTINCT user_id FROM s) d),
           i AS (SELECT item_id, (row_number() OVER (ORDER BY item_id) - 1)::int AS ix FROM (SELECT DISTINCT item_id FROM s) d)
           SELECT u.ix, i.ix, ${ms("s.end_time")}, s.played_ms::float8, coalesce(s.item_length_ms, 0)::float8,
                  coalesce(s.weight, 'NaN'::float8)
           FROM s JOIN u USING (user_id) JOIN i USING (item_id)
           ORDER BY s.end_time, s.user_id, s.item_id, s.played_ms, coalesce(s.item_length_ms, 0),
             coalesce(s.weight, 'NaN'::float8)`,
          values,
          { rowMode: "array" },
        ),
      );
      try {
        let at = 0;
        for (;;) {
          const rows = (await cursor.read(this.options.scanBatchRows)) as number[][];
          if (rows.length === 0) break;
          for (const r of rows) {
            columns.userIndex[at] = r[0];
            columns.itemIndex[at] = r[1];
            columns.endTimeMs[at] = r[2];
            columns.playedMs[at] = r[3];
            columns.itemLengthMs[at] = r[4];
            columns.weight[at] = r[5];
            at++;
          }
        }
      } finally {
        await cursor.close();
      }
      return columns;
    }, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }

  async countPlays(): Promise<number> {
    const [[n]] = await this.rows("SELECT count(*)::float8 FROM plays");
    return n as number;
  }

  async scanPlayRequests(window: TimeWindow = {}): Promise<PlayRequestRow[]> {
    const { where, values } = timeWindow("end_time", window, ["request_text IS NOT NULL"]);
    const rows = await this.rows(
      `SELECT event_id, user_id, item_id, ${ms("end_time")}, request_text, device_type, has_screen
       FROM plays ${where} ORDER BY end_time, event_key`,
      values,
    );
    return rows.map((r) => ({
      eventId: r[0] as string | null,
      user: r[1] as string,
      item: r[2] as string,
      endTimeMs: r[3] as number,
      requestText: r[4] as string,
      deviceType: r[5] as string | null,
      hasScreen: r[6] as boolean | null,
    }));
  }

  async appendRequests(
    batch: readonly SourcedRequestEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (batch.length === 0)
      return { inserted: 0, duplicates: 0, ...(options.listInserted ? { insertedRows: [] } : {}) };
    const events = batch.map((b) => b.event);
    const r = await this.transaction((c) =>
      c.query({
        text: `INSERT INTO requests (request_id, user_id, device_id, time, text, asr_confidence, intent,
                 intent_confidence, resolved_item, response_kind, barge_in, played_ms, rewritten_from, context, source)
               SELECT request_id, user_id, device_id, to_timestamp(time_ms / 1000), text, asr_confidence, intent,
                 intent_confidence, resolved_item, response_kind, barge_in, played_ms, rewritten_from, context, source
               FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::float8[], $7::text[],
                 $8::float8[], $9::text[], $10::text[], $11::boolean[], $12::bigint[], $13::text[], $14::json[], $15::text[])
                 WITH ORDINALITY AS t(request_id, user_id, device_id, time_ms, text, asr_confidence, intent,
                   intent_confidence, resolved_item, response_kind, barge_in, played_ms, rewritten_from, context, source, ord)
               ORDER BY user_id, request_id, ord ON CONFLICT DO NOTHING${options.listInserted ? " RETURNING user_id, request_id" : ""}`,
        values: [
          events.map((e) => e.requestId),
          events.map((e) => e.user),
          events.map((e) => e.device ?? null),
          events.map((e) => eventTimeMs(e.time)),
          events.map((e) => e.text),
          events.map((e) => e.asrConfidence ?? null),
          events.map((e) => e.intent ?? null),
          events.map((e) => e.intentConfidence ?? null),
          events.map((e) => e.resolvedItem ?? null),
          events.map((e) => e.responseKind),
          events.map((e) => e.bargeIn),
          events.map((e) => e.playedMs ?? null),
          events.map((e) => e.rewrittenFrom ?? null),
          events.map((e) => (e.context ? JSON.stringify(e.context) : null)),
          batch.map((b) => b.source),
        ],
      }),
    );
    const inserted = r.rowCount ?? 0;
    if (!options.listInserted) return { inserted, duplicates: batch.length - inserted };
    const insertedRows = rowsOfKeys(
      // A request id is unique per user here (see migrations), so the user is part of the key.
      events.map((e) => `${e.user}\u0000${e.requestId}`),
      r.rows.map((row) => `${row.user_id}\u0000${row.request_id}`),
    );
    return { inserted, duplicates: batch.length - inserted, insertedRows };
  }

  async scanRequests(window: TimeWindow & { user?: string } = {}): Promise<RequestEvent[]> {
    const { where, values } = timeWindow("time", window);
    let filter = where;
    if (window.user !== undefined) {
      values.push(window.user);
      filter = `${where ? `${where} AND` : "WHERE"} user_id = $${values.length}`;
    }
    const rows = await this.rows(
      `SELECT request_id, user_id, device_id, ${ms("time")}, text, asr_confidence, intent, intent_confidence,
              resolved_item, response_kind, barge_in, played_ms::float8, rewritten_from, context
       FROM requests ${filter} ORDER BY time, request_id`,
      values,
    );
    return rows.map((r) => {
      const event: RequestEvent = {
        requestId: r[0] as string,
        user: r[1] as string,
        time: new Date(r[3] as number).toISOString(),
        text: r[4] as string,
        responseKind: r[9] as RequestEvent["responseKind"],
        bargeIn: r[10] as boolean,
      };
      if (r[2] !== null) event.device = r[2] as string;
      if (r[5] !== null) event.asrConfidence = r[5] as number;
      if (r[6] !== null) event.intent = r[6] as string;
      if (r[7] !== null) event.intentConfidence = r[7] as number;
      if (r[8] !== null) event.resolvedItem = r[8] as string;
      if (r[11] !== null) event.playedMs = r[11] as number;
      if (r[12] !== null) event.rewrittenFrom = r[12] as string;
      if (r[13] !== null) event.context = r[13] as RequestEvent["context"];
      return event;
    });
  }

  async countRequests(): Promise<number> {
    const [[n]] = await this.rows("SELECT count(*)::float8 FROM requests");
    return n as number;
  }

  async addPreference(record: PreferenceRecord): Promise<void> {
    await this.rows(
      `INSERT INTO preferences (user_id, fact_id, created_at, fact) VALUES ($1, $2, to_timestamp($3::float8 / 1000), $4)
       ON CONFLICT (user_id, fact_id) DO UPDATE SET created_at = excluded.created_at, fact = excluded.fact, removed_at = NULL`,
      [record.user, record.id, record.createdAtMs, JSON.stringify(record.fact)],
    );
  }

  async listPreferences(user?: string): Promise<PreferenceRecord[]> {
    const rows = await this.rows(
      `SELECT fact_id, user_id, ${ms("created_at")}, fact FROM preferences
       WHERE removed_at IS NULL AND ($1::text IS NULL OR user_id = $1) ORDER BY created_at, fact_id`,
      [user ?? null],
    );
    return rows.map((r) => ({
      id: r[0] as string,
      user: r[1] as string,
      createdAtMs: r[2] as number,
      fact: r[3],
    }));
  }

  async removePreference(user: string, factId: string): Promise<boolean> {
    return this.client(async (c) => {
      const r = await c.query(
        "UPDATE preferences SET removed_at = now() WHERE user_id = $1 AND fact_id = $2 AND removed_at IS NULL",
        [user, factId],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  async addPool(record: Omit<PoolRecord, "version">): Promise<PoolRecord> {
    // The lock on the name makes "one more than any earlier version" hold when two editors save at once.
    const version = await this.transaction(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext('pool:' || $1))", [record.name]);
      const r = await c.query(
        `INSERT INTO pools (name, version, created_at, definition)
         SELECT $1, coalesce(max(version), 0) + 1, to_timestamp($2::float8 / 1000), $3 FROM pools WHERE name = $1
         RETURNING version`,
        [record.name, record.createdAtMs, JSON.stringify(record.definition)],
      );
      return r.rows[0].version as number;
    });
    return { ...record, version };
  }

  async listPools(name?: string): Promise<PoolRecord[]> {
    const rows = await this.rows(
      `SELECT name, version, ${ms("created_at")}, definition FROM pools p
       WHERE removed_at IS NULL AND ($1::text IS NULL OR name = $1)
         AND version = (SELECT max(version) FROM pools q WHERE q.name = p.name AND q.removed_at IS NULL)
       ORDER BY name`,
      [name ?? null],
    );
    return rows.map((r) => ({
      name: r[0] as string,
      version: r[1] as number,
      createdAtMs: r[2] as number,
      definition: r[3],
    }));
  }

  async removePool(name: string): Promise<boolean> {
    return this.client(async (c) => {
      const r = await c.query("UPDATE pools SET removed_at = now() WHERE name = $1 AND removed_at IS NULL", [
        name,
      ]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  async privacySpent(users: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (users.length === 0) return out;
    const rows = await this.rows(
      "SELECT user_id, spent FROM privacy_ledger WHERE user_id = ANY($1::text[])",
      [[...new Set(users)]],
    );
    for (const r of rows) out.set(r[0] as string, r[1] as number);
    return out;
  }

  async privacyLedger(top: number): Promise<PrivacyLedgerSummary> {
    const [[users, total, median, max]] = (await this.rows(
      `SELECT count(*)::float8, coalesce(sum(spent), 0), coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY spent), 0),
              coalesce(max(spent), 0) FROM privacy_ledger`,
    )) as number[][];
    const rows = await this.rows(
      "SELECT user_id, spent FROM privacy_ledger ORDER BY spent DESC, user_id LIMIT $1",
      [top],
    );
    return {
      users,
      total,
      median,
      max,
      top: rows.map((r) => ({ user: r[0] as string, spent: r[1] as number })),
    };
  }

  async addPrivacySpent(increments: ReadonlyMap<string, number>): Promise<void> {
    if (increments.size === 0) return;
    // One statement: each user's row is locked while it is added to, so concurrent charges all count.
    await this.rows(
      `INSERT INTO privacy_ledger (user_id, spent)
       SELECT * FROM unnest($1::text[], $2::float8[]) AS t(user_id, spent) ORDER BY user_id COLLATE "C"
       ON CONFLICT (user_id) DO UPDATE SET spent = privacy_ledger.spent + excluded.spent, updated_at = now()`,
      [[...increments.keys()], [...increments.values()]],
    );
  }

  async getItems(ids?: readonly string[]): Promise<CatalogueItem[]> {
    return this.client((c) => selectItems(c, ids));
  }

  /** Worker threads read the catalogue on a connection of their own (see EventStore.catalogueSource). */
  get catalogueSource(): CatalogueSource {
    return { kind: "postgres", url: this.url };
  }

  async appendImpressions(batch: readonly ImpressionEvent[], source: string): Promise<AppendResult> {
    if (batch.length === 0) return { inserted: 0, duplicates: 0 };
    const r = await this.transaction((c) =>
      c.query(
        `INSERT INTO impressions (impression_id, page_id, user_id, time, surface, slot, item_id, title, policy,
           policy_version, propensity, propensity_samples, context, source)
         SELECT impression_id, page_id, user_id, to_timestamp(time_ms / 1000), surface, slot, item_id, title, policy,
           policy_version, propensity, propensity_samples, context, $14
         FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::int[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::float8[], $12::int[], $13::json[])
           WITH ORDINALITY AS t(impression_id, page_id, user_id, time_ms, surface, slot, item_id, title, policy,
             policy_version, propensity, propensity_samples, context, ord)
         ORDER BY user_id, impression_id, ord ON CONFLICT DO NOTHING`,
        [
          batch.map((e) => e.impressionId),
          batch.map((e) => e.pageId ?? null),
          batch.map((e) => e.user),
          batch.map((e) => eventTimeMs(e.time)),
          batch.map((e) => e.surface),
          batch.map((e) => e.slot),
          batch.map((e) => e.item),
          batch.map((e) => e.title ?? null),
          batch.map((e) => e.policy),
          batch.map((e) => e.policyVersion),
          batch.map((e) => e.propensity),
          batch.map((e) => e.propensitySamples ?? null),
          batch.map((e) => (e.context ? JSON.stringify(e.context) : null)),
          source,
        ],
      ),
    );
    const inserted = r.rowCount ?? 0;
    return { inserted, duplicates: batch.length - inserted };
  }

  async appendFeedback(batch: readonly FeedbackEvent[], source: string): Promise<AppendResult> {
    if (batch.length === 0) return { inserted: 0, duplicates: 0 };
    const r = await this.transaction((c) =>
      c.query(
        `INSERT INTO impression_feedback (impression_id, kind, time, played_ms, source)
         SELECT impression_id, kind, to_timestamp(time_ms / 1000), played_ms, $5
         FROM unnest($1::text[], $2::text[], $3::float8[], $4::bigint[]) WITH ORDINALITY AS t(impression_id, kind, time_ms, played_ms, ord)
         ORDER BY impression_id, kind, time_ms, ord ON CONFLICT DO NOTHING`,
        [
          batch.map((e) => e.impressionId),
          batch.map((e) => e.kind),
          batch.map((e) => eventTimeMs(e.time)),
          batch.map((e) => e.playedMs ?? null),
          source,
        ],
      ),
    );
    const inserted = r.rowCount ?? 0;
    return { inserted, duplicates: batch.length - inserted };
  }

  async scanImpressions(
    filter: TimeWindow & { ids?: readonly string[]; pageId?: string } = {},
  ): Promise<ImpressionWithFeedback[]> {
    if (filter.ids !== undefined && filter.ids.length === 0) return [];
    const { where, values } = timeWindow("i.time", filter);
    const conditions = where ? [where.slice("WHERE ".length)] : [];
    if (filter.ids !== undefined) {
      values.push([...filter.ids]);
      conditions.push(`i.impression_id = ANY($${values.length}::text[])`);
    }
    if (filter.pageId !== undefined) {
      values.push(filter.pageId);
      conditions.push(`i.page_id = $${values.length}`);
    }
    const rows = await this.rows(
      `SELECT i.impression_id, i.page_id, i.user_id, ${ms("i.time")}, i.surface, i.slot, i.item_id, i.title,
              i.policy, i.policy_version, i.propensity, i.propensity_samples, i.context,
              coalesce((SELECT json_agg(json_build_object('kind', f.kind, 'time', ${ms("f.time")}, 'playedMs', f.played_ms::float8)
                                        ORDER BY f.time, f.kind)
                        FROM impression_feedback f WHERE f.impression_id = i.impression_id), '[]'::json)
       FROM impressions i ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}
       ORDER BY i.time, i.page_id, i.slot, i.impression_id`,
      values,
    );
    return rows.map((r) => {
      const impression: ImpressionEvent = {
        impressionId: r[0] as string,
        user: r[2] as string,
        time: new Date(r[3] as number).toISOString(),
        surface: r[4] as string,
        slot: r[5] as number,
        item: r[6] as string,
        policy: r[8] as string,
        policyVersion: r[9] as string,
        propensity: r[10] as number,
      };
      if (r[1] !== null) impression.pageId = r[1] as string;
      if (r[7] !== null) impression.title = r[7] as string;
      if (r[11] !== null) impression.propensitySamples = r[11] as number;
      if (r[12] !== null) impression.context = r[12] as ImpressionEvent["context"];
      const feedback = (
        r[13] as Array<{ kind: FeedbackEvent["kind"]; time: number; playedMs: number | null }>
      ).map((f) => {
        const event: FeedbackEvent = {
          impressionId: impression.impressionId,
          time: new Date(f.time).toISOString(),
          kind: f.kind,
        };
        if (f.playedMs !== null) event.playedMs = f.playedMs;
        return event;
      });
      return { impression, feedback };
    });
  }

  impressionSummary(rewardMs: number): Promise<ImpressionSummary> {
    return this.transaction(
      (c) => impressionSummaryOf(rowsOn(c), postgresDialect, rewardMs),
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    );
  }

  async savePolicy(record: StoredPolicy): Promise<void> {
    await this.rows(
      `INSERT INTO bandit_policies (name, version, frozen, updated_at, state) VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000), $5)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version, frozen = excluded.frozen,
         updated_at = excluded.updated_at, state = excluded.state`,
      [record.name, record.version, record.frozen, record.updatedAtMs, JSON.stringify(record.state)],
    );
  }

  async listPolicies(): Promise<StoredPolicy[]> {
    const rows = await this.rows(
      `SELECT name, version, frozen, ${ms("updated_at")}, state FROM bandit_policies ORDER BY name`,
    );
    return rows.map((r) => ({
      name: r[0] as string,
      version: r[1] as number,
      frozen: r[2] as boolean,
      updatedAtMs: r[3] as number,
      state: r[4],
    }));
  }

  async saveState(name: string, state: unknown, updatedAtMs = Date.now()): Promise<void> {
    await this.rows(
      `INSERT INTO learned_state (name, updated_at, state) VALUES ($1, to_timestamp($2::float8 / 1000), $3)
       ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, state = excluded.state`,
      [name, updatedAtMs, JSON.stringify(state)],
    );
  }

  async loadState(name: string): Promise<{ state: unknown; updatedAtMs: number } | null> {
    const [row] = await this.rows(`SELECT ${ms("updated_at")}, state FROM learned_state WHERE name = $1`, [
      name,
    ]);
    return row ? { updatedAtMs: row[0] as number, state: row[1] } : null;
  }

  async recordIngestRun(run: IngestRunRecord): Promise<void> {
    await this.client((c) => this.insertRun(c, run));
  }

  private async insertRun(c: pg.PoolClient, run: IngestRunRecord): Promise<void> {
    await c.query(
      `INSERT INTO ingest_runs (started_at, finished_at, sources, preset, accepted, rejected, duplicates)
       VALUES (to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000), $3, $4, $5, $6, $7)`,
      [
        run.startedAt.getTime(),
        run.finishedAt.getTime(),
        JSON.stringify(run.sources),
        run.preset,
        run.accepted,
        run.rejected,
        run.duplicates,
      ],
    );
  }

  /**
   * Registers the version with its files (every file under `entry.path`, as bytea, in the same
   * transaction: a replica never sees a registered version whose files are missing), streamed from disk
   * in one binary COPY. A new current
   * version is announced on `tastebud_models` at commit (pg_notify inside the transaction), so replicas
   * that LISTEN (watchModels) learn of it without polling.
   */
  async registerModel(entry: ModelRegistryEntry): Promise<void> {
    const files = existsSync(entry.path) && statSync(entry.path).isDirectory() ? filesUnder(entry.path) : [];
    await this.transaction(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [LOCK_MODELS]);
      if (entry.isCurrent) await c.query("UPDATE models SET is_current = false WHERE is_current");
      await c.query(
        `INSERT INTO models (version, path, created_at, config, metrics, is_current)
         VALUES ($1, $2, to_timestamp($3::float8 / 1000), $4, $5, $6)
         ON CONFLICT (version) DO UPDATE SET path = excluded.path, created_at = excluded.created_at,
           config = excluded.config, metrics = excluded.metrics, is_current = excluded.is_current`,
        [
          entry.version,
          entry.path,
          entry.createdAt.getTime(),
          JSON.stringify(entry.config ?? null),
          JSON.stringify(entry.metrics ?? null),
          entry.isCurrent ?? false,
        ],
      );
      await c.query("DELETE FROM model_files WHERE version = $1", [entry.version]);
      if (files.length > 0) {
        const copy = c.query(
          copyStreams.from("COPY model_files (version, name, bytes) FROM STDIN (FORMAT binary)"),
        );
        const rows = files.map((name) => ({ texts: [entry.version, name], path: join(entry.path, name) }));
        await pipeline(Readable.from(binaryCopyOfFiles(rows)), copy);
      }
      if (entry.isCurrent) await c.query("SELECT pg_notify($1, $2)", [modelsChannel, entry.version]);
    });
  }

  async materializeModel(version: string, dir: string): Promise<boolean> {
    try {
      return await fetchModelFilesOffThread({ url: this.url, version, dir });
    } catch (err) {
      throw unavailable(this.location, err) ?? err;
    }
  }

  /**
   * LISTEN on a connection of its own (outside the pool). When it drops, it reconnects after a second and
   * reports the current version once, since a notification sent meanwhile is lost.
   */
  async watchModels(onCurrent: (version: string | null) => void): Promise<{ close(): Promise<void> }> {
    let client: pg.Client | null = null;
    let closed = false;
    let retry: NodeJS.Timeout | undefined;
    const listen = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: this.url });
      c.on("notification", (n) => {
        if (n.channel === modelsChannel) onCurrent(n.payload ?? null);
      });
      const again = () => {
        if (closed || client !== c) return;
        client = null;
        c.end().catch(() => {});
        retry = setTimeout(() => {
          listen()
            .then(async () => onCurrent((await this.currentModel())?.version ?? null))
            .catch(again);
        }, 1_000);
      };
      c.on("error", again);
      c.on("end", again);
      client = c;
      await c.connect();
      await c.query(`LISTEN ${modelsChannel}`);
    };
    await listen();
    return {
      close: async () => {
        closed = true;
        clearTimeout(retry);
        await client?.end().catch(() => {});
      },
    };
  }

  async currentModel(): Promise<ModelRegistryEntry | null> {
    return (await this.models("WHERE is_current"))[0] ?? null;
  }

  listModels(): Promise<ModelRegistryEntry[]> {
    return this.models("");
  }

  private async models(where: string): Promise<ModelRegistryEntry[]> {
    const rows = await this.rows(
      `SELECT version, path, ${ms("created_at")}, config, metrics, is_current FROM models ${where} ORDER BY created_at, version`,
    );
    return rows.map((r) => ({
      version: r[0] as string,
      path: r[1] as string,
      createdAt: new Date(r[2] as number),
      config: r[3],
      metrics: r[4],
      isCurrent: r[5] as boolean,
    }));
  }

  summary(options: { topUsers?: number } = {}): Promise<StoreSummary> {
    return this.transaction(
      (c) => storeSummary(rowsOn(c), postgresDialect, options.topUsers ?? 10),
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    );
  }

  recentPlays(user: string, limit: number): Promise<RecentPlay[]> {
    return recentPlaysOf(
      (text, values) => this.rows(text, values ? [...values] : []),
      postgresDialect,
      user,
      limit,
    );
  }

  /** Waits for the calls under way to hand back their connections, then disconnects. */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

/** Paths of the files under `dir`, relative to it, with forward slashes. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path).split("\\").join("/"));
    }
  };
  walk(dir);
  return out;
}

/** `WHERE` for a time window over a timestamptz column, with its parameters (epoch ms). */
function timeWindow(
  column: string,
  window: TimeWindow,
  extra: string[] = [],
): { where: string; values: unknown[] } {
  const conditions = [...extra];
  const values: unknown[] = [];
  if (window.fromMs !== undefined) {
    values.push(window.fromMs);
    conditions.push(`${column} >= to_timestamp($${values.length}::float8 / 1000)`);
  }
  if (window.toMs !== undefined) {
    values.push(window.toMs);
    conditions.push(`${column} < to_timestamp($${values.length}::float8 / 1000)`);
  }
  return { where: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", values };
}

/** The 128-bit event key as a uuid (16 bytes, the same order as the number). */
export function uuidOfKey(key: bigint): string {
  const hex = key.toString(16).padStart(32, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A play's values in PLAY_COLUMNS order, end time as epoch ms. */
function playValues({ key, event, source }: KeyedPlayEvent): (string | number | boolean | null)[] {
  const context = event.context;
  return [
    event.user,
    uuidOfKey(key),
    event.eventId ?? null,
    event.item,
    eventTimeMs(event.endTime),
    event.playedMs,
    event.itemLengthMs ?? null,
    event.weight ?? null,
    context?.deviceType ?? null,
    context?.hasScreen ?? null,
    context?.extra ? JSON.stringify(context.extra) : null,
    event.requestText ?? null,
    event.endReason ?? null,
    event.requestId ?? null,
    context?.deviceState ?? null,
    context?.activity ?? null,
    source,
  ];
}

/** The batch as one array per column (for the unnest() insert). */
function playColumns(batch: readonly KeyedPlayEvent[]): unknown[][] {
  const columns: unknown[][] = PLAY_COLUMNS.map(() => new Array(batch.length));
  for (let k = 0; k < batch.length; k++) {
    const values = playValues(batch[k]);
    for (let c = 0; c < values.length; c++) columns[c][k] = values[c];
  }
  return columns;
}

const END_TIME = PLAY_COLUMNS.indexOf("end_time");

/**
 * Rows go in in primary-key order, the first row of a key in the batch first (it is the one kept). Key
 * order matters: two writers inserting overlapping batches in different orders each waited for a key the
 * other had just inserted and deadlocked (the concurrency test did, once in two runs); in one global
 * order, one of them always gets every shared key first. Every batch insert below sorts by its key.
 */
const INSERT_ORDER = `ORDER BY user_id COLLATE "C", event_key, ord`;

/** The batch as COPY text, about 1,000 rows per chunk, each row led by its position in the batch. */
function* copyChunks(batch: readonly KeyedPlayEvent[]): Generator<string> {
  let chunk = "";
  for (let k = 0; k < batch.length; k++) {
    const values = playValues(batch[k]);
    values[END_TIME] = new Date(values[END_TIME] as number).toISOString();
    chunk += copyLine([k, ...values]);
    if (k % 1000 === 999) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

/** Errors that mean the connection (not the statement) failed: the client is dropped, not reused. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? "";
  const message = err instanceof Error ? err.message : "";
  return (
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EPIPE|EHOSTUNREACH)$/.test(code) ||
    /^(08|57P)/.test(code) ||
    /Connection terminated|connection ended|Client has encountered a connection error/i.test(message)
  );
}

/**
 * A StoreError("io") for a failure of the database rather than of the call: unreachable, restarted,
 * shutting down, out of disk (53100) or connections (53300). A server answers these 503; anything else
 * (a constraint, a bug) stays as it was.
 */
function unavailable(location: string, err: unknown): StoreError | null {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: string })?.code ?? "";
  if (
    !isConnectionError(err) &&
    !/^53/.test(code) &&
    !/pool (is )?(ended|closed)|after calling end/i.test(String(err))
  )
    return null;
  const message = err instanceof Error ? err.message : String(err);
  // 53100 disk_full: "full", as the DuckDB store says for a full disk (a server answers 507).
  return new StoreError(
    code === "53100" ? "full" : "io",
    `store ${location} is unavailable: ${message.split("\n")[0] || code}`,
  );
}

/**
 * CREATE DATABASE for the URL's database, from the server's maintenance database (`postgres`). Another
 * process creating it at the same moment is fine.
 */
async function createDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== "42P04") throw err;
  } finally {
    await client.end();
  }
}

function openError(location: string, err: unknown): Error {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: string })?.code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  if (code === "42501")
    return new StoreError(
      "io",
      `cannot open store ${location}: ${message} (create the database first, e.g. createdb, or use a role that may; tastebud creates the tables)`,
    );
  return new StoreError("io", `cannot open store ${location}: ${message.split("\n")[0] || code}`);
}
