/**
 * Schema versions of the embedded store, applied in order inside one transaction each. Never edit a
 * migration that has shipped: add the next one. A new event kind is a new migration with its own table.
 */
export const migrations: ReadonlyArray<{ version: number; description: string; sql: string }> = [
  {
    version: 1,
    description: "plays, catalogue, model registry, ingest runs",
    sql: `
      CREATE TABLE plays (
        event_key UHUGEINT PRIMARY KEY,
        event_id VARCHAR,
        user_id VARCHAR NOT NULL,
        item_id VARCHAR NOT NULL,
        end_time TIMESTAMP NOT NULL,
        played_ms BIGINT NOT NULL,
        item_length_ms BIGINT,
        weight DOUBLE,
        device_type VARCHAR,
        has_screen BOOLEAN,
        context_extra VARCHAR,
        request_text VARCHAR,
        end_reason VARCHAR,
        source VARCHAR,
        ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp
      );
      CREATE TABLE items (
        item_id VARCHAR PRIMARY KEY,
        title VARCHAR NOT NULL,
        creators VARCHAR[] NOT NULL,
        kind VARCHAR NOT NULL,
        length_ms BIGINT,
        tags VARCHAR[] NOT NULL,
        attributes VARCHAR NOT NULL
      );
      CREATE TABLE models (
        version VARCHAR PRIMARY KEY,
        path VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        config VARCHAR NOT NULL,
        metrics VARCHAR NOT NULL,
        is_current BOOLEAN NOT NULL DEFAULT false
      );
      CREATE TABLE ingest_runs (
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        sources VARCHAR NOT NULL,
        preset VARCHAR NOT NULL,
        accepted BIGINT NOT NULL,
        rejected BIGINT NOT NULL,
        duplicates BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description:
      "request events (voice/text turns), plays linked to requests, device state, taught preferences",
    sql: `
      ALTER TABLE plays ADD COLUMN request_id VARCHAR;
      ALTER TABLE plays ADD COLUMN device_state VARCHAR;
      ALTER TABLE plays ADD COLUMN activity VARCHAR;
      CREATE TABLE requests (
        request_id VARCHAR PRIMARY KEY,
        user_id VARCHAR NOT NULL,
        device_id VARCHAR,
        time TIMESTAMP NOT NULL,
        text VARCHAR NOT NULL,
        asr_confidence DOUBLE,
        intent VARCHAR,
        intent_confidence DOUBLE,
        resolved_item VARCHAR,
        response_kind VARCHAR NOT NULL,
        barge_in BOOLEAN NOT NULL,
        played_ms BIGINT,
        rewritten_from VARCHAR,
        context VARCHAR,
        source VARCHAR,
        ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp
      );
      CREATE TABLE preferences (
        fact_id VARCHAR PRIMARY KEY,
        user_id VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL,
        fact VARCHAR NOT NULL,
        removed_at TIMESTAMP
      );
    `,
  },
  {
    version: 3,
    description: "editors' playlist pools (algotorial), versioned by name",
    sql: `
      CREATE TABLE pools (
        name VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        created_at TIMESTAMP NOT NULL,
        definition VARCHAR NOT NULL,
        removed_at TIMESTAMP,
        PRIMARY KEY (name, version)
      );
    `,
  },
  {
    version: 4,
    description: "impressions (what a policy showed, with propensities), their feedback, bandit policy state",
    sql: `
      CREATE TABLE impressions (
        impression_id VARCHAR PRIMARY KEY,
        page_id VARCHAR,
        user_id VARCHAR NOT NULL,
        time TIMESTAMP NOT NULL,
        surface VARCHAR NOT NULL,
        slot INTEGER NOT NULL,
        item_id VARCHAR NOT NULL,
        title VARCHAR,
        policy VARCHAR NOT NULL,
        policy_version VARCHAR NOT NULL,
        propensity DOUBLE NOT NULL,
        propensity_samples INTEGER,
        context VARCHAR,
        source VARCHAR,
        ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp
      );
      CREATE TABLE impression_feedback (
        impression_id VARCHAR NOT NULL,
        time TIMESTAMP NOT NULL,
        kind VARCHAR NOT NULL,
        played_ms BIGINT,
        source VARCHAR,
        ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        PRIMARY KEY (impression_id, kind, time)
      );
      CREATE TABLE bandit_policies (
        name VARCHAR PRIMARY KEY,
        version INTEGER NOT NULL,
        frozen BOOLEAN NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        state VARCHAR NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: "privacy budget ledger: the ε each user has spent on stored request text",
    sql: `
      CREATE TABLE privacy_ledger (
        user_id VARCHAR PRIMARY KEY,
        spent DOUBLE NOT NULL,
        updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
      );
    `,
  },
  {
    version: 6,
    description: "learned serving state (rewrite monitor, rule gates, dialogues) that must survive a restart",
    sql: `
      CREATE TABLE learned_state (
        name VARCHAR PRIMARY KEY,
        updated_at TIMESTAMP NOT NULL,
        state VARCHAR NOT NULL
      );
    `,
  },
  {
    version: 7,
    description:
      "plays without the primary key on event_key: writes dedupe by an anti-join on (event_key, end_time) instead",
    // DuckDB's index (ART) on a random 128-bit key made every stored play cost an index insert: 2 M plays
    // took 29.5 s into the keyed table and 5.4 s into this one (issue 14). DuckDB cannot drop a primary key,
    // so the table is rebuilt, columns in the same order (migration 2 added the last three).
    sql: `
      CREATE TABLE plays_v7 (
        event_key UHUGEINT NOT NULL,
        event_id VARCHAR,
        user_id VARCHAR NOT NULL,
        item_id VARCHAR NOT NULL,
        end_time TIMESTAMP NOT NULL,
        played_ms BIGINT NOT NULL,
        item_length_ms BIGINT,
        weight DOUBLE,
        device_type VARCHAR,
        has_screen BOOLEAN,
        context_extra VARCHAR,
        request_text VARCHAR,
        end_reason VARCHAR,
        source VARCHAR,
        ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        request_id VARCHAR,
        device_state VARCHAR,
        activity VARCHAR
      );
      INSERT INTO plays_v7 SELECT * FROM plays;
      DROP TABLE plays;
      ALTER TABLE plays_v7 RENAME TO plays;
    `,
  },
  {
    version: 8,
    description:
      "integer codes for the users and items of plays (user_codes, item_codes), kept on each play: the training scan reads numbers",
    // The scan joined millions of plays to their users' and items' ranks by name: most of its time (issue 14).
    // A code is given once, in the transaction that first stores a play of that id (or before it, by the bulk
    // path), and never changes; the unique ids make a second code for the same id fail its write rather than
    // split a user in two. Existing plays get codes in name order. The table is rebuilt (DuckDB cannot add a
    // NOT NULL column to a filled table), in its row order: its row groups' time ranges are what lets a
    // write's duplicate check skip most stored plays (newPlaysInsertSql).
    sql: `
      CREATE TABLE user_codes (user_code INTEGER PRIMARY KEY, user_id VARCHAR NOT NULL UNIQUE);
      CREATE TABLE item_codes (item_code INTEGER PRIMARY KEY, item_id VARCHAR NOT NULL UNIQUE);
      INSERT INTO user_codes
        SELECT (row_number() OVER (ORDER BY user_id) - 1)::INTEGER, user_id FROM (SELECT DISTINCT user_id FROM plays);
      INSERT INTO item_codes
        SELECT (row_number() OVER (ORDER BY item_id) - 1)::INTEGER, item_id FROM (SELECT DISTINCT item_id FROM plays);
      CREATE TABLE plays_v8 (
        event_key UHUGEINT NOT NULL,
        event_id VARCHAR,
        user_id VARCHAR NOT NULL,
        item_id VARCHAR NOT NULL,
        end_time TIMESTAMP NOT NULL,
        played_ms BIGINT NOT NULL,
        item_length_ms BIGINT,
        weight DOUBLE,
        device_type VARCHAR,
        has_screen BOOLEAN,
        context_extra VARCHAR,
        request_text VARCHAR,
        end_reason VARCHAR,
        source VARCHAR,
        ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
        request_id VARCHAR,
        device_state VARCHAR,
        activity VARCHAR,
        user_code INTEGER NOT NULL,
        item_code INTEGER NOT NULL
      );
      INSERT INTO plays_v8
        SELECT p.*, u.user_code, i.item_code
        FROM plays p JOIN user_codes u ON u.user_id = p.user_id JOIN item_codes i ON i.item_id = p.item_id
        ORDER BY p.rowid;
      DROP TABLE plays;
      ALTER TABLE plays_v8 RENAME TO plays;
    `,
  },
];

export const latestSchemaVersion = migrations[migrations.length - 1].version;
