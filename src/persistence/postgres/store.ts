import type { OrchestratorDecision, PeerReview, RecoveryAction } from '../../protocol/index.js';
import { Fences } from '../fence.js';
import { ORCHESTRATOR_AGENT, type Lease, type LogEntry, type LogEntryInput, type SessionRecord, type Store, type StoredSnapshot } from '../types.js';
import { acquireLease, releaseLease, renewLease, takeOverLease } from './leases.js';
import { migratePg } from './migrations.js';
import { AppendWatcher } from './notify.js';
import { RunTable } from './runs.js';
import { entryRow, EVENT_COLUMNS, toEntry, toSession } from './rows.js';
import { decodeJson, decodeText, jsonb } from './jsonb-text.js';
import { SyncPg, type BlockedCall } from './sync-pg.js';

/** The channel each committed append notifies (payload: the session id), on commit only. */
export const APPEND_CHANNEL = 'orchestrate_events';

/** The URL as it may be shown: without its password. */
export const redactUrl = (url: string): string => url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/, '$1:***@');

/**
 * The shared store for several hosts: the same synchronous interfaces as SqliteStore, on one
 * PostgreSQL connection (SyncPg). Appends lock the sessions' rows, so seq is 1..N per session
 * across every host; writes of a session whose lease this store holds are epoch-fenced.
 */
export class PgStore implements Store {
  readonly path: string;
  private readonly pg: SyncPg;
  private readonly fences = new Fences();
  private watcher: AppendWatcher | undefined;
  /** Remote agent runs (`orchestrate worker`), on the same connection. */
  readonly runs: RunTable;

  /** `timeoutMs` bounds every call, and so how long this process's event loop can stand still on one. */
  constructor(
    readonly url: string,
    options: { timeoutMs?: number } = {},
  ) {
    this.path = redactUrl(url);
    this.pg = new SyncPg(url, options.timeoutMs);
    this.runs = new RunTable(
      this.pg,
      (entries) => this.append(entries),
      (sessionId, sql, params) => this.fenced(sessionId, sql, params),
    );
    try {
      migratePg(this.pg);
    } catch (error) {
      this.pg.close();
      throw error;
    }
  }

  close(): void {
    this.watcher?.close();
    this.pg.close();
  }

  onBlocked(listener: (call: BlockedCall) => void): () => void {
    this.pg.onBlocked = listener;
    return () => {
      if (this.pg.onBlocked === listener) this.pg.onBlocked = undefined;
    };
  }

  onAppended(listener: (sessionId: string) => void): () => void {
    this.watcher ??= new AppendWatcher(this.url, APPEND_CHANNEL);
    return this.watcher.add(listener);
  }

  append(entries: readonly LogEntryInput[]): LogEntry[] {
    if (entries.length === 0) return [];
    return this.pg.transaction(() => {
      const ids = [...new Set(entries.map((e) => e.sessionId))].sort();
      // Row locks in id order (no deadlock between hosts); held until commit, so seq has no gap.
      const next = new Map<string, number>();
      for (const r of this.pg.query('SELECT id, last_seq, lease_epoch FROM sessions WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [ids]).rows) {
        this.fences.check(String(r.id), Number(r.lease_epoch));
        next.set(String(r.id), Number(r.last_seq));
      }
      const unknown = ids.find((id) => !next.has(id));
      if (unknown !== undefined) throw new Error(`unknown session ${unknown}`);
      const known = this.keyed(entries);
      const out: LogEntry[] = [];
      const fresh: LogEntry[] = [];
      for (const e of entries) {
        const k = e.key === undefined ? undefined : `${e.sessionId}\u0000${e.key}`;
        const stored = k === undefined ? undefined : known.get(k);
        if (stored) {
          out.push(stored);
          continue;
        }
        const seq = (next.get(e.sessionId) ?? 0) + 1;
        next.set(e.sessionId, seq);
        e.withinCommit?.();
        const { withinCommit: _side, ...rest } = e;
        const entry: LogEntry = { ...rest, seq };
        out.push(entry);
        fresh.push(entry);
        if (k !== undefined) known.set(k, entry);
      }
      if (fresh.length > 0) {
        this.pg.query(`INSERT INTO events SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${EVENT_COLUMNS})`, [JSON.stringify(fresh.map(entryRow))]);
        const touched = [...new Set(fresh.map((e) => e.sessionId))];
        this.pg.query(
          `WITH v AS (SELECT * FROM unnest($1::text[], $2::int[]) AS v(id, seq)),
           u AS (UPDATE sessions s SET last_seq = v.seq FROM v WHERE s.id = v.id RETURNING s.id)
           SELECT pg_notify('${APPEND_CHANNEL}', id) FROM u`,
          [touched, touched.map((id) => next.get(id) ?? 0)],
        );
      }
      return out;
    });
  }

  /** The entries already stored under the keys this batch carries. */
  private keyed(entries: readonly LogEntryInput[]): Map<string, LogEntry> {
    const found = new Map<string, LogEntry>();
    const withKey = entries.filter((e) => e.key !== undefined);
    if (withKey.length === 0) return found;
    const rows = this.pg.query('SELECT e.* FROM events e JOIN unnest($1::text[], $2::text[]) AS k(s, key) ON e.session_id = k.s AND e.idem_key = k.key', [
      withKey.map((e) => e.sessionId),
      withKey.map((e) => e.key),
    ]).rows;
    for (const r of rows) found.set(`${String(r.session_id)}\u0000${String(r.idem_key)}`, toEntry(r));
    return found;
  }

  read(sessionId: string, options: { afterSeq?: number; limit?: number } = {}): LogEntry[] {
    return this.pg
      .query('SELECT * FROM events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [sessionId, options.afterSeq ?? 0, options.limit ?? null])
      .rows.map(toEntry);
  }

  agentSessionIdOf(sessionId: string, workerId: string, attempt: number, agent: string): string | undefined {
    const row = this.pg.query(
      `SELECT payload->>'agentSessionId' AS id FROM events WHERE session_id = $1 AND worker_id = $2 AND attempt = $3 AND agent = $4
       AND payload->>'agentSessionId' IS NOT NULL ORDER BY seq DESC LIMIT 1`,
      [sessionId, workerId, attempt, agent],
    ).rows[0];
    return typeof row?.id === 'string' ? decodeText(row.id) : undefined;
  }

  records(sessionId: string, type: string): LogEntry[] {
    return this.pg.query(`SELECT * FROM events WHERE session_id = $1 AND type = $2 AND agent = '${ORCHESTRATOR_AGENT}' ORDER BY seq`, [sessionId, type]).rows.map(toEntry);
  }

  lastSeq(sessionId: string): number {
    return Number(this.pg.query('SELECT last_seq FROM sessions WHERE id = $1', [sessionId]).rows[0]?.last_seq ?? 0);
  }

  create(r: SessionRecord): void {
    this.pg.query(
      'INSERT INTO sessions (id, task, target, workspace, session_dir, status, tier, roles, config, tokens, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      [r.id, r.task, r.target, r.workspace, r.sessionDir, r.status, r.tier, jsonb(r.roles), jsonb(r.config), jsonb(r.tokens), r.createdAt, r.updatedAt],
    );
  }

  get(id: string): SessionRecord | undefined {
    const row = this.pg.query('SELECT * FROM sessions WHERE id = $1', [id]).rows[0];
    return row ? toSession(row) : undefined;
  }

  list(): SessionRecord[] {
    return this.pg.query('SELECT * FROM sessions ORDER BY created_at DESC').rows.map(toSession);
  }

  update(id: string, patch: Partial<Pick<SessionRecord, 'status' | 'tier' | 'tokens' | 'updatedAt'>>): void {
    const changed = this.fenced(id, 'UPDATE sessions SET status = coalesce($2, status), tier = coalesce($3, tier), tokens = coalesce($4::jsonb, tokens), updated_at = coalesce($5, updated_at) WHERE id = $1', [
      id,
      patch.status ?? null,
      patch.tier ?? null,
      patch.tokens ? jsonb(patch.tokens) : null,
      patch.updatedAt ?? null,
    ]);
    if (changed === 0) throw new Error(`unknown session ${id}`);
  }

  saveSnapshot(s: StoredSnapshot): void {
    this.fenced(
      s.sessionId,
      `INSERT INTO snapshots (session_id, machine_version, xstate_version, snapshot, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (session_id) DO UPDATE SET machine_version = excluded.machine_version, xstate_version = excluded.xstate_version,
       snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
      [s.sessionId, s.machineVersion, s.xstateVersion, jsonb(s.snapshot), s.updatedAt],
    );
  }

  loadSnapshot(sessionId: string): StoredSnapshot | undefined {
    const row = this.pg.query('SELECT * FROM snapshots WHERE session_id = $1', [sessionId]).rows[0];
    if (!row) return undefined;
    return { sessionId, machineVersion: String(row.machine_version), xstateVersion: String(row.xstate_version), snapshot: decodeJson(row.snapshot), updatedAt: String(row.updated_at) };
  }

  saveReview(sessionId: string, review: PeerReview): void {
    this.fenced(sessionId, 'INSERT INTO reviews (session_id, review_id, reviewer, body) VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, review_id, reviewer) DO UPDATE SET body = excluded.body', [
      sessionId,
      review.reviewId,
      review.reviewer,
      jsonb(review),
    ]);
  }

  /** A decision is recorded once: a second save of the same id is ignored (returns false). */
  saveDecision(sessionId: string, d: OrchestratorDecision): boolean {
    const sql = 'INSERT INTO decisions (session_id, decision_id, review_id, action, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING';
    return this.fenced(sessionId, sql, [sessionId, d.decisionId, d.reviewId, d.action, jsonb(d)]) === 1;
  }

  saveRecovery(sessionId: string, a: RecoveryAction): void {
    this.fenced(
      sessionId,
      'INSERT INTO recovery_actions (session_id, id, worker_id, kind, outcome, body) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, id) DO UPDATE SET worker_id = excluded.worker_id, kind = excluded.kind, outcome = excluded.outcome, body = excluded.body',
      [sessionId, a.id, a.workerId, a.kind, a.outcome, jsonb(a)],
    );
  }

  reviews(sessionId: string): PeerReview[] {
    return this.bodies<PeerReview>('SELECT body FROM reviews WHERE session_id = $1 ORDER BY review_id, reviewer', sessionId);
  }

  decisions(sessionId: string): OrchestratorDecision[] {
    return this.bodies<OrchestratorDecision>('SELECT body FROM decisions WHERE session_id = $1 ORDER BY n', sessionId);
  }

  recoveries(sessionId: string): RecoveryAction[] {
    return this.bodies<RecoveryAction>('SELECT body FROM recovery_actions WHERE session_id = $1 ORDER BY n', sessionId);
  }

  acquireLease(sessionId: string, owner: string, ttlMs: number, now: number): { ok: true; epoch: number } | { ok: false; holder: Lease } {
    return acquireLease(this.pg, this.fences, sessionId, owner, ttlMs, now);
  }

  takeOverLease(sessionId: string, from: string, to: string, ttlMs: number, now: number): boolean {
    return takeOverLease(this.pg, this.fences, sessionId, from, to, ttlMs, now);
  }

  renewLease(sessionId: string, owner: string, ttlMs: number, now: number): boolean {
    return renewLease(this.pg, this.fences, sessionId, owner, ttlMs, now);
  }

  releaseLease(sessionId: string, owner: string): void {
    releaseLease(this.pg, this.fences, sessionId, owner);
  }

  /**
   * One write of a session; when this store holds its lease, in a transaction that first
   * share-locks the session row and checks the epoch (a takeover waits for the write, or the
   * write sees the takeover and is refused). Returns the rows changed.
   */
  private fenced(sessionId: string, sql: string, params: unknown[]): number {
    if (this.fences.epochOf(sessionId) === undefined) return this.pg.query(sql, params).rowCount;
    return this.pg.transaction(() => {
      const row = this.pg.query('SELECT lease_epoch FROM sessions WHERE id = $1 FOR SHARE', [sessionId]).rows[0];
      this.fences.check(sessionId, row ? Number(row.lease_epoch) : -1);
      return this.pg.query(sql, params).rowCount;
    });
  }

  private bodies<T>(sql: string, sessionId: string): T[] {
    return this.pg.query(sql, [sessionId]).rows.map((r) => decodeJson(r.body) as T);
  }
}
