import { batchFrame, releaseFrame } from '../../protocol/envelope.js';
import type { Fences } from '../fence.js';
import type { LogEntry, LogEntryInput } from '../types.js';
import { AppendError, AppendThread } from './append-thread.js';
import { BACKSTOP_PAGES, WAL_FILE_LIMIT_BYTES } from './checkpointer.js';

/** The entry as stored (without its in-transaction callback); built field by field, no spread copies. */
export function committed(e: LogEntryInput, seq: number): LogEntry {
  const entry: LogEntry = { sessionId: e.sessionId, seq, timestamp: e.timestamp, type: e.type, agent: e.agent, workerId: e.workerId, attempt: e.attempt, payload: e.payload };
  if (e.usage) entry.usage = e.usage;
  if (e.key !== undefined) entry.key = e.key;
  return entry;
}

/**
 * The store's appends on its writer thread (append-thread.ts). The seqs are given here, from the
 * last one handed out (the thread checks that they go on from the log's last one), so that the
 * batch's frame for the live clients is made now and the thread stores the entries from it: each
 * entry is encoded once, for both. Batches land in the order they were posted.
 */
export class LaterAppends {
  /** Started with the first batch. */
  private thread: AppendThread | undefined;
  /** Per session, the last seq given here (committed or in flight). */
  private readonly handedOut = new Map<string, number>();

  constructor(
    private readonly path: string,
    private readonly fences: Fences,
    private readonly lastSeq: (sessionId: string) => number,
    /** The synchronous append, for batches a thread that never started could not take. */
    private readonly appendNow: (entries: readonly LogEntryInput[]) => LogEntry[],
  ) {}

  /**
   * Whether the batch can go: no idempotency key (a lookup) and no `withinCommit` (code that must
   * run inside the transaction), and a thread that has not failed.
   */
  takes(entries: readonly LogEntryInput[]): boolean {
    if (this.thread?.broken) return false;
    for (const e of entries) if (e.key !== undefined || e.withinCommit) return false;
    return true;
  }

  append(entries: readonly LogEntryInput[], landed: (result: LogEntry[] | Error) => void): boolean {
    if (!this.takes(entries)) return false;
    this.thread ??= new AppendThread(this.path, [`wal_autocheckpoint = ${BACKSTOP_PAGES}`, `journal_size_limit = ${WAL_FILE_LIMIT_BYTES}`]);
    const epochs: Record<string, number> = {};
    const out: LogEntry[] = [];
    const sessions = new Set<string>();
    let session: string | undefined;
    let seq = 0;
    for (const e of entries) {
      if (e.sessionId !== session) {
        if (session !== undefined) this.handedOut.set(session, seq);
        session = e.sessionId;
        sessions.add(session);
        seq = this.handedOut.get(session) ?? this.lastSeq(session);
        const epoch = this.fences.epochOf(session);
        if (epoch !== undefined) epochs[session] = epoch;
      }
      out.push(committed(e, ++seq));
    }
    if (session !== undefined) this.handedOut.set(session, seq);
    const frame = batchFrame(out);
    this.thread.post(frame, epochs, (error) => {
      if (error === undefined) {
        landed(out);
        return releaseFrame(frame);
      }
      releaseFrame(frame);
      // Not kept (or not known to be): the next seqs are the log's again.
      for (const id of sessions) this.handedOut.delete(id);
      // A thread that never opened the store committed nothing: these go the synchronous way,
      // in the order they were posted, like every batch after them.
      if (!(error instanceof AppendError && error.kind === 'unstarted')) return landed(error);
      let committedNow: LogEntry[];
      try {
        committedNow = this.appendNow(entries);
      } catch (failure) {
        return landed(failure instanceof Error ? failure : new Error(String(failure)));
      }
      landed(committedNow);
    });
    return true;
  }

  /** The next seqs are read from the log again (a synchronous append, a lease taken). */
  forget(sessionId: string): void {
    this.handedOut.delete(sessionId);
  }

  drain(): void {
    this.thread?.drain();
  }

  close(): void {
    this.thread?.close();
  }
}
