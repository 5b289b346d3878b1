/**
 * Schema versions of the PostgreSQL store, applied in order, each in one transaction under an advisory
 * lock (replicas starting at once against a new database must not race to create the same tables). Never
 * edit a migration that has shipped: add the next one.
 *
 * The tables hold what the DuckDB store holds (src/store/duckdb/migrations.ts), laid out for distribution by
 * user (Citus-style): every per-user table has the user id first in its primary key, so a distribution key
 * of `user_id` keeps each user's plays, requests, facts and impressions on one node and the unique keys
 * enforceable there. The idempotence keys are the same as DuckDB's (src/store/event-key.ts), scoped to the
 * user: an event id or request id is unique per user. Catalogue, pools, models, policies and learned state
 * are small and shared (Citus reference tables). Ids are `COLLATE "C"`: byte order, as DuckDB sorts them,
 * so both stores hand the trainer the same dense indices, and comparisons skip the locale's rules.
 * Event times are timestamptz (UTC instants); JSON documents are `json`, kept as written.
 */
export const migrations: ReadonlyArray<{ version: number; description: string; sql: string }> = [
  {
    version: 1,
    description:
      "plays, catalogue, requests, preferences, pools, impressions and feedback, policies, privacy ledger, learned state, model registry, ingest runs",
    sql: `
      CREATE TABLE plays (
        user_id text COLLATE "C" NOT NULL,
        event_key uuid NOT NULL,
        event_id text,
        item_id text COLLATE "C" NOT NULL,
        end_time timestamptz NOT NULL,
        played_ms bigint NOT NULL,
        item_length_ms bigint,
        weight double precision,
        device_type text,
        has_screen boolean,
        context_extra text,
        request_text text,
        end_reason text,
        request_id text,
        device_state text,
        activity text,
        source text,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, event_key)
      );
      -- A block-range index: nearly free to keep up on append-mostly plays, and enough to skip most of the
      -- table for a time window (a btree here would cost ingest speed on every row).
      CREATE INDEX plays_end_time ON plays USING brin (end_time);
      CREATE TABLE items (
        item_id text COLLATE "C" PRIMARY KEY,
        title text NOT NULL,
        creators text[] NOT NULL,
        kind text NOT NULL,
        length_ms bigint,
        tags text[] NOT NULL,
        attributes json NOT NULL
      );
      CREATE TABLE requests (
        user_id text COLLATE "C" NOT NULL,
        request_id text COLLATE "C" NOT NULL,
        device_id text,
        time timestamptz NOT NULL,
        text text NOT NULL,
        asr_confidence double precision,
        intent text,
        intent_confidence double precision,
        resolved_item text,
        response_kind text NOT NULL,
        barge_in boolean NOT NULL,
        played_ms bigint,
        rewritten_from text,
        context json,
        source text,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, request_id)
      );
      CREATE INDEX requests_time ON requests USING brin (time);
      CREATE TABLE preferences (
        user_id text COLLATE "C" NOT NULL,
        fact_id text COLLATE "C" NOT NULL,
        created_at timestamptz NOT NULL,
        fact json NOT NULL,
        removed_at timestamptz,
        PRIMARY KEY (user_id, fact_id)
      );
      CREATE TABLE pools (
        name text COLLATE "C" NOT NULL,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        definition json NOT NULL,
        removed_at timestamptz,
        PRIMARY KEY (name, version)
      );
      CREATE TABLE impressions (
        user_id text COLLATE "C" NOT NULL,
        impression_id text COLLATE "C" NOT NULL,
        page_id text COLLATE "C",
        time timestamptz NOT NULL,
        surface text NOT NULL,
        slot integer NOT NULL,
        item_id text NOT NULL,
        title text,
        policy text NOT NULL,
        policy_version text NOT NULL,
        propensity double precision NOT NULL,
        propensity_samples integer,
        context json,
        source text,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, impression_id)
      );
      CREATE INDEX impressions_id ON impressions (impression_id);
      CREATE INDEX impressions_page ON impressions (page_id);
      -- Feedback names only its impression (no user), so it is keyed, and would be distributed, by impression.
      CREATE TABLE impression_feedback (
        impression_id text COLLATE "C" NOT NULL,
        kind text NOT NULL,
        time timestamptz NOT NULL,
        played_ms bigint,
        source text,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (impression_id, kind, time)
      );
      CREATE TABLE bandit_policies (
        name text PRIMARY KEY,
        version integer NOT NULL,
        frozen boolean NOT NULL,
        updated_at timestamptz NOT NULL,
        state json NOT NULL
      );
      CREATE TABLE privacy_ledger (
        user_id text COLLATE "C" PRIMARY KEY,
        spent double precision NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE learned_state (
        name text PRIMARY KEY,
        updated_at timestamptz NOT NULL,
        state json NOT NULL
      );
      CREATE TABLE models (
        version text PRIMARY KEY,
        path text NOT NULL,
        created_at timestamptz NOT NULL,
        config json NOT NULL,
        metrics json NOT NULL,
        is_current boolean NOT NULL DEFAULT false
      );
      -- At most one current model, whatever several trainers do at once.
      CREATE UNIQUE INDEX models_one_current ON models (is_current) WHERE is_current;
      CREATE TABLE ingest_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL,
        sources json NOT NULL,
        preset text NOT NULL,
        accepted bigint NOT NULL,
        rejected bigint NOT NULL,
        duplicates bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    description:
      "model artifacts: each registered version's files, so a replica on another machine can load it",
    sql: `
      CREATE TABLE model_files (
        version text NOT NULL REFERENCES models (version) ON DELETE CASCADE,
        name text NOT NULL,
        bytes bytea NOT NULL,
        PRIMARY KEY (version, name)
      );
    `,
  },
];

export const latestSchemaVersion = migrations[migrations.length - 1].version;
