import type { SyncPg } from './sync-pg.js';
import { StoreError } from '../store-error.js';

/**
 * PostgreSQL schema migrations, applied in order, each in its own transaction with its number
 * recorded in `orchestrate_migrations`. Several hosts may start at once: a transaction-scoped
 * advisory lock makes the others wait and then find the work done. Never edit a shipped
 * migration: add a new one.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    target TEXT NOT NULL,
    workspace TEXT NOT NULL,
    session_dir TEXT NOT NULL,
    status TEXT NOT NULL,
    tier INTEGER NOT NULL,
    roles JSONB NOT NULL,
    config JSONB NOT NULL,
    tokens JSONB NOT NULL DEFAULT '{}',
    last_seq INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    lease_epoch BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    type TEXT NOT NULL,
    agent TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    payload JSONB NOT NULL,
    usage JSONB,
    idem_key TEXT,
    PRIMARY KEY (session_id, seq)
  );
  CREATE INDEX events_by_type ON events(session_id, type);
  CREATE UNIQUE INDEX events_by_key ON events(session_id, idem_key) WHERE idem_key IS NOT NULL;
  CREATE TABLE snapshots (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id),
    machine_version TEXT NOT NULL,
    xstate_version TEXT NOT NULL,
    snapshot JSONB NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE reviews (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    review_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    body JSONB NOT NULL,
    PRIMARY KEY (session_id, review_id, reviewer)
  );
  CREATE TABLE decisions (
    n BIGSERIAL,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    decision_id TEXT NOT NULL,
    review_id TEXT NOT NULL,
    action TEXT NOT NULL,
    body JSONB NOT NULL,
    PRIMARY KEY (session_id, decision_id)
  );
  CREATE TABLE recovery_actions (
    n BIGSERIAL,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    body JSONB NOT NULL,
    PRIMARY KEY (session_id, id)
  );
  `,
  // Remote agent runs (orchestrate worker): one row per run, leased to the worker executing it.
  `
  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    agent TEXT NOT NULL,
    input JSONB NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    epoch BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT,
    stop_requested BOOLEAN NOT NULL DEFAULT false,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX runs_by_session ON runs(session_id);
  `,
  // As in SQLite: the type index holds the orchestrator's own records only.
  `
  DROP INDEX events_by_type;
  CREATE INDEX events_by_type ON events(session_id, type) WHERE agent = 'orchestrate';
  `,
];

const LOCK_KEY = 7_201_311; // any constant shared by every orchestrate: serializes migrations

export function migratePg(pg: SyncPg): number {
  return pg.transaction(() => {
    pg.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    pg.query('CREATE TABLE IF NOT EXISTS orchestrate_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const version = Number(pg.query('SELECT coalesce(max(version), 0) AS v FROM orchestrate_migrations').rows[0]?.v ?? 0);
    if (version > PG_MIGRATIONS.length) {
      throw new StoreError('too_new', `the PostgreSQL store has schema version ${version}, newer than this orchestrate (${PG_MIGRATIONS.length}); upgrade orchestrate`);
    }
    for (let v = version; v < PG_MIGRATIONS.length; v++) {
      pg.query(PG_MIGRATIONS[v] ?? '');
      pg.query('INSERT INTO orchestrate_migrations (version) VALUES ($1)', [v + 1]);
    }
    return PG_MIGRATIONS.length;
  });
}
