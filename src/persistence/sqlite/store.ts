import type { OrchestratorDecision, PeerReview, RecoveryAction, SessionStatus } from '../../protocol/index.js';
import { ORCHESTRATOR_AGENT, type Lease, type LogEntry, type LogEntryInput, type SessionRecord, type Store, type StoredSnapshot } from '../types.js';
import { Fences } from '../fence.js';
import { committed, LaterAppends } from './appends-later.js';
import { Checkpointer } from './checkpointer.js';
import { openDb, type Db } from './db.js';

interface SessionRow {
  id: string;
  task: string;
  target: string;
  workspace: string;
  session_dir: string;
  status: string;
  tier: number;
  roles: string;
  config: string;
  tokens: string;
  created_at: string;
  updated_at: string;
}

interface EventRow {
  session_id: string;
  seq: number;
  ts: string;
  type: string;
  agent: string;
  worker_id: string;
  attempt: number;
  payload: string;
  usage: string | null;
  idem_key: string | null;
}

const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  task: r.task,
  target: r.target,
  workspace: r.workspace,
  sessionDir: r.session_dir,
  status: r.status as SessionStatus,
  tier: r.tier,
  roles: JSON.parse(r.roles) as Record<string, string>,
  config: JSON.parse(r.config) as unknown,
  tokens: JSON.parse(r.tokens) as SessionRecord['tokens'],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toEntry = (r: EventRow): LogEntry => ({
  sessionId: r.session_id,
  seq: r.seq,
  timestamp: r.ts,
  type: r.type,
  agent: r.agent,
  workerId: r.worker_id,
  attempt: r.attempt,
  payload: JSON.parse(r.payload) as LogEntry['payload'],
  ...(r.usage ? { usage: JSON.parse(r.usage) as NonNullable<LogEntry['usage']> } : {}),
  ...(r.idem_key ? { key: r.idem_key } : {}),
});

/** The events columns an INSERT names (see `insert`), one parameter each. */
const COLUMNS = 10;
const ROW = `(${Array(COLUMNS).fill('?').join(', ')})`;
/**
 * Rows per INSERT statement when a batch is long: one statement step per row was a sixth of each
 * append (a chatty agent's turn commits dozens of entries).
 */
const ROWS_PER_INSERT = 16;

/** The partial type index's condition, as a literal: SQLite uses a partial index only for a query whose WHERE repeats it. */
const OWN = `agent = '${ORCHESTRATOR_AGENT}'`;

/** The embedded store: one SQLite file (WAL) for every session. */
export class SqliteStore implements Store {
  private readonly db: Db;
  private readonly insertEvent;
  private readonly insertEvents;
  private readonly bumpSeq;
  private readonly getSeq;
  private readonly byKey;
  /** Made once: better-sqlite3 builds a wrapper (and its BEGIN/COMMIT variants) per transaction() call. */
  private readonly appendTx;
  private readonly fences = new Fences();
  /** Started with the first append: a store that only reads never needs the thread. */
  private checkpointer: Checkpointer | undefined;
  private readonly later: LaterAppends;

  constructor(
    readonly path: string,
    options: { readonly?: boolean } = {},
  ) {
    this.db = openDb(path, options);
    const insert = (rows: number): string => `INSERT INTO events (session_id, seq, ts, type, agent, worker_id, attempt, payload, usage, idem_key) VALUES ${Array(rows).fill(ROW).join(', ')}`;
    this.insertEvent = this.db.prepare(insert(1));
    this.insertEvents = this.db.prepare(insert(ROWS_PER_INSERT));
    this.bumpSeq = this.db.prepare('UPDATE sessions SET last_seq = ? WHERE id = ?');
    this.getSeq = this.db.prepare<[string], { last_seq: number; lease_epoch: number }>('SELECT last_seq, lease_epoch FROM sessions WHERE id = ?');
    this.byKey = this.db.prepare<[string, string], EventRow>('SELECT * FROM events WHERE session_id = ? AND idem_key = ?');
    this.appendTx = this.db.transaction((batch: readonly LogEntryInput[]) => this.appendBatch(batch));
    this.later = new LaterAppends(path, this.fences, (id) => this.lastSeq(id), (entries) => this.append(entries));
  }

  close(): void {
    this.later.close();
    this.checkpointer?.stop();
    this.db.close();
  }

  /** The seq is read and written inside the transaction, so two writers could never hand out the same number. */
  append(entries: readonly LogEntryInput[]): LogEntry[] {
    // IMMEDIATE: take the write lock before reading last_seq, so a second process sharing the
    // file waits (busy_timeout) instead of failing on a lock upgrade.
    if (!this.db.readonly) this.checkpointer ??= new Checkpointer(this.db, this.path);
    return this.appendTx.immediate(entries);
  }

  /**
   * Commits on the store's writer thread (sqlite/appends-later.ts) when every entry can go there:
   * otherwise, or once the thread has failed, false, and the caller appends synchronously.
   */
  appendLater(entries: readonly LogEntryInput[], landed: (result: LogEntry[] | Error) => void): boolean {
    if (this.db.readonly || !this.later.takes(entries)) return false;
    this.checkpointer ??= new Checkpointer(this.db, this.path);
    this.later.append(entries, landed);
    return true;
  }

  /** Blocks until every appendLater batch has landed. */
  drainAppends(): void {
    this.later.drain();
  }

  private appendBatch(batch: readonly LogEntryInput[]): LogEntry[] {
    const next = new Map<string, number>();
    const out: LogEntry[] = [];
    /** The parameters of rows not inserted yet (fewer than ROWS_PER_INSERT rows). */
    let rows: unknown[] = [];
    const insertRows = (): void => {
      for (let at = 0; at < rows.length; at += COLUMNS) this.insertEvent.run(rows.slice(at, at + COLUMNS));
      rows = [];
    };
    for (const e of batch) {
      let seq = next.get(e.sessionId);
      if (seq === undefined) {
        const row = this.getSeq.get(e.sessionId);
        if (!row) throw new Error(`unknown session ${e.sessionId}`);
        this.fences.check(e.sessionId, row.lease_epoch);
        seq = row.last_seq;
      }
      // Already appended (a retry): hand back the stored entry, add nothing. The rows before it
      // go in first: one of them may carry the same key.
      if (e.key !== undefined) insertRows();
      const existing = e.key === undefined ? undefined : this.byKey.get(e.sessionId, e.key);
      if (existing) {
        out.push(toEntry(existing));
        next.set(e.sessionId, seq);
        continue;
      }
      seq += 1;
      next.set(e.sessionId, seq);
      rows.push(e.sessionId, seq, e.timestamp, e.type, e.agent, e.workerId, e.attempt, JSON.stringify(e.payload), e.usage ? JSON.stringify(e.usage) : null, e.key ?? null);
      if (rows.length === ROWS_PER_INSERT * COLUMNS) {
        this.insertEvents.run(rows);
        rows = [];
      }
      if (e.withinCommit) {
        // Its rows (a decision, reviews) follow the entry's, as they always did.
        insertRows();
        e.withinCommit();
      }
      out.push(committed(e, seq));
    }
    insertRows();
    for (const [id, seq] of next) this.bumpSeq.run(seq, id);
    return out;
  }

  read(sessionId: string, options: { afterSeq?: number; limit?: number } = {}): LogEntry[] {
    const rows = this.db
      .prepare<[string, number, number], EventRow>('SELECT * FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(sessionId, options.afterSeq ?? 0, options.limit ?? -1);
    return rows.map(toEntry);
  }

  /**
   * The CLI conversation a worker run had started, to continue it after a restart. A CLI names
   * its conversation in its first lines, so it is looked for after each recorded launch of the
   * run (`process.spawned`, found by the type index), newest first, rather than by scanning the
   * whole log backwards (0.9 s for a run with 1M events, on every resume). Logs without launch
   * records are scanned as before.
   */
  agentSessionIdOf(sessionId: string, workerId: string, attempt: number, agent: string): string | undefined {
    const launches = this.db
      .prepare<[string, string, number, string], { seq: number }>(
        `SELECT seq FROM events INDEXED BY events_by_type WHERE session_id = ? AND type = 'process.spawned' AND ${OWN} AND json_extract(payload, '$.workerId') = ? AND json_extract(payload, '$.attempt') = ? AND json_extract(payload, '$.agent') = ? ORDER BY seq DESC`,
      )
      .all(sessionId, workerId, attempt, agent);
    const after = this.db.prepare<[string, number, string, number, string], { id: string | null }>(
      "SELECT json_extract(payload, '$.agentSessionId') AS id FROM events WHERE session_id = ? AND seq > ? AND worker_id = ? AND attempt = ? AND agent = ? AND json_extract(payload, '$.agentSessionId') IS NOT NULL ORDER BY seq LIMIT 1",
    );
    for (const { seq } of launches) {
      const id = after.get(sessionId, seq, workerId, attempt, agent)?.id;
      if (id) return id;
    }
    if (launches.length > 0) return undefined;
    const row = this.db
      .prepare<[string, string, number, string], { id: string | null }>(
        "SELECT json_extract(payload, '$.agentSessionId') AS id FROM events WHERE session_id = ? AND worker_id = ? AND attempt = ? AND agent = ? AND json_extract(payload, '$.agentSessionId') IS NOT NULL ORDER BY seq DESC LIMIT 1",
      )
      .get(sessionId, workerId, attempt, agent);
    return row?.id ?? undefined;
  }

  /** By the type index: without INDEXED BY, SQLite walks the primary key for the ORDER BY (0.2 s per call at 1M events). */
  records(sessionId: string, type: string): LogEntry[] {
    return this.db
      .prepare<[string, string], EventRow>(`SELECT * FROM events INDEXED BY events_by_type WHERE session_id = ? AND type = ? AND ${OWN} ORDER BY seq`)
      .all(sessionId, type)
      .map(toEntry);
  }

  lastSeq(sessionId: string): number {
    return this.getSeq.get(sessionId)?.last_seq ?? 0;
  }

  create(r: SessionRecord): void {
    this.db
      .prepare(
        'INSERT INTO sessions (id, task, target, workspace, session_dir, status, tier, roles, config, tokens, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(r.id, r.task, r.target, r.workspace, r.sessionDir, r.status, r.tier, JSON.stringify(r.roles), JSON.stringify(r.config), JSON.stringify(r.tokens), r.createdAt, r.updatedAt);
  }

  get(id: string): SessionRecord | undefined {
    const row = this.db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?').get(id);
    return row ? toSession(row) : undefined;
  }

  list(): SessionRecord[] {
    return this.db.prepare<[], SessionRow>('SELECT * FROM sessions ORDER BY created_at DESC').all().map(toSession);
  }

  update(id: string, patch: Partial<Pick<SessionRecord, 'status' | 'tier' | 'tokens' | 'updatedAt'>>): void {
    this.fenced(id, () => {
      const current = this.get(id);
      if (!current) throw new Error(`unknown session ${id}`);
      const next = { ...current, ...patch };
      this.db
        .prepare('UPDATE sessions SET status = ?, tier = ?, tokens = ?, updated_at = ? WHERE id = ?')
        .run(next.status, next.tier, JSON.stringify(next.tokens), next.updatedAt, id);
    });
  }

  /** Runs a write of a session in one transaction that first checks this store's lease epoch for it. */
  private fenced<T>(sessionId: string, write: () => T): T {
    return this.db.transaction(() => {
      if (this.fences.epochOf(sessionId) !== undefined) {
        this.fences.check(sessionId, this.getSeq.get(sessionId)?.lease_epoch ?? -1);
      }
      return write();
    }).immediate();
  }

  saveSnapshot(s: StoredSnapshot): void {
    this.fenced(s.sessionId, () => this.db
      .prepare(
        `INSERT INTO snapshots (session_id, machine_version, xstate_version, snapshot, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(session_id) DO UPDATE SET machine_version = excluded.machine_version, xstate_version = excluded.xstate_version,
         snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
      )
      .run(s.sessionId, s.machineVersion, s.xstateVersion, JSON.stringify(s.snapshot), s.updatedAt));
  }

  loadSnapshot(sessionId: string): StoredSnapshot | undefined {
    const row = this.db
      .prepare<[string], { machine_version: string; xstate_version: string; snapshot: string; updated_at: string }>('SELECT * FROM snapshots WHERE session_id = ?')
      .get(sessionId);
    if (!row) return undefined;
    return { sessionId, machineVersion: row.machine_version, xstateVersion: row.xstate_version, snapshot: JSON.parse(row.snapshot) as unknown, updatedAt: row.updated_at };
  }

  saveReview(sessionId: string, review: PeerReview): void {
    this.fenced(sessionId, () =>
      this.db.prepare('INSERT OR REPLACE INTO reviews (session_id, review_id, reviewer, body) VALUES (?, ?, ?, ?)').run(sessionId, review.reviewId, review.reviewer, JSON.stringify(review)),
    );
  }

  /** A decision is recorded once: a second save of the same id is ignored (returns false). */
  saveDecision(sessionId: string, d: OrchestratorDecision): boolean {
    return this.fenced(
      sessionId,
      () =>
        this.db.prepare('INSERT OR IGNORE INTO decisions (session_id, decision_id, review_id, action, body) VALUES (?, ?, ?, ?, ?)').run(sessionId, d.decisionId, d.reviewId, d.action, JSON.stringify(d))
          .changes === 1,
    );
  }

  saveRecovery(sessionId: string, a: RecoveryAction): void {
    this.fenced(sessionId, () =>
      this.db
        .prepare('INSERT OR REPLACE INTO recovery_actions (session_id, id, worker_id, kind, outcome, body) VALUES (?, ?, ?, ?, ?, ?)')
        .run(sessionId, a.id, a.workerId, a.kind, a.outcome, JSON.stringify(a)),
    );
  }

  reviews(sessionId: string): PeerReview[] {
    return this.bodies<PeerReview>('SELECT body FROM reviews WHERE session_id = ? ORDER BY review_id, reviewer', sessionId);
  }

  decisions(sessionId: string): OrchestratorDecision[] {
    return this.bodies<OrchestratorDecision>('SELECT body FROM decisions WHERE session_id = ? ORDER BY rowid', sessionId);
  }

  recoveries(sessionId: string): RecoveryAction[] {
    return this.bodies<RecoveryAction>('SELECT body FROM recovery_actions WHERE session_id = ? ORDER BY rowid', sessionId);
  }

  acquireLease(sessionId: string, owner: string, ttlMs: number, now: number): { ok: true; epoch: number } | { ok: false; holder: Lease } {
    const result = this.db.transaction(() => {
      const row = this.db
        .prepare<[string], { lease_owner: string | null; lease_expires_at: number | null; lease_epoch: number }>('SELECT lease_owner, lease_expires_at, lease_epoch FROM sessions WHERE id = ?')
        .get(sessionId);
      if (!row) throw new Error(`unknown session ${sessionId}`);
      if (row.lease_owner && row.lease_owner !== owner && (row.lease_expires_at ?? 0) > now) {
        return { ok: false as const, holder: { sessionId, owner: row.lease_owner, expiresAt: row.lease_expires_at ?? 0, epoch: row.lease_epoch } };
      }
      this.db.prepare('UPDATE sessions SET lease_owner = ?, lease_expires_at = ?, lease_epoch = ? WHERE id = ?').run(owner, now + ttlMs, row.lease_epoch + 1, sessionId);
      return { ok: true as const, epoch: row.lease_epoch + 1 };
    }).immediate();
    if (result.ok) this.fences.hold(sessionId, result.epoch);
    return result;
  }

  takeOverLease(sessionId: string, from: string, to: string, ttlMs: number, now: number): boolean {
    const row = this.db
      .prepare<[string, number, string, string], { lease_epoch: number }>('UPDATE sessions SET lease_owner = ?, lease_expires_at = ?, lease_epoch = lease_epoch + 1 WHERE id = ? AND lease_owner = ? RETURNING lease_epoch')
      .get(to, now + ttlMs, sessionId, from);
    if (row) this.fences.hold(sessionId, row.lease_epoch);
    return row !== undefined;
  }

  /** Renews only under the epoch this store took: a lease taken over meanwhile is not renewed back. */
  renewLease(sessionId: string, owner: string, ttlMs: number, now: number): boolean {
    const epoch = this.fences.epochOf(sessionId) ?? -1;
    return this.db.prepare('UPDATE sessions SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND (lease_epoch = ? OR ? = -1)').run(now + ttlMs, sessionId, owner, epoch, epoch).changes === 1;
  }

  releaseLease(sessionId: string, owner: string): void {
    const epoch = this.fences.epochOf(sessionId) ?? -1;
    this.fences.drop(sessionId);
    this.db.prepare('UPDATE sessions SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ? AND (lease_epoch = ? OR ? = -1)').run(sessionId, owner, epoch, epoch);
  }

  private bodies<T>(sql: string, sessionId: string): T[] {
    return this.db
      .prepare<[string], { body: string }>(sql)
      .all(sessionId)
      .map((r) => JSON.parse(r.body) as T);
  }
}
