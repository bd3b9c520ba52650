import type { Logger } from 'pino';
import type { PgStore } from '../persistence/postgres/store.js';
import type { LogEntry } from '../persistence/types.js';
import type { RunQueue } from './queue.js';

/**
 * A job can be consumed without the run being claimed (the worker could not reach the store
 * in time, or died between fetching and claiming): a run still unclaimed (queued, or with an
 * expired lease) this long after it was sent is sent again, each time waiting twice as long up
 * to `RESEND_MAX_MS`. A duplicate costs a worker one look at the row; a lost job would leave
 * the run waiting forever.
 */
const RESEND_MIN_MS = 5_000;
const RESEND_MAX_MS = 60_000;

export interface FollowDeps {
  store: PgStore;
  queue: RunQueue;
  log: Logger;
  /** How often the log and the run's lease are looked at without a notification. */
  pollMs?: number;
}

export interface FollowedRun {
  runId: string;
  sessionId: string;
  agent: string;
  /** The launch as stored in `runs` (read back by the worker that takes it). */
  input: unknown;
}

/**
 * The session's side of one run executed by a worker: puts the run in `runs` and on its agent's
 * queue, then hands every entry the session's log gets from now on to `onEntry`, in seq order,
 * each only once it is committed (NOTIFY wakes it, a poll backs that up). When the run's worker
 * stops renewing its lease (killed, paused, cut off), the run is queued again and the next
 * worker takes it over under a new epoch; a run nobody claims is sent again (see RESEND_MIN_MS).
 */
export class RunFollower {
  private cursor: number;
  private queuedFor = -1;
  private queuedAt = 0;
  private resendMs = RESEND_MIN_MS;
  private checks = 0;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: () => void = () => undefined;

  constructor(
    private readonly deps: FollowDeps,
    private readonly run: FollowedRun,
    private readonly onEntry: (entry: LogEntry) => void,
    /** The queue refused the run: nothing will ever execute it. */
    private readonly onUnqueued: (message: string) => void,
  ) {
    this.cursor = deps.store.lastSeq(run.sessionId);
  }

  /** Creates (or finds) the run row and queues it if nobody has taken it; `why` goes to the log. */
  start(why: string): void {
    const row = this.deps.store.runs.ensure({ runId: this.run.runId, sessionId: this.run.sessionId, agent: this.run.agent, input: this.run.input }, new Date().toISOString());
    if (row.state === 'queued') this.enqueue(row.epoch, why);
    this.timer = setInterval(() => this.tick(), this.deps.pollMs ?? 250);
    this.unlisten = this.deps.store.onAppended((id) => {
      if (id === this.run.sessionId) this.tick();
    });
  }

  private enqueue(epoch: number, why: string): void {
    const again = this.queuedFor === epoch;
    if (again && Date.now() - this.queuedAt < this.resendMs) return;
    this.resendMs = again ? Math.min(this.resendMs * 2, RESEND_MAX_MS) : RESEND_MIN_MS;
    if (again) why = `${why}; not taken since it was sent, sending it again`;
    this.queuedFor = epoch;
    this.queuedAt = Date.now();
    this.deps.log.info({ runId: this.run.runId, epoch, why }, 'run queued for a worker');
    this.deps.queue.send(this.run.agent, { runId: this.run.runId }).catch((error: unknown) => {
      if (!this.closed) this.onUnqueued(`could not queue the run: ${String(error)}`);
    });
  }

  private tick(): void {
    if (this.closed) return;
    const { store } = this.deps;
    try {
      for (let page = store.read(this.run.sessionId, { afterSeq: this.cursor, limit: 500 }); page.length > 0; page = store.read(this.run.sessionId, { afterSeq: this.cursor, limit: 500 })) {
        for (const e of page) {
          this.cursor = e.seq;
          if (this.closed) return;
          this.onEntry(e);
        }
      }
      if (this.closed || this.checks++ % 4 !== 0) return;
      const now = store.runs.get(this.run.runId);
      if (now?.state === 'queued') this.enqueue(now.epoch, 'still queued');
      else if (now?.state === 'running' && (now.expiresAt ?? 0) <= Date.now()) this.enqueue(now.epoch, `the worker ${now.owner ?? '?'} stopped renewing its lease`);
    } catch (error) {
      // The store is unreachable for now: the next tick tries again (nothing was lost, the log keeps it).
      this.deps.log.warn({ err: error, runId: this.run.runId }, 'could not follow the remote run');
    }
  }

  /** Asks the run's worker to stop it (seen at its next lease renewal). */
  requestStop(): void {
    try {
      this.deps.store.runs.requestStop(this.run.sessionId, this.run.runId);
    } catch (error) {
      // Taken over (the new holder decides about the run) or unreachable (its lease will lapse).
      this.deps.log.warn({ err: error, runId: this.run.runId }, 'could not ask the remote run to stop');
    }
  }

  /** Stops following: no more entries are handed on. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.unlisten();
  }
}
