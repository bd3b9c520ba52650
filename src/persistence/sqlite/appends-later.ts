import { encodeBatch } from '../../protocol/envelope.js';
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
 * The store's appends on its writer thread (append-thread.ts). The seqs are given here, going on
 * from the session's batches still in flight or else from the log (the thread checks that they
 * go on from the log's last one), so that the batch's frame for the live clients is made now and
 * the thread stores the entries from it: each entry is encoded once, for both. Batches land in
 * the order they were posted.
 */
export class LaterAppends {
  /** Started with the first batch. */
  private thread: AppendThread | undefined;
  /**
   * Per session with batches on the thread, the last seq given to them and how many they are.
   * A session with none takes its next seq from the log (whatever was appended meanwhile).
   */
  private readonly inFlight = new Map<string, { seq: number; batches: number }>();

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

  /** Posts a batch `takes` accepted; `landed` gets its entries with their seqs, or the error. */
  append(entries: readonly LogEntryInput[], landed: (result: LogEntry[] | Error) => void): void {
    this.thread ??= new AppendThread(this.path, [`wal_autocheckpoint = ${BACKSTOP_PAGES}`, `journal_size_limit = ${WAL_FILE_LIMIT_BYTES}`]);
    const epochs: Record<string, number> = {};
    const out: LogEntry[] = [];
    /** Per session in the batch, its last seq (runs of one session's entries share a lookup). */
    const last = new Map<string, number>();
    let session: string | undefined;
    let seq = 0;
    for (const e of entries) {
      if (e.sessionId !== session) {
        if (session !== undefined) last.set(session, seq);
        session = e.sessionId;
        seq = last.get(session) ?? this.inFlight.get(session)?.seq ?? this.lastSeq(session);
        const epoch = this.fences.epochOf(session);
        if (epoch !== undefined) epochs[session] = epoch;
      }
      out.push(committed(e, ++seq));
    }
    if (session !== undefined) last.set(session, seq);
    for (const [id, s] of last) this.inFlight.set(id, { seq: s, batches: (this.inFlight.get(id)?.batches ?? 0) + 1 });
    // The array the writer publishes once it lands: its clients get this very frame.
    const frame = encodeBatch(out).utf8;
    this.thread.post(frame, epochs, (error) => {
      for (const id of last.keys()) {
        const held = this.inFlight.get(id);
        if (held && --held.batches === 0) this.inFlight.delete(id);
      }
      if (error === undefined) return landed(out);
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
  }

  drain(): void {
    this.thread?.drain();
  }

  close(): void {
    this.thread?.close();
  }
}
