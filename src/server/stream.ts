import type { LogEntry, Store } from '../persistence/types.js';
import { encodeBatch, lastSeqOf, type Run } from '../protocol/envelope.js';
import type { SessionRegistry } from './registry.js';

export { copyRun, envelopeBytes, envelopeJson, envelopeOf, frameOf, runBytes, type EncodedBatch, type Envelope, type Run } from '../protocol/envelope.js';

/** A connected client, whatever the protocol. */
export interface Transport {
  /** Bytes accepted but not yet handed to the kernel. */
  buffered(): number;
  /** Consecutive envelopes, in seq order, following the last ones sent. */
  send(run: Run): void;
  drop(reason: string): void;
}

export interface FlowLimits {
  /** A client with more than this unsent is dropped (live) or waited for (replay). */
  maxBufferedBytes: number;
  /** A replaying client that makes no progress for this long is dropped. */
  stallMs: number;
  /** How often new entries of a session driven by another process are looked for. */
  pollMs: number;
}

const PAGE = 200;

/**
 * One client's position in one session's log. Everything it gets comes in seq order from
 * `since + 1` with no gap and no repeat: a live entry is sent directly only when it is exactly
 * the next one, anything else (a reconnect, a replay, a poll tick) is read from the store, where
 * every entry is committed before it is published.
 */
export class Cursor {
  private last: number;
  private replaying = false;
  /** Something new was offered while a replay ran: look again when it ends. */
  private missed = false;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly sessionId: string,
    since: number,
    private readonly client: Transport,
    private readonly limits: FlowLimits,
  ) {
    this.last = since;
  }

  get position(): number {
    return this.last;
  }

  /** A committed batch from the bus (seq order), or nothing: "look in the store". */
  offer(entries?: readonly LogEntry[]): void {
    if (this.closed) return;
    if (this.replaying) {
      // Dropping it would lose the last entries of a session followed by polling: the poll that
      // saw them already counted them, and nothing may come after the session's end.
      this.missed = true;
      return;
    }
    const from = entries ? entries.findIndex((e) => e.seq > this.last) : 0;
    if (from < 0) return;
    if (!entries || entries[from]?.seq !== this.last + 1) {
      void this.replay();
      return;
    }
    if (this.client.buffered() > this.limits.maxBufferedBytes) {
      this.close(`client too slow: more than ${this.limits.maxBufferedBytes} bytes unsent; reconnect with since=${this.last}`);
      return;
    }
    const batch = encodeBatch(entries);
    if (batch.consecutive) return this.deliver({ batch, from, to: entries.length });
    // It has a gap (a retried append handed back an old entry): what follows on goes, then the store.
    let to = from + 1;
    while (to < entries.length && entries[to]?.seq === (entries[to - 1]?.seq ?? 0) + 1) to++;
    this.deliver({ batch, from, to });
    if (to < entries.length) void this.replay();
  }

  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.client.drop(reason);
  }

  private deliver(run: Run): void {
    if (run.to <= run.from) return;
    this.client.send(run);
    this.last = lastSeqOf(run);
  }

  /** Reads from the store page by page, waiting for the client to take each page in. */
  async replay(): Promise<void> {
    if (this.replaying || this.closed) return;
    this.replaying = true;
    try {
      for (;;) {
        const page = this.store.read(this.sessionId, { afterSeq: this.last, limit: PAGE });
        this.deliver({ batch: encodeBatch(page), from: 0, to: page.length });
        if (page.length < PAGE) return;
        if (!(await this.room())) return;
      }
    } finally {
      this.replaying = false;
      if (this.missed && !this.closed) {
        this.missed = false;
        this.offer();
      }
    }
  }

  /** Resolves true once the client's buffer is below half the limit, false if it was dropped. */
  private async room(): Promise<boolean> {
    const started = Date.now();
    while (!this.closed && this.client.buffered() > this.limits.maxBufferedBytes / 2) {
      if (Date.now() - started > this.limits.stallMs) {
        this.close(`client stopped reading during replay; reconnect with since=${this.last}`);
        return false;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return !this.closed;
  }
}

/**
 * Calls `listener` for each committed entry of a session: from its bus when this process drives
 * it, else with `undefined` whenever the shared store has something new (another orchestrator
 * writes it).
 */
export function watchSession(registry: SessionRegistry, sessionId: string, listener: (entries?: readonly LogEntry[]) => void, pollMs: number): () => void {
  const live = registry.liveSession(sessionId);
  if (live) {
    // A batch is one session's (one writer's transaction).
    const onEntries = (entries: readonly LogEntry[]): void => {
      if (entries[0]?.sessionId === sessionId) listener(entries);
    };
    live.bus.on('entries', onEntries);
    return () => live.bus.off('entries', onEntries);
  }
  let seen = registry.store.lastSeq(sessionId);
  const check = (): void => {
    const now = registry.store.lastSeq(sessionId);
    if (now > seen) {
      seen = now;
      listener(undefined);
    }
  };
  const timer = setInterval(check, pollMs);
  timer.unref();
  // A store shared by several hosts (PostgreSQL LISTEN/NOTIFY) wakes this at once; the poll
  // stays as the fallback, so a notification lost on the way only delays.
  const unlisten = registry.store.onAppended?.((id) => {
    if (id === sessionId) check();
  });
  return () => {
    clearInterval(timer);
    unlisten?.();
  };
}

/** Connects a transport to a session from `since`: replays what it missed, then follows live. */
export function follow(registry: SessionRegistry, sessionId: string, since: number, client: Transport, limits: FlowLimits): { cursor: Cursor; stop: () => void } {
  const cursor = new Cursor(registry.store, sessionId, since, client, limits);
  const unwatch = watchSession(registry, sessionId, (e) => cursor.offer(e), limits.pollMs);
  void cursor.replay().then(() => cursor.offer());
  return {
    cursor,
    stop: () => {
      unwatch();
      cursor.close();
    },
  };
}
