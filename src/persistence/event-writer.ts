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

/** Runs after the `after`-th entry of its batch is delivered; `lost` instead if the batch failed. */
interface Waiter {
  after: number;
  fn: () => void;
  lost: (() => void) | undefined;
}

/**
 * Batches appends into one transaction per event-loop turn (setImmediate), then hands the
 * committed batch — each entry now with its seq — to `publish` (bus, clients) in one call, and
 * each entry to its appender's callback (e.g. the machine), in seq order. Nothing is broadcast or
 * acted on before it is committed.
 *
 * A log that can commit on another thread (`appendLater`) gets one batch at a time: what is
 * appended meanwhile waits for that batch to land and goes as the next one, so batches stay in
 * order and grow when the thread is slower than the turns. `flush()` and `close()` still commit
 * everything before they return.
 */
export class EventWriter {
  private pending: LogEntryInput[] = [];
  private dones: (Committed | undefined)[] = [];
  /** Waiters on pending entries, in the order they were asked for. */
  private waiters: Waiter[] = [];
  /** A batch handed to appendLater that has not landed: its size, and the waiters on it. */
  private inFlight: { length: number; waiters: Waiter[] } | undefined;
  private scheduled = false;
  private closed = false;

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
    this.schedule();
  }

  /**
   * Runs `fn` once everything appended so far is committed (at once if nothing is pending or in
   * flight), or `lost` if the log refused it (the owner is stopping the session then) or the
   * writer is closed (what was appended since was refused: nothing may pass it off as logged).
   */
  afterCommit(fn: () => void, lost?: () => void): void {
    if (this.closed) lost?.();
    else if (this.pending.length > 0) this.waiters.push({ after: this.pending.length, fn, lost });
    else if (this.inFlight) this.inFlight.waiters.push({ after: this.inFlight.length, fn, lost });
    else fn();
  }

  /** Commits whatever is pending now, before returning (also used before shutdown). */
  flush(): void {
    this.scheduled = false;
    if (this.inFlight) this.log.drainAppends?.();
    this.commit(false);
  }

  /** Commits until nothing is pending (commit callbacks may append more), then refuses appends. */
  close(): void {
    for (let rounds = 0; (this.pending.length > 0 || this.inFlight) && rounds < 100; rounds++) this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // A batch in flight: this one goes when it lands.
      if (!this.inFlight) this.commit(true);
    });
  }

  private commit(later: boolean): void {
    if (this.pending.length === 0 || this.closed) return;
    const { pending: batch, dones, waiters } = this;
    this.pending = [];
    this.dones = [];
    this.waiters = [];
    if (later && this.log.appendLater) {
      // Waiters asked for while it is in flight go after its last entry.
      const flight = { length: batch.length, waiters };
      this.inFlight = flight;
      const landed = (result: LogEntry[] | Error): void => {
        if (this.inFlight === flight) this.inFlight = undefined;
        if (result instanceof Error) return this.fail(result, batch, waiters);
        this.deliver(result, dones, waiters);
        if (this.pending.length > 0) this.schedule();
      };
      if (this.log.appendLater(batch, landed)) return;
      this.inFlight = undefined;
    }
    let committed: LogEntry[];
    try {
      committed = this.log.append(batch);
    } catch (error) {
      return this.fail(error, batch, waiters);
    }
    this.deliver(committed, dones, waiters);
  }

  /**
   * The batch was refused (or, with a writer thread that is gone, may or may not be in the log):
   * nothing may act on it, and the owner must stop the session (a resume reads the log).
   */
  private fail(error: unknown, batch: readonly LogEntryInput[], waiters: readonly Waiter[]): void {
    this.closed = true;
    // What was appended behind it cannot be committed either.
    const lost = [...batch, ...this.pending];
    const waiting = [...waiters, ...this.waiters];
    this.pending = [];
    this.dones = [];
    this.waiters = [];
    this.onError(error, lost);
    for (const w of waiting) w.lost?.();
  }

  private deliver(committed: readonly LogEntry[], dones: readonly (Committed | undefined)[], waiters: readonly Waiter[]): void {
    this.publish(committed);
    let w = 0;
    committed.forEach((entry, i) => {
      dones[i]?.(entry);
      for (let next = waiters[w]; next !== undefined && next.after === i + 1; next = waiters[++w]) next.fn();
    });
  }
}
