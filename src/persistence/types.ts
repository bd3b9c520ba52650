import type { OrchestratorDecision, PeerReview, RecoveryAction, SessionStatus, Usage } from '../protocol/index.js';

/**
 * One row of a session's log. Agent events keep their AgentEvent shape (`type` is one of the
 * eight); the orchestrator's own records use `agent: "orchestrate"`, `workerId: "session"`,
 * `attempt: 0` and a dot-namespaced `type` (`session.state`, `review.decided`, ...).
 */
/**
 * The agent of the orchestrator's own records (states, launches, reviews, controls). The type
 * index holds only these (the migrations spell it out: their text never changes).
 */
export const ORCHESTRATOR_AGENT = 'orchestrate';

export interface LogEntryInput {
  sessionId: string;
  type: string;
  agent: string;
  workerId: string;
  attempt: number;
  timestamp: string;
  payload: Record<string, unknown> & { text: string };
  usage?: Usage | undefined;
  /**
   * Idempotency key (stored): appending an entry whose key the session already has adds
   * nothing and returns the stored entry, with its seq. A retried append (its commit
   * acknowledgement was lost, or a job was delivered twice) therefore never duplicates.
   */
  key?: string | undefined;
  /**
   * Runs inside the transaction that appends this entry (not stored): table rows that must
   * exist exactly when the entry exists (a decision, a review) are written here.
   */
  withinCommit?: (() => void) | undefined;
}

export interface LogEntry extends Omit<LogEntryInput, 'withinCommit'> {
  seq: number;
}

/** Append-only, per-session sequence 1..N without gaps. */
export interface EventLog {
  /**
   * Appends in one transaction, in order; returns the entries with their seq. A session whose
   * lease this store holds is fenced: if another owner took the lease since (a newer epoch),
   * the whole batch is refused with a `StoreError` of kind `fenced`.
   */
  append(entries: readonly LogEntryInput[]): LogEntry[];
  /**
   * Optional: commits the batch off this thread, as `append` would, and calls `landed` with the
   * entries and their seqs (or the error) later. False when the batch must go through `append`.
   * Batches land in the order they were handed over.
   */
  appendLater?(entries: readonly LogEntryInput[], landed: (result: LogEntry[] | Error) => void): boolean;
  /** Blocks until every appendLater batch has landed (their `landed` run before it returns). */
  drainAppends?(): void;
  read(sessionId: string, options?: { afterSeq?: number; limit?: number }): LogEntry[];
  lastSeq(sessionId: string): number;
  /**
   * The orchestrator's own entries (agent `orchestrate`) of one type, indexed: e.g. the recorded
   * process groups for a resume. Agent events are not indexed by type (it slowed every append).
   */
  records(sessionId: string, type: string): LogEntry[];
  /** The CLI's own conversation id of one run (the worker's attempt by that agent), if it reported one. */
  agentSessionIdOf(sessionId: string, workerId: string, attempt: number, agent: string): string | undefined;
}

export interface SessionRecord {
  id: string;
  task: string;
  target: string;
  workspace: string;
  sessionDir: string;
  status: SessionStatus;
  tier: number;
  roles: Record<string, string>;
  /** The configuration the session was started with, as JSON (resume uses it, not today's file). */
  config: unknown;
  tokens: Record<string, Usage>;
  createdAt: string;
  updatedAt: string;
}

export interface SessionStore {
  create(record: SessionRecord): void;
  get(id: string): SessionRecord | undefined;
  list(): SessionRecord[];
  update(id: string, patch: Partial<Pick<SessionRecord, 'status' | 'tier' | 'tokens' | 'updatedAt'>>): void;
}

export interface StoredSnapshot {
  sessionId: string;
  machineVersion: string;
  xstateVersion: string;
  snapshot: unknown;
  updatedAt: string;
}

export interface SnapshotStore {
  saveSnapshot(s: StoredSnapshot): void;
  loadSnapshot(sessionId: string): StoredSnapshot | undefined;
}

export interface RecordStore {
  saveReview(sessionId: string, review: PeerReview): void;
  saveDecision(sessionId: string, decision: OrchestratorDecision): boolean;
  saveRecovery(sessionId: string, action: RecoveryAction): void;
  reviews(sessionId: string): PeerReview[];
  decisions(sessionId: string): OrchestratorDecision[];
  recoveries(sessionId: string): RecoveryAction[];
}

export interface Lease {
  sessionId: string;
  owner: string;
  expiresAt: number;
  /** Grows each time the lease is taken: writes made under an older epoch are refused. */
  epoch: number;
}

/**
 * Two orchestrators never drive one session: the lease row says who does, until when, under
 * which epoch. A store that took a lease remembers its epoch and checks it in every write of
 * that session (append, update, snapshot, records), in the same transaction: a paused
 * ("zombie") orchestrator that wakes up after a takeover cannot write anything.
 */
export interface LeaseStore {
  /** Takes the lease if it is free, expired, or already ours; returns the holder otherwise. */
  acquireLease(sessionId: string, owner: string, ttlMs: number, now: number): { ok: true; epoch: number } | { ok: false; holder: Lease };
  renewLease(sessionId: string, owner: string, ttlMs: number, now: number): boolean;
  /** Takes the lease from `from` only if `from` still holds it (a holder known to be dead). */
  takeOverLease(sessionId: string, from: string, to: string, ttlMs: number, now: number): boolean;
  releaseLease(sessionId: string, owner: string): void;
}

export interface Store extends EventLog, SessionStore, SnapshotStore, RecordStore, LeaseStore {
  /** Where the store is, for messages (a file path, or a URL without its password). */
  readonly path: string;
  close(): void;
  /**
   * Calls `listener` with a session id soon after another process appended to it, where the
   * backend can tell (PostgreSQL LISTEN/NOTIFY). Only a wake-up: the reader then reads the
   * table, and keeps polling too, so a lost notification loses nothing. Returns the unsubscribe.
   */
  onAppended?(listener: (sessionId: string) => void): () => void;
  /**
   * Calls `listener` for each call that held the thread for a second or more, where the backend
   * can block on a network (PostgreSQL): the event loop stood still that long. Returns the unsubscribe.
   */
  onBlocked?(listener: (call: { ms: number; what: string; failed: boolean }) => void): () => void;
}
