import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { PgStore } from '../persistence/postgres/store.js';
import type { FetchedJob, RunQueue } from './queue.js';
import { executeRun } from './worker-run.js';

export interface WorkerOptions {
  store: PgStore;
  queue: RunQueue;
  /** Only runs of these agents are taken (the ones installed here). */
  agents: readonly string[];
  concurrency: number;
  leaseTtlMs: number;
  log: Logger;
  /** Called with one line per run taken and ended. */
  notice: (line: string) => void;
  pollMs?: number;
}

/**
 * `orchestrate worker`: takes agent runs from the queue, up to `concurrency` at once, and runs
 * them here until `stop` is aborted (then the runs in progress are given up so another worker
 * takes them over). Resolves when the last run here has ended.
 */
export async function runWorker(o: WorkerOptions, stop: AbortSignal): Promise<void> {
  const owner = `${hostname()}:${process.pid}:worker:${randomBytes(3).toString('hex')}`;
  const env = { store: o.store, owner, host: hostname(), leaseTtlMs: o.leaseTtlMs, log: o.log };
  const active = new Set<Promise<void>>();
  const handle = async (job: FetchedJob): Promise<void> => {
    o.notice(`run ${job.runId}: taken (${job.agent})`);
    let outcome: string;
    try {
      outcome = await executeRun(job.runId, env, stop);
    } catch (error) {
      outcome = `failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    o.notice(`run ${job.runId}: ${outcome}`);
    // The queue only delivers; the run's state is in its row. A job of a run this worker gave
    // up is completed too: the session queues the run again when the lease runs out.
    await (outcome === 'invalid' ? o.queue.fail(job, 'invalid run') : o.queue.complete(job)).catch((error: unknown) => o.log.warn({ err: error }, 'could not complete the job'));
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      stop.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  while (!stop.aborted) {
    if (active.size >= o.concurrency) {
      await Promise.race(active);
      continue;
    }
    let job: FetchedJob | undefined;
    try {
      job = await o.queue.fetch(o.agents);
    } catch (error) {
      o.log.warn({ err: error }, 'could not fetch from the queue');
    }
    if (!job) {
      await sleep(o.pollMs ?? 500);
      continue;
    }
    const p: Promise<void> = handle(job).finally(() => active.delete(p));
    active.add(p);
  }
  await Promise.all(active);
}
