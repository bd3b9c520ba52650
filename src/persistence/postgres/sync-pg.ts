import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { z } from 'zod';
import { distPath } from '../../package-root.js';
import { StoreError } from '../store-error.js';

const Answer = z.union([
  z.object({ id: z.number(), rows: z.array(z.record(z.string(), z.unknown())), rowCount: z.number(), conn: z.number() }),
  z.object({ id: z.number(), error: z.object({ message: z.string(), code: z.string().optional() }) }),
]);

/** A statement PostgreSQL refused (SQLSTATE in `code`), as opposed to a store that cannot be reached. */
export class PgQueryError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export type Row = Record<string, unknown>;

/** A call that held this thread for at least `SLOW_CALL_MS` (its event loop stood still meanwhile). */
export interface BlockedCall {
  ms: number;
  /** The statement's first words, for the log. */
  what: string;
  /** It ended with an error (a timeout, a lost connection) rather than an answer. */
  failed: boolean;
}

/** Calls shorter than this are not reported: a round trip on a LAN is well under a millisecond. */
export const SLOW_CALL_MS = 1_000;
/** Time the thread may take beyond a call's own budget to post its answer. */
const ANSWER_SLACK_MS = 1_000;

/**
 * A synchronous PostgreSQL connection: each query is handed to a worker thread that owns a
 * `pg` client, and this thread blocks (Atomics.wait) until the answer is back. It is what lets
 * the PostgreSQL store implement the same synchronous interfaces as SQLite, so "committed
 * before anything acts on it" holds without changing a single caller (see docs/architecture.md).
 * One connection, so a transaction is simply the statements between BEGIN and COMMIT.
 */
export class SyncPg {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private next = 1;
  private closed = false;
  private depth = 0;
  /** The connection the open transaction began on: its later statements must run there or fail. */
  private txConn: number | undefined;
  /** Told about every call that blocked this thread for `SLOW_CALL_MS` or more. */
  onBlocked: ((call: BlockedCall) => void) | undefined;

  /**
   * `timeoutMs` bounds every call (connecting included, if the call has to): past it the call
   * fails as unreachable and the connection is replaced, so the thread never blocks longer.
   */
  constructor(
    url: string,
    private readonly timeoutMs = 15_000,
  ) {
    const signal = new SharedArrayBuffer(4);
    this.flag = new Int32Array(signal);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(distPath('persistence', 'postgres', 'bridge-worker.mjs'), {
      workerData: { url, port: port2, signal, statementTimeoutMs: timeoutMs },
      transferList: [port2],
      // Plain JavaScript needs no flags of the parent (which, under `node -e`, would re-run its script).
      execArgv: [],
    });
    // The thread must not keep a finished process alive; errors surface as failed queries.
    this.worker.unref();
    this.worker.on('error', () => undefined);
  }

  /** One statement; `timeoutMs` shortens this call's budget (a lease renewal must not wait long). */
  query(sql: string, params: readonly unknown[] = [], options: { timeoutMs?: number } = {}): { rows: Row[]; rowCount: number } {
    return this.send(sql, params, this.txConn, options.timeoutMs);
  }

  private send(sql: string, params: readonly unknown[], conn: number | undefined, timeoutMs = this.timeoutMs): { rows: Row[]; rowCount: number; conn: number } {
    if (this.closed) throw new StoreError('io', 'the PostgreSQL store is closed');
    const started = Date.now();
    let failed = true;
    try {
      const answer = this.exchange(sql, params, conn, Math.min(timeoutMs, this.timeoutMs));
      failed = false;
      return answer;
    } finally {
      const ms = Date.now() - started;
      if (ms >= SLOW_CALL_MS) this.onBlocked?.({ ms, what: sql.trim().split(/\s+/).slice(0, 3).join(' '), failed });
    }
  }

  private exchange(sql: string, params: readonly unknown[], conn: number | undefined, timeoutMs: number): { rows: Row[]; rowCount: number; conn: number } {
    const id = this.next++;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, sql, params, timeoutMs, ...(conn === undefined ? {} : { conn }) });
    // The thread answers within the budget (connecting included) with a result or a timeout;
    // this deadline only guards against a thread that cannot answer at all.
    const deadline = Date.now() + timeoutMs + ANSWER_SLACK_MS;
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (!received) {
        const left = deadline - Date.now();
        if (left <= 0) throw new StoreError('io', `PostgreSQL did not answer within ${Math.round(timeoutMs / 1000)} s`);
        // Woken by the thread's notify; the periodic wake only guards against a missed one.
        Atomics.wait(this.flag, 0, 0, Math.min(left, 50));
        Atomics.store(this.flag, 0, 0);
        continue;
      }
      const answer = Answer.parse(received.message);
      // An answer to an earlier query that timed out here: skip it, ours comes next.
      if (answer.id !== id) continue;
      if ('error' in answer) {
        const code = answer.error.code ?? '';
        // Not a SQLSTATE (ECONNRESET, ...), a connection exception or a server shutting down: unreachable.
        if (!/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('57P')) {
          throw new StoreError('io', `PostgreSQL: ${answer.error.message}`);
        }
        throw new PgQueryError(answer.error.message, answer.error.code);
      }
      return { rows: answer.rows, rowCount: answer.rowCount, conn: answer.conn };
    }
  }

  /**
   * Runs `fn` in one transaction on this connection; rolls back (and rethrows) if it throws.
   * Nested calls join the outer transaction (a decision saved inside an append commits with it).
   */
  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.txConn = this.send('BEGIN', [], undefined).conn;
    this.depth++;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.depth--;
      try {
        this.query('ROLLBACK');
      } catch {
        // The connection is gone; PostgreSQL rolls back on its own.
      } finally {
        this.txConn = undefined;
      }
      throw error;
    }
    this.depth--;
    try {
      this.query('COMMIT');
    } finally {
      this.txConn = undefined;
    }
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.postMessage({ close: true });
    // Let the thread end the connection cleanly, then stop it.
    setTimeout(() => void this.worker.terminate(), 200).unref();
  }
}
