import type { EventLog, LogEntry, LogEntryInput } from './types.js';

type Committed = (entry: LogEntry) => void;
/** A committed batch, in seq order: one call per transaction, so listeners pay per turn, not per entry. */
type Published = (entries: readonly LogEntry[]) => void;

/**
 * An append after close(): the session is over (agents still stopping report their exit after
 * it). Not a failed write: the log is fine, it just takes nothing more.
 */
export class WriterClosedError extends Error {
  readonly kind = 'closed';
  constructor() {
    super('event writer is closed');
  }
}

/**
 * Batches appends into one transaction per event-loop turn (setImmediate), then hands the
 * committed batch — each entry now with its seq — to `publish` (bus, clients) in one call, and
 * each entry to its appender's callback (e.g. the machine), in seq order. Nothing is broadcast or
 * acted on before it is committed.
 */
export class EventWriter {
  private pending: LogEntryInput[] = [];
  private dones: (Committed | undefined)[] = [];
  /** `fn` runs right after the `after`-th pending entry is delivered (in the order they were asked for). */
  private waiters: { after: number; fn: () => void }[] = [];
  private scheduled = false;
  private closed = false;
  /** Runs after each committed batch was delivered (the snapshot is saved right then). */
  afterFlush: (() => void) | undefined;

  constructor(
    private readonly log: EventLog,
    private readonly publish: Published,
    private readonly onError: (error: unknown, lost: readonly LogEntryInput[]) => void,
  ) {}

  append(entry: LogEntryInput, done?: Committed): void {
    if (this.closed) {
      this.onError(new WriterClosedError(), [entry]);
      return;
    }
    this.pending.push(entry);
    this.dones.push(done);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Runs `fn` once everything appended so far is committed (at once if nothing is pending). */
  afterCommit(fn: () => void): void {
    if (this.pending.length === 0) fn();
    else this.waiters.push({ after: this.pending.length, fn });
  }

  /** Commits whatever is pending now (also used before shutdown). */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const { pending: batch, dones, waiters } = this;
    this.pending = [];
    this.dones = [];
    this.waiters = [];
    let committed: LogEntry[];
    try {
      committed = this.log.append(batch);
    } catch (error) {
      // Nothing of the batch was kept, and nothing may act on it: the owner must stop the session.
      this.closed = true;
      this.onError(error, batch);
      return;
    }
    this.publish(committed);
    let w = 0;
    committed.forEach((entry, i) => {
      dones[i]?.(entry);
      for (let next = waiters[w]; next !== undefined && next.after === i + 1; next = waiters[++w]) next.fn();
    });
    this.afterFlush?.();
  }

  /** Commits until nothing is pending (commit callbacks may append more), then refuses appends. */
  close(): void {
    for (let rounds = 0; this.pending.length > 0 && rounds < 100; rounds++) this.flush();
    this.closed = true;
  }
}
