import { Worker } from 'node:worker_threads';
import { distPath } from '../../package-root.js';
import type { Db } from './db.js';

type WorkerMessage = { type: 'checkpointed'; busy: number; log: number; checkpointed: number } | { type: 'failed'; message: string };

/** SQLite's own threshold for its automatic checkpoint (pages); restored if the thread fails. */
const AUTO_CHECKPOINT_PAGES = 1000;
/**
 * The writer still checkpoints itself past this many pages (16 MB): the log only starts over
 * when a writer begins a transaction with every frame already copied, which a checkpoint running
 * beside a busy writer never sees, so without this the log would grow for as long as the writes
 * go on. By then the thread has copied nearly everything, and the writer's own checkpoint is
 * short: what is left, and one sync.
 */
export const BACKSTOP_PAGES = 4000;
/** After the log starts over, its file is cut back to this. */
export const WAL_FILE_LIMIT_BYTES = 32 * 1024 * 1024;

export interface CheckpointerOptions {
  /** How often the thread looks for new commits to copy. */
  intervalMs?: number;
}

/**
 * Moves most of a writer connection's WAL checkpointing to a worker thread
 * (checkpoint-worker.mjs): while the thread runs, the connection's automatic checkpoint waits for
 * a 4× longer log (a backstop, see BACKSTOP_PAGES) and the thread copies new commits every
 * `intervalMs`; SQLite's usual threshold comes back if the thread fails or is gone.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped = false;
  /**
   * What the thread did: checkpoints run, those that found another checkpoint running (the
   * writer's backstop), the last run's page counts, and whether SQLite's own took over.
   */
  readonly stats: { checkpoints: number; busy: number; last?: { log: number; checkpointed: number }; fellBack: boolean } = { checkpoints: 0, busy: 0, fellBack: false };

  constructor(
    private readonly db: Db,
    path: string,
    options: CheckpointerOptions = {},
  ) {
    this.worker = new Worker(distPath('persistence', 'sqlite', 'checkpoint-worker.mjs'), {
      workerData: { path, intervalMs: options.intervalMs ?? 500 },
      // Plain JavaScript needs no flags of the parent (which, under `node -e`, would re-run its script).
      execArgv: [],
    });
    // A finished process must not wait for this thread.
    this.worker.unref();
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_FILE_LIMIT_BYTES}`);
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
      // -1: it could not run at all (another connection was checkpointing); next time.
      if (m.checkpointed < 0) return void (this.stats.busy += 1);
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
