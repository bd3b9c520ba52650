import { StoreError } from '../store-error.js';
import type { LogEntry, LogEntryInput } from '../types.js';
import { decodeJson, jsonb } from './jsonb-text.js';
import { leaseCallTimeoutMs } from './leases.js';
import type { Row, SyncPg } from './sync-pg.js';

export type RunState = 'queued' | 'running' | 'done';

export interface RunRecord {
  runId: string;
  sessionId: string;
  agent: string;
  /** The launch, as the session's orchestrator built it (validated by the worker). */
  input: unknown;
  state: RunState;
  owner: string | undefined;
  epoch: number;
  expiresAt: number | undefined;
  stopRequested: boolean;
}

const toRun = (r: Row): RunRecord => ({
  runId: String(r.run_id),
  sessionId: String(r.session_id),
  agent: String(r.agent),
  input: decodeJson(r.input),
  state: String(r.state) as RunState,
  owner: typeof r.owner === 'string' ? r.owner : undefined,
  epoch: Number(r.epoch),
  expiresAt: r.expires_at === null || r.expires_at === undefined ? undefined : Number(r.expires_at),
  stopRequested: r.stop_requested === true,
});

/**
 * Agent runs executed by `orchestrate worker` processes. The queue (pg-boss) delivers a run id;
 * the row says who executes it under which epoch, until when. A worker claims a run that is
 * queued or whose lease expired (its worker died or was paused), bumping the epoch; every event
 * it writes is checked against that epoch in the append's transaction, so a paused worker that
 * wakes up after another took the run over cannot add a single event.
 */
export class RunTable {
  constructor(
    private readonly pg: SyncPg,
    private readonly append: (entries: readonly LogEntryInput[]) => LogEntry[],
    /** A write on behalf of a session, checked against the session lease this store holds. */
    private readonly sessionWrite: (sessionId: string, sql: string, params: unknown[]) => number,
  ) {}

  /** Creates the run (queued) unless it exists; returns the row. Only the session's lease holder may. */
  ensure(run: { runId: string; sessionId: string; agent: string; input: unknown }, now: string): RunRecord {
    this.sessionWrite(
      run.sessionId,
      "INSERT INTO runs (run_id, session_id, agent, input, state, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', $5, $5) ON CONFLICT (run_id) DO NOTHING",
      [run.runId, run.sessionId, run.agent, jsonb(run.input), now],
    );
    const row = this.get(run.runId);
    if (!row) throw new Error(`run ${run.runId} vanished`);
    return row;
  }

  get(runId: string): RunRecord | undefined {
    const row = this.pg.query('SELECT * FROM runs WHERE run_id = $1', [runId]).rows[0];
    return row ? toRun(row) : undefined;
  }

  /** A run of this launch not finished yet (and not being stopped): what a restored session follows again. */
  unfinished(sessionId: string, workerId: string, attempt: number, agent: string): RunRecord | undefined {
    const row = this.pg.query(
      `SELECT * FROM runs WHERE session_id = $1 AND agent = $4 AND input->>'workerId' = $2 AND (input->>'attempt')::int = $3
       AND state <> 'done' AND NOT stop_requested ORDER BY created_at DESC LIMIT 1`,
      [sessionId, workerId, attempt, agent],
    ).rows[0];
    return row ? toRun(row) : undefined;
  }

  ofSession(sessionId: string): RunRecord[] {
    return this.pg.query('SELECT * FROM runs WHERE session_id = $1 ORDER BY created_at, run_id', [sessionId]).rows.map(toRun);
  }

  /** Takes a queued run, or one whose worker stopped renewing; its new epoch, or undefined. */
  claim(runId: string, owner: string, ttlMs: number, now: number): number | undefined {
    const row = this.pg.query(
      `UPDATE runs SET state = 'running', owner = $2, epoch = epoch + 1, expires_at = $3, updated_at = $5
       WHERE run_id = $1 AND NOT stop_requested AND (state = 'queued' OR (state = 'running' AND expires_at <= $4)) RETURNING epoch`,
      [runId, owner, now + ttlMs, now, new Date(now).toISOString()],
    ).rows[0];
    return row ? Number(row.epoch) : undefined;
  }

  /** Extends the lease if this epoch still holds it; also says whether a stop was asked for. */
  renew(runId: string, epoch: number, ttlMs: number, now: number): { held: boolean; stopRequested: boolean } {
    const row = this.pg.query("UPDATE runs SET expires_at = $3 WHERE run_id = $1 AND epoch = $2 AND state = 'running' RETURNING stop_requested", [runId, epoch, now + ttlMs], {
      timeoutMs: leaseCallTimeoutMs(ttlMs),
    }).rows[0];
    return { held: row !== undefined, stopRequested: row?.stop_requested === true };
  }

  finish(runId: string, epoch: number): boolean {
    return this.pg.query("UPDATE runs SET state = 'done', expires_at = NULL, updated_at = $3 WHERE run_id = $1 AND epoch = $2", [runId, epoch, new Date().toISOString()]).rowCount === 1;
  }

  /** Gives the run up at once (a worker shutting down): the session queues it again. */
  release(runId: string, epoch: number): void {
    this.pg.query("UPDATE runs SET expires_at = 0 WHERE run_id = $1 AND epoch = $2 AND state = 'running'", [runId, epoch]);
  }

  /** Asks the run's worker to stop the agent; only the session's lease holder may (not a zombie). */
  requestStop(sessionId: string, runId: string): void {
    this.sessionWrite(sessionId, 'UPDATE runs SET stop_requested = true WHERE run_id = $1', [runId]);
  }

  /** Appends the run's entries only while `epoch` still holds the run (same transaction). */
  appendFenced(runId: string, epoch: number, entries: readonly LogEntryInput[]): LogEntry[] {
    return this.pg.transaction(() => {
      const row = this.pg.query('SELECT epoch, state FROM runs WHERE run_id = $1 FOR SHARE', [runId]).rows[0];
      if (!row || Number(row.epoch) !== epoch) {
        throw new StoreError('fenced', `run ${runId} was taken over (epoch ${row ? String(row.epoch) : 'none'}, this worker held ${epoch}); events refused`);
      }
      return this.append(entries);
    });
  }
}
