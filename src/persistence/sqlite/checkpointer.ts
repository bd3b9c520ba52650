import { Worker } from 'node:worker_threads';
import { distPath } from '../../package-root.js';
import type { Db } from './db.js';

type WorkerMessage = { type: 'checkpointed'; busy: number; log: number; checkpointed: number } | { type: 'failed'; message: string };

/** SQLite's own threshold for its automatic checkpoint (pages); restored if the thread fails. */
const AUTO_CHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  /** How often the thread looks at the log's size. */
  intervalMs?: number;
  /** A log smaller than this is left alone (each checkpoint syncs the database file). */
  minWalBytes?: number;
}

/**
 * Moves a writer connection's WAL checkpoints to a worker thread (checkpoint-worker.mjs): the
 * connection's automatic checkpoint is turned off while the thread runs, and turned back on if
 * the thread fails or is gone, so the log never grows without bound.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped = false;
  /** What the thread did: checkpoints run, the last one's page counts, and whether SQLite's own took over. */
  readonly stats: { checkpoints: number; last?: { log: number; checkpointed: number }; fellBack: boolean } = { checkpoints: 0, fellBack: false };

  constructor(
    private readonly db: Db,
    path: string,
    options: CheckpointerOptions = {},
  ) {
    this.worker = new Worker(distPath('persistence', 'sqlite', 'checkpoint-worker.mjs'), {
      workerData: { path, intervalMs: options.intervalMs ?? 500, minWalBytes: options.minWalBytes ?? 1 << 20 },
      // Plain JavaScript needs no flags of the parent (which, under `node -e`, would re-run its script).
      execArgv: [],
    });
    // A finished process must not wait for this thread.
    this.worker.unref();
    db.pragma('wal_autocheckpoint = 0');
    const fallBack = (): void => {
      if (this.stopped || !this.db.open) return;
      this.stopped = true;
      this.stats.fellBack = true;
      this.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    };
    this.worker.on('error', fallBack);
    this.worker.on('exit', fallBack);
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'failed') return fallBack();
      this.stats.checkpoints += 1;
      this.stats.last = { log: m.log, checkpointed: m.checkpointed };
    });
  }

  /**
   * Before the writer closes: everything in the log goes into the database file here (the
   * thread's connection may outlive this one by a moment, so the closing writer would not be
   * the last connection and would not checkpoint by itself), then the thread is let go.
   */
  stop(): void {
    if (!this.stopped) {
      this.stopped = true;
      // Without waiting: a reader in another process (orchestrate serve) or the thread's own
      // checkpoint would otherwise hold the close for the whole busy timeout.
      this.db.pragma('busy_timeout = 0');
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Busy: what is left stays in the log, which is part of the database (any later
        // connection reads it, and the last one to close checkpoints it).
      }
    }
    this.worker.postMessage('close');
  }
}
