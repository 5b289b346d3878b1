import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  DuckDBTimestampValue,
  type DuckDBValue,
  listValue,
} from "@duckdb/node-api";
import { type CatalogueItem, eventTimeMs, type RequestEvent } from "../../schema/events.js";
import type { FeedbackEvent, ImpressionEvent } from "../../schema/impressions.js";
import type { BulkIngestOptions, BulkPlan } from "../bulk-ingest.js";
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
import { GroupCommit } from "../group-commit.js";
import { rowsOfKeys } from "../inserted-rows.js";
import { Mutex } from "../mutex.js";
import {
  duckdbDialect,
  impressionSummaryOf,
  type RowsQuery,
  recentPlaysOf,
  storeSummary,
} from "../summary-queries.js";
import { bulkIngestFile } from "./bulk-ingest.js";
import { EventKeyFilter } from "./event-key-filter.js";
import { IdleCheckpoints } from "./idle-checkpoints.js";
import { latestSchemaVersion, migrations } from "./migrations.js";
import { type PlayRow, playChunks } from "./play-chunks.js";
import { PlayCodes } from "./play-codes.js";
import { scanPlayColumns } from "./scan-plays.js";

/**
 * The embedded default store: one DuckDB file. DuckDB lets one process write a file at a time; a second
 * process gets StoreError("locked") naming the holder instead of a crash.
 *
 * Writes run on one connection, one call at a time. A DuckDB connection runs one statement at a time,
 * and a write here is several (staging table, appender, transaction): a read started on the same connection
 * while a write was in flight failed with "unsuccessful or closed pending query result" (8 of 240 reads in
 * the conformance test, 84 of 40k requests to a server) or ran inside the write's transaction. So the
 * writes queue on a mutex. Reads run on a second connection of the same instance, queued on their own
 * mutex: DuckDB's MVCC gives each read the last committed state, so a long write (an ingest batch, a
 * fold-in) no longer holds up every answer that reads the store (they waited 50-80 ms behind one write
 * under load). scanPlays opens a connection of its own for its snapshot and waits for neither.
 */
export class DuckDbEventStore implements EventStore {
  private readonly serial = new Mutex();
  private readonly reads = new Mutex();
  /**
   * Plays are written with group commit (group-commit.ts): the appends that queue while the write connection
   * is busy go into its next transaction together. A one-play POST /v1/events was one durable commit (two,
   * with its ingest-run record) of ~10-40 ms on the one write connection, and with 4 clients writing the
   * writes mostly waited for each other's commits.
   */
  private readonly playWrites: GroupCommit<PlayWrite, AppendResult>;
  /** A file store's checkpoints, at pauses in the writes (idle-checkpoints.ts); none in memory. */
  private readonly checkpoints: IdleCheckpoints | null;

  private constructor(
    private readonly on: DuckDbConnectionStore,
    private readonly reader: DuckDbConnectionStore,
    hooks: DuckDbStoreHooks,
  ) {
    const wal = `${on.location}.wal`;
    this.checkpoints =
      on.location === ":memory:"
        ? null
        : new IdleCheckpoints({
            walBytes: () => statSync(wal, { throwIfNoEntry: false })?.size ?? 0,
            softBytes: hooks.idleCheckpointBytes ?? IDLE_CHECKPOINT_BYTES,
            idle: () => !this.serial.busy,
            checkpoint: () =>
              this.one(async (s) => {
                await s.checkpoint();
                hooks.onCheckpoint?.();
              }),
            everyMs: 250,
          });
    this.playWrites = new GroupCommit({
      schedule: (body) => this.serial.run(body),
      commit: (writes) =>
        this.call(this.on, (s) => s.appendPlayGroup(writes, hooks.onPlayCommit)).finally(() =>
          this.checkpoints?.afterWrite(),
        ),
      rowsOf: (write) => write.rows.length,
      maxRows: MAX_GROUP_ROWS,
      // The store failed (a full disk, a closed store): every write of the group gets that error; anything
      // else is tried again one write at a time, so that one caller's batch cannot fail another's.
      sharedFailure: (err) => err instanceof StoreError,
    });
  }

  static async open(path: string, hooks: DuckDbStoreHooks = {}): Promise<DuckDbEventStore> {
    const writer = await DuckDbConnectionStore.open(path);
    return new DuckDbEventStore(writer, await writer.anotherConnection(), hooks);
  }

  get location(): string {
    return this.on.location;
  }

  /** A write (or anything that must see the write connection's temp tables), after earlier writes. */
  private one<T>(body: (s: DuckDbConnectionStore) => Promise<T>): Promise<T> {
    return this.serial.run(() => this.call(this.on, body).finally(() => this.checkpoints?.afterWrite()));
  }

  /** A read on the read connection: after earlier reads, never behind a write. */
  private read<T>(body: (s: DuckDbConnectionStore) => Promise<T>): Promise<T> {
    return this.reads.run(() => this.call(this.reader, body));
  }

  private async call<T>(
    on: DuckDbConnectionStore,
    body: (s: DuckDbConnectionStore) => Promise<T>,
  ): Promise<T> {
    try {
      return await body(on);
    } catch (err) {
      throw unavailable(on.location, err) ?? err;
    } finally {
      on.destroyStatements();
    }
  }

  schemaVersion = () => this.read((s) => s.schemaVersion());
  /**
   * Queued for the next group commit; resolves once the group is committed. A row that cannot be written
   * (a value out of range) fails this call alone, here, before anything is queued.
   */
  appendPlays = (batch: readonly KeyedPlayEvent[], options: AppendOptions = {}): Promise<AppendResult> => {
    if (batch.length === 0 && !options.run)
      return Promise.resolve({
        inserted: 0,
        duplicates: 0,
        ...(options.listInserted ? { insertedRows: [] } : {}),
      });
    let rows: PlayRow[];
    try {
      rows = batch.map(playRow);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.playWrites.add({ batch, rows, options });
  };
  upsertItems = (items: readonly CatalogueItem[]) => this.one((s) => s.upsertItems(items));
  scanPlays = (window?: TimeWindow) =>
    this.on.scanPlays(window).catch((err) => {
      throw unavailable(this.on.location, err) ?? err;
    });
  countPlays = () => this.read((s) => s.countPlays());
  scanPlayRequests = (window?: TimeWindow) => this.read((s) => s.scanPlayRequests(window));
  appendRequests = (batch: readonly SourcedRequestEvent[], options?: AppendOptions) =>
    this.one((s) => s.appendRequests(batch, options));
  scanRequests = (window?: TimeWindow & { user?: string }) => this.read((s) => s.scanRequests(window));
  countRequests = () => this.read((s) => s.countRequests());
  addPreference = (record: PreferenceRecord) => this.one((s) => s.addPreference(record));
  listPreferences = (user?: string) => this.read((s) => s.listPreferences(user));
  removePreference = (user: string, factId: string) => this.one((s) => s.removePreference(user, factId));
  addPool = (record: Omit<PoolRecord, "version">) => this.one((s) => s.addPool(record));
  listPools = (name?: string) => this.read((s) => s.listPools(name));
  removePool = (name: string) => this.one((s) => s.removePool(name));
  privacySpent = (users: readonly string[]) => this.read((s) => s.privacySpent(users));
  privacyLedger = (top: number) => this.read((s) => s.privacyLedger(top));
  addPrivacySpent = (increments: ReadonlyMap<string, number>) =>
    this.one((s) => s.addPrivacySpent(increments));
  getItems = (ids?: readonly string[]) => this.read((s) => s.getItems(ids));
  appendImpressions = (batch: readonly ImpressionEvent[], source: string) =>
    this.one((s) => s.appendImpressions(batch, source));
  appendFeedback = (batch: readonly FeedbackEvent[], source: string) =>
    this.one((s) => s.appendFeedback(batch, source));
  scanImpressions = (filter?: TimeWindow & { ids?: readonly string[]; pageId?: string }) =>
    this.read((s) => s.scanImpressions(filter));
  impressionSummary = (rewardMs: number) => this.read((s) => s.impressionSummary(rewardMs));
  savePolicy = (record: StoredPolicy) => this.one((s) => s.savePolicy(record));
  listPolicies = () => this.read((s) => s.listPolicies());
  saveState = (name: string, state: unknown, updatedAtMs?: number) =>
    this.one((s) => s.saveState(name, state, updatedAtMs));
  loadState = (name: string) => this.read((s) => s.loadState(name));
  recordIngestRun = (run: IngestRunRecord) => this.one((s) => s.recordIngestRun(run));
  registerModel = (entry: ModelRegistryEntry) => this.one((s) => s.registerModel(entry));
  currentModel = () => this.read((s) => s.currentModel());
  listModels = () => this.read((s) => s.listModels());
  summary = (options?: { topUsers?: number }) => this.read((s) => s.summary(options));
  recentPlays = (user: string, limit: number) => this.read((s) => s.recentPlays(user, limit));
  /** After the calls already queued on both connections: closing under a running statement would fail it. */
  close = () => {
    this.checkpoints?.close();
    return this.serial.run(() =>
      this.reads.run(async () => {
        this.reader.closeConnection();
        await this.on.close();
      }),
    );
  };
  /** The bulk ingest path (bulk-ingest.ts): writes, so each of its steps queues with the other writes. */
  ingestFileInBulk = (file: string, plan: BulkPlan, options: BulkIngestOptions) =>
    bulkIngestFile(
      (body) =>
        this.one((s) => {
          s.forgetWrittenPlays();
          return body(s.connection);
        }),
      file,
      plan,
      options,
      () => this.on.playGroupsWritten,
    );
}

/** The store's calls on one connection, unserialised: DuckDbEventStore queues them. */
class DuckDbConnectionStore {
  /** Statements prepared by the call under way, destroyed when it ends (see prepare). */
  private statements: DuckDBPreparedStatement[] = [];
  /**
   * The keys a new row may find stored (event-key-filter.ts): of every play with an event id, and of every
   * play without one that ended after the newest stored play when it was built (every play, for an empty
   * store). Kept up to date by appendPlays; null until first needed, and again after plays are written any
   * other way (forgetWrittenPlays).
   */
  private storedKeys: StoredKeys | null = null;
  /** The users' and items' codes (play-codes.ts), read on first use; null again after a failed write. */
  private codes: PlayCodes | null = null;
  /** appendPlayGroup's calls so far: the bulk path checks that no other write stored plays between its batches. */
  playGroupsWritten = 0;
  /** Appenders kept open between calls, by table (appendTo). */
  private readonly appenders = new Map<string, Appender>();

  private constructor(
    readonly location: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  /** For the bulk ingest path, which runs its own statements (bulk-ingest.ts). */
  get connection(): DuckDBConnection {
    return this.conn;
  }

  /**
   * A prepared statement that lives until the end of the current call. DuckDB's node API frees a statement
   * prepared by `conn.prepare` only when its JS object is collected, and V8, which does not see the native
   * memory behind a small object, collects rarely: statements prepared per look-up piled up (RSS 124 MB
   * over 30k look-ups) and each later one was slower to prepare.
   */
  private readonly prepare = async (sql: string): Promise<DuckDBPreparedStatement> => {
    const stmt = await this.conn.prepare(sql);
    this.statements.push(stmt);
    return stmt;
  };

  /** Rows of one statement with positional parameters, through a statement freed at the end of the call. */
  private readonly query: RowsQuery = async (sql, params = []) => {
    const stmt = await this.prepare(sql);
    if (params.length > 0) stmt.bind(params as DuckDBValue[]);
    return (await stmt.runAndReadAll()).getRows();
  };

  /** Frees the statements the finished call prepared. */
  destroyStatements(): void {
    for (const stmt of this.statements) stmt.destroySync();
    this.statements = [];
  }

  static async open(path: string): Promise<DuckDbConnectionStore> {
    const location = path === ":memory:" ? path : resolve(path);
    if (location !== ":memory:") mkdirSync(dirname(location), { recursive: true });
    let instance: DuckDBInstance;
    try {
      // DuckDB's own checkpoint, inside the commit that takes the log past this, is a backstop for writes
      // that never pause: the store checkpoints at the pauses (IdleCheckpoints) long before.
      instance = await DuckDBInstance.create(location, { checkpoint_threshold: AUTO_CHECKPOINT_THRESHOLD });
    } catch (err) {
      throw translateOpenError(location, err);
    }
    const conn = await instance.connect();
    const store = new DuckDbConnectionStore(location, instance, conn);
    try {
      await store.migrate();
    } finally {
      store.destroyStatements();
    }
    return store;
  }

  /** A second connection to the same database (the read connection); it shares the instance. */
  async anotherConnection(): Promise<DuckDbConnectionStore> {
    return new DuckDbConnectionStore(this.location, this.instance, await this.instance.connect());
  }

  /** Closes this connection only (the instance stays open for the others). */
  closeConnection(): void {
    this.closeAppenders();
    this.conn.closeSync();
  }

  private async migrate(): Promise<void> {
    await this.conn.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)",
    );
    const rows = await this.conn.runAndReadAll(
      "SELECT coalesce(max(version), 0)::INTEGER FROM schema_migrations",
    );
    const current = rows.getColumns()[0][0] as number;
    if (current > latestSchemaVersion) {
      throw new StoreError(
        "schema",
        `store ${this.location} has schema version ${current}, newer than this tastebud (${latestSchemaVersion}); upgrade tastebud`,
      );
    }
    let migrated = false;
    for (const m of migrations) {
      if (m.version <= current) continue;
      migrated = true;
      await this.transaction(async () => {
        await this.conn.run(m.sql);
        const stmt = await this.prepare(
          "INSERT INTO schema_migrations (version, description) VALUES ($1, $2)",
        );
        stmt.bindInteger(1, m.version);
        stmt.bindVarchar(2, m.description);
        await stmt.run();
      });
    }
    // Schema changes go into the file now rather than sit in the WAL: a kill before the next checkpoint
    // would otherwise leave DDL for DuckDB to replay, which this version fails to do.
    if (migrated && this.location !== ":memory:") await this.conn.run("CHECKPOINT");
    await this.conn.run(
      `CREATE TEMP TABLE IF NOT EXISTS plays_staging AS SELECT * EXCLUDE (ingested_at) FROM plays LIMIT 0`,
    );
  }

  /** Writes the log's changes into the file and empties the log (IdleCheckpoints). */
  async checkpoint(): Promise<void> {
    await this.conn.run("CHECKPOINT");
  }

  async schemaVersion(): Promise<number> {
    const r = await this.conn.runAndReadAll("SELECT max(version)::INTEGER FROM schema_migrations");
    return r.getColumns()[0][0] as number;
  }

  /**
   * `body` in one transaction. With `readStart`, body is given the transaction's start as a TIMESTAMP (epoch
   * microseconds), what a `current_timestamp` default stores, read with the BEGIN in one round trip.
   */
  private async transaction<T>(
    body: (startMicros: bigint | null) => Promise<T>,
    readStart = false,
  ): Promise<T> {
    if (!readStart) await this.conn.run("BEGIN TRANSACTION");
    try {
      const start = readStart
        ? ((
            await this.conn.runAndReadAll("BEGIN TRANSACTION; SELECT epoch_us(current_timestamp::TIMESTAMP)")
          ).getColumns()[0][0] as bigint)
        : null;
      const result = await body(start);
      await this.conn.run("COMMIT");
      return result;
    } catch (err) {
      // A failed COMMIT (a full disk, say) has already ended the transaction, and ROLLBACK then fails with
      // "no transaction is active": the first error is the one that says what went wrong.
      await this.conn.run("ROLLBACK").catch(() => {});
      throw err;
    }
  }

  /**
   * Plays were written other than by appendPlays (the bulk path): the key filter and the codes are read again
   * when next needed.
   */
  forgetWrittenPlays(): void {
    this.storedKeys = null;
    this.codes = null;
  }

  /**
   * Built from the store on first use (a scan of the keys it covers), again, larger, when it fills up; each
   * build takes the newest stored end time as its horizon.
   */
  private async storedKeyFilter(): Promise<StoredKeys> {
    if (this.storedKeys && !this.storedKeys.filter.overfull) return this.storedKeys;
    const newest = await this.conn.runAndReadAll("SELECT epoch_us(max(end_time)) FROM plays");
    const afterUs = newest.getColumns()[0][0] as bigint | null;
    const where =
      afterUs === null
        ? "FROM plays"
        : `FROM plays WHERE event_id IS NOT NULL OR end_time > make_timestamp(${afterUs}::BIGINT)`;
    const count = Number(
      (await this.conn.runAndReadAll(`SELECT count(*) ${where}`)).getColumns()[0][0] as bigint,
    );
    const filter = new EventKeyFilter(Math.max(2 * count, 100_000));
    // The key's low two 32-bit words as numbers (keyWords' slices): no BigInt per stored key.
    const result = await this.conn.stream(
      `SELECT (event_key & 4294967295)::UINTEGER, ((event_key >> 32) & 4294967295)::UINTEGER ${where}`,
    );
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    ) {
      const [low, high] = chunk.getColumns() as number[][];
      for (let r = 0; r < chunk.rowCount; r++) filter.addWords(low[r], high[r]);
    }
    // A play without an event id has its end time in its key and is only ever matched on it (the anti-join
    // of newPlaysInsertSql): one that ended after the horizon can only repeat a play that did too. Compared
    // in microseconds, the stored precision, as exact numbers (epoch microseconds stay below 2^53).
    const horizon = afterUs === null ? Number.NEGATIVE_INFINITY : Number(afterUs);
    this.storedKeys = { filter, covers: (row) => row.eventId !== null || row.endMs * 1000 > horizon };
    return this.storedKeys;
  }

  /**
   * Several callers' batches in one transaction (DuckDbEventStore groups the calls that queued together),
   * one answer each: the first row of a key in the group wins, in the callers' order, which is what each
   * would have got had they run one after another. A kill at any point leaves the whole group or none of it.
   *
   * Rows the key filter rules out (new event ids, and plays without one that ended after every play stored
   * when the filter was built: the usual live write) go straight into plays with an appender; the others
   * (keys that may be stored, older plays without an event id) through the staging table and an anti-join
   * on the key. Plays keyed by their fields took the anti-join always until 8 Dec 2026: a staging append,
   * its DELETE and the INSERT took 1.0 s a group of 10-30k plays against 0.17 s for the direct append
   * (the writes' own steps timed in a bench/http-ingest.ts run at load 10), and bounded the rate over
   * HTTP. The batches' ingest runs are recorded in the same transaction. So a group of
   * new plays is BEGIN, the plays and the runs through the connection's kept appenders, and COMMIT (two
   * round trips to DuckDB's thread: appendTo says why that matters): before, each one-play write was
   * two autocommits on the staging table, a transaction with an INSERT ... SELECT, and a second commit for
   * its run (bench/write-groups.ts on a 1 M-play store, load 12-13: 11-15 ms of CPU per write before,
   * 5.7-9.3 now for one writer alone and 2.1-2.6 for 4 writers, whose writes share commits).
   */
  async appendPlayGroup(
    writes: readonly PlayWrite[],
    onCommit?: DuckDbStoreHooks["onPlayCommit"],
  ): Promise<AppendResult[]> {
    this.playGroupsWritten++;
    const firstOfKey = new Set<bigint>();
    const unique: PlayRow[] = [];
    for (const { rows } of writes)
      for (const row of rows)
        if (!firstOfKey.has(row.key)) {
          firstOfKey.add(row.key);
          unique.push(row);
        }
    const direct: PlayRow[] = [];
    const lookedUp: PlayRow[] = [];
    const { filter, covers } = await this.storedKeyFilter();
    for (const row of unique) (covers(row) && !filter.mayHold(row.key) ? direct : lookedUp).push(row);
    // Keys go into the filter before the insert: one whose group then fails only costs a false positive.
    for (const row of unique) if (covers(row)) filter.add(row.key);
    // One caller that only counts needs no keys back; otherwise the stored keys say whose rows went in.
    const one = writes.length === 1 && !writes[0].options.listInserted;
    let results: AppendResult[];
    try {
      results = await this.transaction(async (now) => {
        if (!this.codes) this.codes = await PlayCodes.read(this.conn);
        const codes = this.codes;
        for (const row of unique) {
          row.userCode = codes.user(row.user);
          row.itemCode = codes.item(row.item);
        }
        // The new ids' codes go in with the plays that brought them. An id whose only play turns out to be a
        // duplicate (an event id sent again under another user) keeps a code no play uses: the scan skips it.
        const given = codes.takeNew();
        if (given.users.length > 0) await this.appendTo("user_codes", (a) => appendCodes(a, given.users));
        if (given.items.length > 0) await this.appendTo("item_codes", (a) => appendCodes(a, given.items));
        const stored = new Set<bigint>();
        let inserted = 0;
        if (direct.length > 0) {
          await this.appendRows("plays", direct, now ?? undefined);
          inserted += direct.length;
          if (!one) for (const row of direct) stored.add(row.key);
        }
        if (lookedUp.length > 0) {
          await this.conn.run("DELETE FROM plays_staging");
          await this.appendRows("plays_staging", lookedUp);
          for (const sql of newPlaysInsertSql(lookedUp)) {
            if (one) inserted += (await this.conn.run(sql)).rowsChanged;
            else {
              const returned = (await this.conn.runAndReadAll(`${sql} RETURNING event_key`)).getColumns()[0];
              for (const key of (returned ?? []) as bigint[]) stored.add(key);
            }
          }
        }
        const answers: AppendResult[] = one
          ? [{ inserted, duplicates: writes[0].batch.length - inserted }]
          : writes.map(({ batch, options }) => {
              // A stored key is claimed by its first row in the group (the row that went in).
              const rows: number[] = [];
              for (let k = 0; k < batch.length; k++) if (stored.delete(batch[k].key)) rows.push(k);
              return {
                inserted: rows.length,
                duplicates: batch.length - rows.length,
                ...(options.listInserted ? { insertedRows: rows } : {}),
              };
            });
        await this.recordRuns(writes, answers);
        return answers;
      }, direct.length > 0);
    } catch (err) {
      // Codes given in a write that did not commit are not in the store: read them again next time.
      this.codes = null;
      throw err;
    }
    onCommit?.({ writes: writes.length, rows: unique.length });
    return results;
  }

  /**
   * The group's rows (already converted: playRow) as data chunks (play-chunks.ts says why). With
   * `ingestedAtMicros`, straight into plays itself through the connection's kept appender (appendTo), every
   * row ingested at the transaction's start: what plays' `current_timestamp` default gives a row that the
   * staging table's INSERT moves in. (The row appender's appendDefault gave the time the kept appender was
   * created, not the write's, and cost a call into DuckDB per value.) Otherwise into the staging table,
   * with an appender of its own.
   */
  private async appendRows(
    table: string,
    rows: readonly PlayRow[],
    ingestedAtMicros?: bigint,
  ): Promise<void> {
    if (ingestedAtMicros !== undefined) {
      await this.appendTo(table, (a) => {
        for (const chunk of playChunks(rows, ingestedAtMicros)) a.appendDataChunk(chunk);
      });
      return;
    }
    const a = await this.conn.createAppender(table, "main", "temp");
    try {
      for (const chunk of playChunks(rows)) a.appendDataChunk(chunk);
      a.closeSync();
    } catch (err) {
      discardAppender(a);
      throw err;
    }
  }

  /**
   * Rows into a table of the main schema through an appender this connection keeps between calls, flushed
   * into the transaction under way. Each DuckDB call is a round trip from this thread to a libuv worker and
   * back, and on a busy machine (other processes, a training job) each trip waits for a core: a one-play
   * write was five (BEGIN, create the plays appender, prepare and run the ingest-run INSERT, COMMIT), and in
   * bench/train-under-load.ts under load 17 each trip took 15-50 ms on average. With the appenders kept
   * and the ingest run appended too, it is two (BEGIN, COMMIT). A failed append discards the appender, so
   * that none of its rows is flushed later (DuckDB flushes buffered rows when an appender is destroyed) and
   * the next call starts with a fresh one.
   */
  private async appendTo(table: string, rows: (a: Appender) => void): Promise<void> {
    let a = this.appenders.get(table);
    if (!a) {
      a = await this.conn.createAppender(table);
      this.appenders.set(table, a);
    }
    try {
      rows(a);
      a.flushSync();
    } catch (err) {
      this.appenders.delete(table);
      discardAppender(a);
      throw err;
    }
  }

  /** Closes the kept appenders (empty: each call flushed its rows), before their connection closes. */
  private closeAppenders(): void {
    for (const a of this.appenders.values()) discardAppender(a);
    this.appenders.clear();
  }

  /** The ingest runs of the writes that asked for one (AppendOptions.run), with their answers' counts. */
  private async recordRuns(writes: readonly PlayWrite[], answers: readonly AppendResult[]): Promise<void> {
    if (!writes.some((w) => w.options.run)) return;
    const finished = new DuckDBTimestampValue(BigInt(Date.now()) * 1000n);
    await this.appendTo("ingest_runs", (a) =>
      writes.forEach(({ options: { run } }, k) => {
        if (!run) return;
        a.appendTimestamp(new DuckDBTimestampValue(BigInt(run.startedAt.getTime()) * 1000n));
        a.appendTimestamp(finished);
        a.appendVarchar(JSON.stringify(run.sources));
        a.appendVarchar(run.preset);
        a.appendBigInt(BigInt(answers[k].inserted));
        a.appendBigInt(BigInt(run.rejected));
        a.appendBigInt(BigInt(answers[k].duplicates));
        a.endRow();
      }),
    );
  }

  async upsertItems(items: readonly CatalogueItem[]): Promise<number> {
    if (items.length === 0) return 0;
    await this.conn.run(
      "CREATE TEMP TABLE IF NOT EXISTS items_staging (item_id VARCHAR, title VARCHAR, creators VARCHAR, kind VARCHAR, length_ms BIGINT, tags VARCHAR, attributes VARCHAR)",
    );
    await this.conn.run("DELETE FROM items_staging");
    const a = await this.conn.createAppender("items_staging", "main", "temp");
    const seen = new Set<string>();
    for (let k = items.length - 1; k >= 0; k--) {
      const item = items[k];
      if (seen.has(item.id)) continue; // the last fact about an item in a batch wins
      seen.add(item.id);
      a.appendVarchar(item.id);
      a.appendVarchar(item.title);
      a.appendVarchar(JSON.stringify(item.creators));
      a.appendVarchar(item.kind);
      if (item.lengthMs === undefined) a.appendNull();
      else a.appendBigInt(BigInt(item.lengthMs));
      a.appendVarchar(JSON.stringify(item.tags));
      a.appendVarchar(JSON.stringify(item.attributes));
      a.endRow();
    }
    a.closeSync();
    return this.transaction(async () => {
      const r = await this.conn.run(`
        INSERT OR REPLACE INTO items
        SELECT item_id, title, from_json(creators, '["VARCHAR"]'), kind, length_ms, from_json(tags, '["VARCHAR"]'), attributes
        FROM items_staging`);
      return r.rowsChanged;
    });
  }

  /**
   * On a connection of its own, opened for the scan: DuckDB's MVCC gives its read transaction a snapshot (the
   * plays committed when it began), so the scan neither waits for nor holds up the writes on the main
   * connection (scan-plays.ts).
   */
  async scanPlays(window: TimeWindow = {}): Promise<PlayColumns> {
    const conditions: string[] = [];
    if (window.fromMs !== undefined)
      conditions.push(`end_time >= make_timestamp(${Math.trunc(window.fromMs * 1000)}::BIGINT)`);
    if (window.toMs !== undefined)
      conditions.push(`end_time < make_timestamp(${Math.trunc(window.toMs * 1000)}::BIGINT)`);
    const conn = await this.instance.connect();
    try {
      return await scanPlayColumns(conn, conditions.length ? `WHERE ${conditions.join(" AND ")}` : "");
    } finally {
      conn.closeSync();
    }
  }

  async scanPlayRequests(window: TimeWindow = {}): Promise<PlayRequestRow[]> {
    const conditions = ["request_text IS NOT NULL"];
    if (window.fromMs !== undefined)
      conditions.push(`end_time >= make_timestamp(${Math.trunc(window.fromMs * 1000)}::BIGINT)`);
    if (window.toMs !== undefined)
      conditions.push(`end_time < make_timestamp(${Math.trunc(window.toMs * 1000)}::BIGINT)`);
    const rows = (
      await this.conn.runAndReadAll(
        `SELECT event_id, user_id, item_id, epoch_ms(end_time)::DOUBLE, request_text, device_type, has_screen
         FROM plays WHERE ${conditions.join(" AND ")} ORDER BY end_time, event_key`,
      )
    ).getRows();
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
    await this.conn.run(
      "CREATE TEMP TABLE IF NOT EXISTS requests_staging AS SELECT * EXCLUDE (ingested_at) FROM requests LIMIT 0",
    );
    await this.conn.run("DELETE FROM requests_staging");
    const a = await this.conn.createAppender("requests_staging", "main", "temp");
    const optionalDouble = (v: number | undefined) => (v === undefined ? a.appendNull() : a.appendDouble(v));
    for (const { event, source } of batch) {
      a.appendVarchar(event.requestId);
      a.appendVarchar(event.user);
      appendOptionalVarchar(a, event.device);
      a.appendTimestamp(new DuckDBTimestampValue(BigInt(eventTimeMs(event.time)) * 1000n));
      a.appendVarchar(event.text);
      optionalDouble(event.asrConfidence);
      appendOptionalVarchar(a, event.intent);
      optionalDouble(event.intentConfidence);
      appendOptionalVarchar(a, event.resolvedItem);
      a.appendVarchar(event.responseKind);
      a.appendBoolean(event.bargeIn);
      if (event.playedMs === undefined) a.appendNull();
      else a.appendBigInt(BigInt(event.playedMs));
      appendOptionalVarchar(a, event.rewrittenFrom);
      appendOptionalVarchar(a, event.context ? JSON.stringify(event.context) : undefined);
      a.appendVarchar(source);
      a.endRow();
    }
    a.closeSync();
    // Several rows with one requestId in a batch: the first wins, like a re-ingest.
    const insert = `
        INSERT OR IGNORE INTO requests BY NAME
        SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY request_id) AS rn FROM requests_staging)
        WHERE rn = 1`;
    let insertedRows: number[] | undefined;
    const inserted = await this.transaction(async () => {
      if (!options.listInserted) return (await this.conn.run(insert)).rowsChanged;
      const ids = (await this.conn.runAndReadAll(`${insert} RETURNING request_id`)).getColumns()[0] ?? [];
      insertedRows = rowsOfKeys(
        batch.map((b) => b.event.requestId),
        ids as string[],
      );
      return ids.length;
    });
    await this.conn.run("DELETE FROM requests_staging");
    return { inserted, duplicates: batch.length - inserted, ...(insertedRows ? { insertedRows } : {}) };
  }

  async scanRequests(window: TimeWindow & { user?: string } = {}): Promise<RequestEvent[]> {
    const conditions: string[] = [];
    if (window.fromMs !== undefined)
      conditions.push(`time >= make_timestamp(${Math.trunc(window.fromMs * 1000)}::BIGINT)`);
    if (window.toMs !== undefined)
      conditions.push(`time < make_timestamp(${Math.trunc(window.toMs * 1000)}::BIGINT)`);
    if (window.user !== undefined) conditions.push("user_id = $1");
    const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
    const rows = (
      await this.conn.runAndReadAll(
        `
        SELECT request_id, user_id, device_id, epoch_ms(time)::DOUBLE, text, asr_confidence, intent,
               intent_confidence, resolved_item, response_kind, barge_in, played_ms::DOUBLE, rewritten_from, context
        FROM requests ${where} ORDER BY time, request_id`,
        window.user !== undefined ? [window.user] : undefined,
      )
    ).getRows();
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
      if (r[13] !== null) event.context = JSON.parse(r[13] as string);
      return event;
    });
  }

  async countRequests(): Promise<number> {
    const r = await this.conn.runAndReadAll("SELECT count(*)::DOUBLE FROM requests");
    return r.getColumns()[0][0] as number;
  }

  async addPreference(record: PreferenceRecord): Promise<void> {
    const stmt = await this.prepare(
      "INSERT OR REPLACE INTO preferences VALUES ($1, $2, make_timestamp($3::BIGINT), $4, NULL)",
    );
    stmt.bind([
      record.id,
      record.user,
      BigInt(Math.trunc(record.createdAtMs)) * 1000n,
      JSON.stringify(record.fact),
    ]);
    await stmt.run();
  }

  async listPreferences(user?: string): Promise<PreferenceRecord[]> {
    const stmt = await this.prepare(
      `SELECT fact_id, user_id, epoch_ms(created_at)::DOUBLE, fact FROM preferences WHERE removed_at IS NULL${user === undefined ? "" : " AND user_id = $1"} ORDER BY created_at, fact_id`,
    );
    if (user !== undefined) stmt.bind([user]);
    const rows = (await stmt.runAndReadAll()).getRows();
    return rows.map((r) => ({
      id: r[0] as string,
      user: r[1] as string,
      createdAtMs: r[2] as number,
      fact: JSON.parse(r[3] as string),
    }));
  }

  async privacySpent(users: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (users.length === 0) return out;
    const stmt = await this.prepare(
      "SELECT user_id, spent FROM privacy_ledger WHERE list_contains($1::VARCHAR[], user_id)",
    );
    stmt.bind([listValue([...new Set(users)])]);
    for (const r of (await stmt.runAndReadAll()).getRows()) out.set(r[0] as string, r[1] as number);
    return out;
  }

  async privacyLedger(top: number): Promise<PrivacyLedgerSummary> {
    const [users, total, median, max] = (
      await this.conn.runAndReadAll(
        "SELECT count(*)::DOUBLE, coalesce(sum(spent), 0), coalesce(median(spent), 0), coalesce(max(spent), 0) FROM privacy_ledger",
      )
    ).getRows()[0] as number[];
    const stmt = await this.prepare(
      "SELECT user_id, spent FROM privacy_ledger ORDER BY spent DESC, user_id LIMIT $1",
    );
    stmt.bindInteger(1, top);
    const rows = (await stmt.runAndReadAll()).getRows();
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
    await this.transaction(async () => {
      const stmt = await this.prepare(
        `INSERT INTO privacy_ledger VALUES ($1, $2, now()::TIMESTAMP)
         ON CONFLICT (user_id) DO UPDATE SET spent = privacy_ledger.spent + excluded.spent, updated_at = now()::TIMESTAMP`,
      );
      for (const [user, spent] of increments) {
        stmt.bind([user, spent]);
        await stmt.run();
      }
    });
  }

  async removePreference(user: string, factId: string): Promise<boolean> {
    const stmt = await this.prepare(
      "UPDATE preferences SET removed_at = current_timestamp WHERE user_id = $1 AND fact_id = $2 AND removed_at IS NULL",
    );
    stmt.bind([user, factId]);
    const r = await stmt.run();
    return r.rowsChanged > 0;
  }

  async addPool(record: Omit<PoolRecord, "version">): Promise<PoolRecord> {
    let version = 0;
    await this.transaction(async () => {
      const last = await this.prepare("SELECT coalesce(max(version), 0)::INTEGER FROM pools WHERE name = $1");
      last.bind([record.name]);
      version = ((await last.runAndReadAll()).getColumns()[0][0] as number) + 1;
      const stmt = await this.prepare(
        "INSERT INTO pools VALUES ($1, $2::INTEGER, make_timestamp($3::BIGINT), $4, NULL)",
      );
      stmt.bind([
        record.name,
        version,
        BigInt(Math.trunc(record.createdAtMs)) * 1000n,
        JSON.stringify(record.definition),
      ]);
      await stmt.run();
    });
    return { ...record, version };
  }

  async listPools(name?: string): Promise<PoolRecord[]> {
    const stmt = await this.prepare(
      `SELECT name, version::INTEGER, epoch_ms(created_at)::DOUBLE, definition FROM pools p
       WHERE removed_at IS NULL AND ($1::VARCHAR IS NULL OR name = $1)
         AND version = (SELECT max(version) FROM pools q WHERE q.name = p.name AND q.removed_at IS NULL)
       ORDER BY name`,
    );
    stmt.bind([name ?? null]);
    const rows = (await stmt.runAndReadAll()).getRows();
    return rows.map((r) => ({
      name: r[0] as string,
      version: r[1] as number,
      createdAtMs: r[2] as number,
      definition: JSON.parse(r[3] as string),
    }));
  }

  async removePool(name: string): Promise<boolean> {
    const stmt = await this.prepare(
      "UPDATE pools SET removed_at = current_timestamp WHERE name = $1 AND removed_at IS NULL",
    );
    stmt.bind([name]);
    return (await stmt.run()).rowsChanged > 0;
  }

  /** Rows through a temp staging table and an appender, then one INSERT OR IGNORE (first of a key wins). */
  private async appendStaged(
    table: string,
    key: string,
    rows: number,
    fill: (a: Awaited<ReturnType<DuckDBConnection["createAppender"]>>) => void,
  ): Promise<AppendResult> {
    if (rows === 0) return { inserted: 0, duplicates: 0 };
    const staging = `${table}_staging`;
    await this.conn.run(
      `CREATE TEMP TABLE IF NOT EXISTS ${staging} AS SELECT * EXCLUDE (ingested_at) FROM ${table} LIMIT 0`,
    );
    await this.conn.run(`DELETE FROM ${staging}`);
    const a = await this.conn.createAppender(staging, "main", "temp");
    fill(a);
    a.closeSync();
    const inserted = await this.transaction(async () => {
      const r = await this.conn.run(`
        INSERT OR IGNORE INTO ${table} BY NAME
        SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY ${key}) AS rn FROM ${staging})
        WHERE rn = 1`);
      return r.rowsChanged;
    });
    await this.conn.run(`DELETE FROM ${staging}`);
    return { inserted, duplicates: rows - inserted };
  }

  async appendImpressions(batch: readonly ImpressionEvent[], source: string): Promise<AppendResult> {
    return this.appendStaged("impressions", "impression_id", batch.length, (a) => {
      for (const e of batch) {
        a.appendVarchar(e.impressionId);
        appendOptionalVarchar(a, e.pageId);
        a.appendVarchar(e.user);
        a.appendTimestamp(new DuckDBTimestampValue(BigInt(eventTimeMs(e.time)) * 1000n));
        a.appendVarchar(e.surface);
        a.appendInteger(e.slot);
        a.appendVarchar(e.item);
        appendOptionalVarchar(a, e.title);
        a.appendVarchar(e.policy);
        a.appendVarchar(e.policyVersion);
        a.appendDouble(e.propensity);
        if (e.propensitySamples === undefined) a.appendNull();
        else a.appendInteger(e.propensitySamples);
        appendOptionalVarchar(a, e.context ? JSON.stringify(e.context) : undefined);
        a.appendVarchar(source);
        a.endRow();
      }
    });
  }

  async appendFeedback(batch: readonly FeedbackEvent[], source: string): Promise<AppendResult> {
    return this.appendStaged("impression_feedback", "impression_id, kind, time", batch.length, (a) => {
      for (const e of batch) {
        a.appendVarchar(e.impressionId);
        a.appendTimestamp(new DuckDBTimestampValue(BigInt(eventTimeMs(e.time)) * 1000n));
        a.appendVarchar(e.kind);
        if (e.playedMs === undefined) a.appendNull();
        else a.appendBigInt(BigInt(e.playedMs));
        a.appendVarchar(source);
        a.endRow();
      }
    });
  }

  async scanImpressions(
    filter: TimeWindow & { ids?: readonly string[]; pageId?: string } = {},
  ): Promise<ImpressionWithFeedback[]> {
    const conditions: string[] = [];
    const params: string[] = [];
    if (filter.fromMs !== undefined)
      conditions.push(`i.time >= make_timestamp(${Math.trunc(filter.fromMs * 1000)}::BIGINT)`);
    if (filter.toMs !== undefined)
      conditions.push(`i.time < make_timestamp(${Math.trunc(filter.toMs * 1000)}::BIGINT)`);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      const first = params.length + 1;
      params.push(...filter.ids);
      conditions.push(`i.impression_id IN (${filter.ids.map((_, k) => `$${first + k}`).join(", ")})`);
    }
    if (filter.pageId !== undefined) {
      params.push(filter.pageId);
      conditions.push(`i.page_id = $${params.length}`);
    }
    const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
    const rows = (
      await this.conn.runAndReadAll(
        `SELECT i.impression_id, i.page_id, i.user_id, epoch_ms(i.time)::DOUBLE, i.surface, i.slot, i.item_id, i.title,
                i.policy, i.policy_version, i.propensity, i.propensity_samples, i.context,
                coalesce((SELECT to_json(list({'kind': f.kind, 'time': epoch_ms(f.time)::DOUBLE, 'playedMs': f.played_ms::DOUBLE} ORDER BY f.time, f.kind))::VARCHAR
                          FROM impression_feedback f WHERE f.impression_id = i.impression_id), '[]')
         FROM impressions i ${where} ORDER BY i.time, i.page_id, i.slot, i.impression_id`,
        params.length ? params : undefined,
      )
    ).getRows();
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
      if (r[12] !== null) impression.context = JSON.parse(r[12] as string);
      const feedback = (
        JSON.parse(r[13] as string) as Array<{
          kind: FeedbackEvent["kind"];
          time: number;
          playedMs: number | null;
        }>
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

  async savePolicy(record: StoredPolicy): Promise<void> {
    const stmt = await this.prepare(
      "INSERT OR REPLACE INTO bandit_policies VALUES ($1, $2, $3, make_timestamp($4::BIGINT), $5)",
    );
    stmt.bind([
      record.name,
      record.version,
      record.frozen,
      BigInt(Math.trunc(record.updatedAtMs)) * 1000n,
      JSON.stringify(record.state),
    ]);
    await stmt.run();
  }

  async saveState(name: string, state: unknown, updatedAtMs = Date.now()): Promise<void> {
    const stmt = await this.prepare(
      "INSERT OR REPLACE INTO learned_state VALUES ($1, make_timestamp($2::BIGINT), $3)",
    );
    stmt.bind([name, BigInt(Math.trunc(updatedAtMs)) * 1000n, JSON.stringify(state)]);
    await stmt.run();
  }

  async loadState(name: string): Promise<{ state: unknown; updatedAtMs: number } | null> {
    const stmt = await this.prepare(
      "SELECT epoch_ms(updated_at)::DOUBLE, state FROM learned_state WHERE name = $1",
    );
    stmt.bind([name]);
    const row = (await stmt.runAndReadAll()).getRows()[0];
    return row ? { updatedAtMs: row[0] as number, state: JSON.parse(row[1] as string) } : null;
  }

  impressionSummary(rewardMs: number): Promise<ImpressionSummary> {
    return impressionSummaryOf(this.query, duckdbDialect, rewardMs);
  }

  async listPolicies(): Promise<StoredPolicy[]> {
    const rows = (
      await this.conn.runAndReadAll(
        "SELECT name, version, frozen, epoch_ms(updated_at)::DOUBLE, state FROM bandit_policies ORDER BY name",
      )
    ).getRows();
    return rows.map((r) => ({
      name: r[0] as string,
      version: r[1] as number,
      frozen: r[2] as boolean,
      updatedAtMs: r[3] as number,
      state: JSON.parse(r[4] as string),
    }));
  }

  async countPlays(): Promise<number> {
    const r = await this.conn.runAndReadAll("SELECT count(*)::DOUBLE FROM plays");
    return r.getColumns()[0][0] as number;
  }

  async getItems(ids?: readonly string[]): Promise<CatalogueItem[]> {
    const sql =
      "SELECT item_id, title, to_json(creators)::VARCHAR, kind, length_ms::DOUBLE, to_json(tags)::VARCHAR, attributes FROM items";
    let rows: unknown[][];
    if (ids) {
      if (ids.length === 0) return [];
      // The ids go in as one list parameter, not through a shared temp table: requests that read items at
      // the same time (a page's titles while another page's impressions are written) each have their own.
      const stmt = await this.prepare(`${sql} WHERE item_id IN (SELECT unnest($1::VARCHAR[]))`);
      stmt.bind([listValue([...new Set(ids)])]);
      rows = (await stmt.runAndReadAll()).getRows();
    } else rows = (await this.conn.runAndReadAll(sql)).getRows();
    return rows.map((r) => ({
      id: r[0] as string,
      title: r[1] as string,
      creators: JSON.parse(r[2] as string),
      kind: r[3] as CatalogueItem["kind"],
      ...(r[4] === null ? {} : { lengthMs: r[4] as number }),
      tags: JSON.parse(r[5] as string),
      attributes: JSON.parse(r[6] as string),
    }));
  }

  async recordIngestRun(run: IngestRunRecord): Promise<void> {
    const stmt = await this.prepare(
      "INSERT INTO ingest_runs VALUES (make_timestamp($1::BIGINT), make_timestamp($2::BIGINT), $3, $4, $5, $6, $7)",
    );
    stmt.bind([
      BigInt(run.startedAt.getTime()) * 1000n,
      BigInt(run.finishedAt.getTime()) * 1000n,
      JSON.stringify(run.sources),
      run.preset,
      run.accepted,
      run.rejected,
      run.duplicates,
    ]);
    await stmt.run();
  }

  async registerModel(entry: ModelRegistryEntry): Promise<void> {
    await this.transaction(async () => {
      if (entry.isCurrent) await this.conn.run("UPDATE models SET is_current = false WHERE is_current");
      const stmt = await this.prepare(
        "INSERT OR REPLACE INTO models VALUES ($1, $2, make_timestamp($3::BIGINT), $4, $5, $6)",
      );
      stmt.bind([
        entry.version,
        entry.path,
        BigInt(entry.createdAt.getTime()) * 1000n,
        JSON.stringify(entry.config ?? null),
        JSON.stringify(entry.metrics ?? null),
        entry.isCurrent ?? false,
      ]);
      await stmt.run();
    });
  }

  async currentModel(): Promise<ModelRegistryEntry | null> {
    const all = await this.listModels();
    return all.find((m) => m.isCurrent) ?? null;
  }

  async listModels(): Promise<ModelRegistryEntry[]> {
    const rows = (
      await this.conn.runAndReadAll(
        "SELECT version, path, epoch_ms(created_at)::DOUBLE, config, metrics, is_current FROM models ORDER BY created_at",
      )
    ).getRows();
    return rows.map((r) => ({
      version: r[0] as string,
      path: r[1] as string,
      createdAt: new Date(r[2] as number),
      config: JSON.parse(r[3] as string),
      metrics: JSON.parse(r[4] as string),
      isCurrent: r[5] as boolean,
    }));
  }

  async summary(options: { topUsers?: number } = {}): Promise<StoreSummary> {
    return storeSummary(this.query, duckdbDialect, options.topUsers ?? 10);
  }

  async recentPlays(user: string, limit: number): Promise<RecentPlay[]> {
    return recentPlaysOf(this.query, duckdbDialect, user, limit);
  }

  async close(): Promise<void> {
    this.closeAppenders();
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/**
 * The INSERTs that move the staged rows (one per key, none ruled out by the key filter) into plays, less the
 * keys already stored (plays has no index on its key since schema 7; see migrations.ts), one per kind of row
 * present. A play without an event id has its end time in its key, so its anti-join also matches on
 * end_time, with the batch's time span as constants: DuckDB then reads only the stored row groups whose
 * times can match (the join's own pushdown did not: a single play took 115-160 ms on a 2 M-play store,
 * load 12). A play with an event id is its id, whatever its time: looked up among all stored plays.
 */
function newPlaysInsertSql(staged: readonly PlayRow[]): string[] {
  let lo: number | null = null;
  let hi: number | null = null;
  let withIds = 0;
  for (const { eventId, endMs } of staged) {
    if (eventId !== null) {
      withIds++;
      continue;
    }
    if (lo === null || endMs < lo) lo = endMs;
    if (hi === null || endMs > hi) hi = endMs;
  }
  const stamp = (ms: number) => `make_timestamp(${BigInt(ms) * 1000n}::BIGINT)`;
  const insert = (kind: string, antiJoin: string) =>
    `INSERT INTO plays BY NAME SELECT s.* FROM plays_staging s ${antiJoin} WHERE ${kind}`;
  const statements: string[] = [];
  if (lo !== null && hi !== null)
    statements.push(
      insert(
        "s.event_id IS NULL",
        `ANTI JOIN (SELECT event_key, end_time FROM plays WHERE end_time BETWEEN ${stamp(lo)} AND ${stamp(hi)}) p
         ON p.event_key = s.event_key AND p.end_time = s.end_time`,
      ),
    );
  if (withIds > 0)
    statements.push(insert("s.event_id IS NOT NULL", "ANTI JOIN plays p ON p.event_key = s.event_key"));
  return statements;
}

/** The key filter with what it covers (DuckDbConnectionStore.storedKeys). */
interface StoredKeys {
  filter: EventKeyFilter;
  /** Whether the filter holds every stored key this row could repeat. */
  covers: (row: PlayRow) => boolean;
}

/** Rows of one write at most, more when several queue together (the first write goes however large). */
const MAX_GROUP_ROWS = 100_000;

/**
 * A file store checkpoints at a pause in the writes once its write-ahead log passes this: DuckDB's own
 * default threshold, so as often as before, but not inside a write (idle-checkpoints.ts).
 */
const IDLE_CHECKPOINT_BYTES = 16 * 1024 * 1024;
/**
 * DuckDB's automatic checkpoint, for writes that never pause long enough: 8x the idle one, so a store
 * restarted after a kill replays at most this much log.
 */
const AUTO_CHECKPOINT_THRESHOLD = "128MiB";

/** What tests and benches may watch or set: each group commit of plays, once it has committed; checkpoints. */
export interface DuckDbStoreHooks {
  onPlayCommit?: (group: { writes: number; rows: number }) => void;
  /** Each checkpoint taken at a pause in the writes. */
  onCheckpoint?: () => void;
  /** The log size past which a checkpoint is taken at the next pause (default 16 MiB). */
  idleCheckpointBytes?: number;
}

/** One caller's appendPlays, waiting for its group: the batch, its rows converted for the appender. */
interface PlayWrite {
  batch: readonly KeyedPlayEvent[];
  rows: readonly PlayRow[];
  options: AppendOptions;
}

/** Converts a play for the appender; throws (a time or a duration that is not an integer) before any append. */
function playRow({ key, event, source, endMs }: KeyedPlayEvent): PlayRow {
  return {
    key,
    eventId: event.eventId ?? null,
    user: event.user,
    item: event.item,
    endMs: integer(endMs ?? eventTimeMs(event.endTime)),
    playedMs: integer(event.playedMs),
    itemLengthMs: event.itemLengthMs === undefined ? null : integer(event.itemLengthMs),
    weight: event.weight ?? null,
    deviceType: event.context?.deviceType ?? null,
    hasScreen: event.context?.hasScreen ?? null,
    extra: event.context?.extra ? JSON.stringify(event.context.extra) : null,
    requestText: event.requestText ?? null,
    endReason: event.endReason ?? null,
    source,
    requestId: event.requestId ?? null,
    deviceState: event.context?.deviceState ?? null,
    activity: event.context?.activity ?? null,
    userCode: -1,
    itemCode: -1,
  };
}

/** A number the store can write as a BIGINT or TIMESTAMP, refused as BigInt() refuses one (RangeError). */
function integer(n: number): number {
  if (!Number.isInteger(n)) throw new RangeError(`${n} is not an integer`);
  return n;
}

/** New (code, id) entries of user_codes or item_codes. */
function appendCodes(a: Appender, entries: readonly [number, string][]): void {
  for (const [code, id] of entries) {
    a.appendInteger(code);
    a.appendVarchar(id);
    a.endRow();
  }
}

type Appender = Awaited<ReturnType<DuckDBConnection["createAppender"]>>;

/** Drops an appender's buffered rows and closes it; an appender that failed may refuse either. */
function discardAppender(a: Appender): void {
  try {
    a.clear();
    a.closeSync();
  } catch {
    // Closed already, or nothing left to close.
  }
}

function appendOptionalVarchar(
  a: { appendNull(): void; appendVarchar(v: string): void },
  v: string | null | undefined,
): void {
  if (v === undefined || v === null) a.appendNull();
  else a.appendVarchar(v);
}

/**
 * A StoreError("io") for a failure of the store itself rather than of the call: an I/O error (a full or
 * vanished disk), a database DuckDB invalidated after a fatal error, a closed connection. A server answers
 * these 503 and its health check reports them; anything else (a constraint, a bug) stays as it was.
 */
function unavailable(location: string, err: unknown): StoreError | null {
  if (err instanceof StoreError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (
    !/\b(IO|FATAL|Fatal|Connection) Error\b|database has been invalidated|connection disconnected|instance closed|No space left on device|Could not (read|write)/i.test(
      message,
    )
  )
    return null;
  const first = message.split("\n")[0];
  if (/No space left on device/i.test(message))
    return new StoreError("full", `store ${location}: the disk is full (${first})`);
  return new StoreError("io", `store ${location} is unavailable: ${first}`);
}

function translateOpenError(location: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const lock = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(message);
  if (lock) {
    return new StoreError(
      "locked",
      `store ${location} is in use by another process (${lock[1]}, PID ${lock[2]}); stop it, or if it is a tastebud server, send the request to that server`,
    );
  }
  return new StoreError("io", `cannot open store ${location}: ${message.split("\n")[0]}`);
}
