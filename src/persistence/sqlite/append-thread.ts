import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { z } from 'zod';
import { distPath } from '../../package-root.js';
import { StoreError } from '../store-error.js';

const Answer = z.union([
  z.object({ ready: z.literal(true) }),
  z.object({ id: z.number(), ok: z.literal(true) }),
  z.object({ id: z.number(), error: z.object({ kind: z.string(), message: z.string(), code: z.string().optional() }) }),
]);

/** `undefined`: committed. */
export type Landed = (error: Error | undefined) => void;

/**
 * A batch the thread did not commit, `kind` as it said (`fenced` comes as a StoreError;
 * `unknown`, `conflict`, `malformed`, `sqlite`), or a thread that failed: `unstarted` (it never
 * opened the store: nothing posted to it was committed), `gone`, `timeout`, `protocol` (whether
 * the batches in flight were committed is not known; the thread is ended).
 */
export class AppendError extends Error {
  constructor(
    readonly kind: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** How long a batch may go unanswered: SQLite's busy timeout on the thread's side (5 s), and slack. */
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * The writer thread of one SQLite store (append-worker.mjs): batches are posted as the clients'
 * frame of their envelopes (seqs given) and answered in order: committed, or an error. Answers
 * arrive as messages (the event loop goes on meanwhile); drain() takes them synchronously
 * (Atomics.wait and receiveMessageOnPort, as the PostgreSQL bridge does) for a caller that must
 * have everything committed now.
 */
export class AppendThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private readonly waiting: { id: number; landed: Landed }[] = [];
  private next = 1;
  private started = false;
  /** Fails the thread when the oldest batch waits too long (also outside a drain). */
  private watchdog: NodeJS.Timeout | undefined;
  /** Set when the thread failed: later batches must take the synchronous way. */
  broken: AppendError | undefined;

  constructor(
    path: string,
    pragmas: readonly string[],
    /** How long a batch may go unanswered before the thread is failed (tests shorten it). */
    private readonly answerTimeoutMs = ANSWER_TIMEOUT_MS,
  ) {
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
    this.port.on('message', (m: unknown) => this.answer(m));
    this.port.unref();
    this.worker.on('error', (error) => this.fail(this.started ? 'gone' : 'unstarted', `the log writer thread failed: ${error.message}`));
    this.worker.on('exit', (code) => this.fail(this.started ? 'gone' : 'unstarted', `the log writer thread ended (exit code ${code})`));
  }

  /** Posts a batch (its frame: a JSON array of envelopes, as UTF-8); `landed` runs once, with its answer. */
  post(frame: Uint8Array, epochs: Record<string, number>, landed: Landed): void {
    if (this.broken) return landed(this.broken);
    const id = this.next++;
    this.waiting.push({ id, landed });
    if (this.waiting.length === 1) {
      this.port.ref();
      this.arm();
    }
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
      // A thread that died cannot say so here (its exit is an event): the timeout ends the wait.
      if (Atomics.wait(this.flag, 0, seen, this.answerTimeoutMs) === 'timed-out') this.timedOut();
    }
  }

  /** Answers what is in flight, then lets the thread close its connection and end. */
  close(): void {
    this.drain();
    this.broken ??= new AppendError('closed', 'the log writer thread is closed');
    clearTimeout(this.watchdog);
    // The thread closes the channel once its connection is closed.
    this.port.postMessage('close');
  }

  private arm(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.timedOut(), this.answerTimeoutMs);
    this.watchdog.unref();
  }

  private timedOut(): void {
    this.fail(this.started ? 'timeout' : 'unstarted', `the log writer thread did not answer within ${this.answerTimeoutMs / 1000} s`);
  }

  private answer(message: unknown): void {
    const parsed = Answer.safeParse(message);
    const a = parsed.success ? parsed.data : undefined;
    if (a !== undefined && 'ready' in a) {
      this.started = true;
      return;
    }
    const first = this.waiting[0];
    if (a === undefined || first === undefined || a.id !== first.id) {
      return this.fail('protocol', `the log writer thread answered out of turn: ${JSON.stringify(message).slice(0, 200)}`);
    }
    this.waiting.shift();
    if (this.waiting.length === 0) {
      this.port.unref();
      clearTimeout(this.watchdog);
    } else this.arm();
    if ('ok' in a) return first.landed(undefined);
    first.landed(a.error.kind === 'fenced' ? new StoreError('fenced', a.error.message) : new AppendError(a.error.kind, a.error.message, a.error.code));
  }

  /**
   * The thread is done for: every batch in flight gets the error, and a thread still running is
   * told to close once its current call returns. Not `terminate()`: a thread ended inside a
   * SQLite call (waiting for a lock, a stalled disk) aborts the whole process when
   * better-sqlite3 then reports the call's result to an isolate being torn down ("FATAL ERROR:
   * v8::ToLocalChecked Empty MaybeLocal", seen in a test run). A batch it still commits late is
   * one whose fate was already reported unknown; its seqs were checked against the log's.
   */
  private fail(kind: string, message: string): void {
    if (this.broken) return;
    const error = new AppendError(kind, message);
    this.broken = error;
    clearTimeout(this.watchdog);
    this.port.unref();
    this.port.postMessage('close');
    for (const w of this.waiting.splice(0)) w.landed(error);
  }
}
