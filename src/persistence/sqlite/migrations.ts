/**
 * Schema migrations, applied in order inside one transaction each; `PRAGMA user_version`
 * records how many have run. Never edit a shipped migration: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    target TEXT NOT NULL,
    workspace TEXT NOT NULL,
    session_dir TEXT NOT NULL,
    status TEXT NOT NULL,
    tier INTEGER NOT NULL,
    roles TEXT NOT NULL,
    config TEXT NOT NULL,
    tokens TEXT NOT NULL DEFAULT '{}',
    last_seq INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at INTEGER,
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
    payload TEXT NOT NULL,
    usage TEXT,
    PRIMARY KEY (session_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX events_by_type ON events(session_id, type);
  CREATE TABLE snapshots (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id),
    machine_version TEXT NOT NULL,
    xstate_version TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE reviews (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    review_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session_id, review_id, reviewer)
  );
  CREATE TABLE decisions (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    decision_id TEXT NOT NULL,
    review_id TEXT NOT NULL,
    action TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session_id, decision_id)
  );
  CREATE TABLE recovery_actions (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session_id, id)
  );
  `,
  // Epoch-fenced leases, idempotent appends.
  `
  ALTER TABLE sessions ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE events ADD COLUMN idem_key TEXT;
  CREATE UNIQUE INDEX events_by_key ON events(session_id, idem_key) WHERE idem_key IS NOT NULL;
  `,
  // The type index holds the orchestrator's own records only (what `records` looks up: launches,
  // base trees, transitions). Indexing every agent event by type cost a third of each append
  // (inserts all over the index, one per type, per transaction).
  `
  DROP INDEX events_by_type;
  CREATE INDEX events_by_type ON events(session_id, type) WHERE agent = 'orchestrate';
  `,
];
