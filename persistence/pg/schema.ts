/**
 * The PostgreSQL registry's schema, as numbered migrations. A migration is never edited once
 * released: a change is a new one at the end. Each runs in one transaction with its row in
 * `schema_migrations`; a database whose highest version is above the last one here belongs to a
 * newer buran and is refused (see migrate.ts).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry',
    sql: `
      -- One row per registry user that owns runs: a process (a runner host, or a CLI driving a run).
      -- Its heartbeat, by the database clock, tells the others it is alive.
      CREATE TABLE hosts (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        host_id text NOT NULL,
        pid integer NOT NULL,
        process_start text,
        boot_id text,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        stopped_at timestamptz
      );

      CREATE TABLE runs (
        run_id text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        meta json NOT NULL,
        packet json NOT NULL,
        -- 'direct': driven by the process that recorded it; 'submitted': by whichever runner host claims it.
        origin text NOT NULL DEFAULT 'direct' CHECK (origin IN ('direct', 'submitted')),
        -- The summary \`list\` reads, kept by every snapshot save (and by run transitions until the first).
        state text NOT NULL DEFAULT 'packet_received',
        updated_at text,
        blocker text,
        cost_usd double precision NOT NULL DEFAULT 0,
        quarantined boolean NOT NULL DEFAULT false,
        -- Queue and ownership: set while waiting for a runner host; the session holding the run, and
        -- the epoch every write of that session is fenced by (a takeover moves it on).
        queued_at timestamptz,
        owner_id integer,
        owner_epoch integer NOT NULL DEFAULT 0
      );
      CREATE INDEX runs_queue ON runs (queued_at, run_id) WHERE queued_at IS NOT NULL;
      CREATE INDEX runs_owned ON runs (owner_id) WHERE owner_id IS NOT NULL;
      CREATE INDEX runs_updated ON runs (updated_at DESC NULLS LAST, run_id);

      CREATE TABLE journal (
        run_id text NOT NULL REFERENCES runs (run_id),
        seq integer NOT NULL CHECK (seq >= 1),
        type text NOT NULL,
        entry json NOT NULL,
        PRIMARY KEY (run_id, seq)
      );

      CREATE TABLE snapshots (
        run_id text PRIMARY KEY REFERENCES runs (run_id),
        seq integer NOT NULL,
        envelope json NOT NULL
      );

      -- Effect records (dispatch intent and outcome, verification, setup, handoff), by key.
      CREATE TABLE effects (
        run_id text NOT NULL REFERENCES runs (run_id),
        key text NOT NULL,
        value json NOT NULL,
        written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (run_id, key)
      );

      CREATE TABLE cancel_requests (
        run_id text PRIMARY KEY REFERENCES runs (run_id),
        reason text NOT NULL,
        at text NOT NULL
      );

      CREATE TABLE retry_links (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        from_run text NOT NULL,
        to_run text NOT NULL,
        at text NOT NULL
      );
      CREATE INDEX retry_links_from ON retry_links (from_run, id);

      CREATE TABLE quarantine (
        run_id text PRIMARY KEY REFERENCES runs (run_id),
        at text NOT NULL,
        file text NOT NULL,
        reason text NOT NULL
      );

      -- Live claims only (a release deletes them); changed under one advisory lock, all or nothing.
      CREATE TABLE leases (
        resource text NOT NULL,
        run_id text NOT NULL,
        mode text NOT NULL CHECK (mode IN ('exclusive', 'shared')),
        ord integer NOT NULL,
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (resource, run_id)
      );
      CREATE INDEX leases_run ON leases (run_id);

      CREATE TABLE batches (
        batch_id text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        record json NOT NULL,
        packets json NOT NULL
      );

      CREATE TABLE batch_progress (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        batch_id text NOT NULL REFERENCES batches (batch_id),
        progress json NOT NULL
      );
      CREATE INDEX batch_progress_batch ON batch_progress (batch_id, id);
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_LATEST = MIGRATIONS[MIGRATIONS.length - 1]!.version;
