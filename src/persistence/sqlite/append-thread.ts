import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { z } from 'zod';
import { distPath } from '../../package-root.js';
import { StoreError } from '../store-error.js';

const Answer = z.union([
  z.object({ id: z.number(), ok: z.literal(true) }),
  z.object({ id: z.number(), error: z.object({ kind: z.string(), message: z.string(), code: z.string().optional() }) }),
]);

/** `undefined`: committed. */
export type Landed = (error: Error | undefined) => void;

/** A failed batch: nothing of it was kept. `kind` as the thread reported it (`fenced`, `unknown`, `sqlite`, ...). */
export class AppendError extends Error {
  constructor(
    readonly kind: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** How long drain() waits for one answer: SQLite's busy timeout on the thread's side, and slack. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * The writer thread of one SQLite store (append-worker.mjs): batches are posted as the clients'
 * frame of their envelopes (seqs given) and answered in order: committed, or an error. Answers
 * arrive as messages (the event loop goes on meanwhile); drain() takes them synchronously
 * (Atomics.wait and receiveMessageOnPort, as the PostgreSQL bridge does) for a caller that must
 * have everything committed now. A thread that died is only noticed there after the timeout
 * (its exit is an event, which cannot arrive while this thread waits).
 */
export class AppendThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private readonly waiting: { id: number; landed: Landed }[] = [];
  private next = 1;
  /** Set when the thread failed or did not answer: later batches must take the synchronous way. */
  broken: Error | undefined;

  constructor(path: string, pragmas: readonly string[]) {
    const signal = new SharedArrayBuffer(4);
    this.flag = new Int32Array(signal);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(distPath('persistence', 'sqlite', 'append-worker.mjs'), {
      workerData: { path, port: port2, signal, pragmas },
      transferList: [port2],
      // Plain JavaScript needs no flags of the parent (which, under `node -e`, would re-run its script).
      execArgv: [],
    });
    // Only a batch in flight keeps the process alive (the port is ref'd while one is).
    this.worker.unref();
    this.port.unref();
    this.port.on('message', (m: unknown) => this.answer(m));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new AppendError('gone', `the log writer thread ended (exit code ${code})`)));
  }

  /** Posts a batch (its frame: a JSON array of envelopes, as UTF-8); `landed` runs once, with its answer. */
  post(frame: Uint8Array, epochs: Record<string, number>, landed: Landed): void {
    if (this.broken) return landed(this.broken);
    const id = this.next++;
    this.waiting.push({ id, landed });
    if (this.waiting.length === 1) this.port.ref();
    // A copy of exactly the frame's bytes, handed over without a second copy.
    const bytes = new Uint8Array(frame);
    this.port.postMessage({ id, bytes, epochs }, [bytes.buffer]);
  }

  /** Blocks until every posted batch is answered (their `landed` run here, in order). */
  drain(): void {
    while (this.waiting.length > 0) {
      const seen = Atomics.load(this.flag, 0);
      const received = receiveMessageOnPort(this.port);
      if (received) {
        this.answer(received.message);
        continue;
      }
      if (Atomics.wait(this.flag, 0, seen, DRAIN_TIMEOUT_MS) === 'timed-out') {
        this.fail(new AppendError('timeout', `the log writer thread did not answer within ${DRAIN_TIMEOUT_MS / 1000} s`));
      }
    }
  }

  /** Answers what is in flight, then lets the thread close its connection and end. */
  close(): void {
    this.drain();
    this.broken ??= new AppendError('closed', 'the log writer thread is closed');
    // The thread closes the channel once its connection is closed.
    this.port.postMessage('close');
  }

  private answer(message: unknown): void {
    const answer = Answer.safeParse(message);
    const first = this.waiting[0];
    if (!answer.success || first === undefined || answer.data.id !== first.id) {
      return this.fail(new AppendError('protocol', `the log writer thread answered out of turn: ${JSON.stringify(message).slice(0, 200)}`));
    }
    this.waiting.shift();
    if (this.waiting.length === 0) this.port.unref();
    const a = answer.data;
    if ('ok' in a) return first.landed(undefined);
    first.landed(a.error.kind === 'fenced' ? new StoreError('fenced', a.error.message) : new AppendError(a.error.kind, a.error.message, a.error.code));
  }

  /** Every batch in flight fails with `error` (whether the thread committed it is unknown: the owner must stop). */
  private fail(error: Error): void {
    if (!this.broken) this.broken = error;
    const lost = this.waiting.splice(0);
    this.port.unref();
    for (const w of lost) w.landed(error);
  }
}
