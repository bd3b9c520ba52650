import type { Logger } from 'pino';
import type { AgentProcessInput } from '../machines/events.js';
import type { PgStore } from '../persistence/postgres/store.js';
import type { LogEntryInput } from '../persistence/types.js';
import { z } from 'zod';
import { RemoteRunInput } from './run-entries.js';
import { ReviewRunInput } from './review-entries.js';
import { startAgentRun } from './run-agent.js';
import { startReviewRun } from './run-review.js';
import type { RunContext } from './run-context.js';
import { keepLease } from '../runtime/lease.js';

/** What a worker executes: an agent run of a worker machine, or one reviewer of a review. */
const RunInput = z.union([ReviewRunInput, RemoteRunInput]);

export type RunOutcome = 'finished' | 'not_mine' | 'lost' | 'invalid';

export interface WorkerRunEnv {
  store: PgStore;
  owner: string;
  host: string;
  leaseTtlMs: number;
  log: Logger;
}

/**
 * Executes one queued run on this host (an agent run or a reviewer run). Every event is committed to the shared log under this
 * worker's run epoch before anything else happens; a refused write (the run was taken over) or
 * a lost lease ends the run here at once, writing nothing more.
 */
export async function executeRun(runId: string, env: WorkerRunEnv, shutdown: AbortSignal): Promise<RunOutcome> {
  const { store, log } = env;
  const row = store.runs.get(runId);
  // Ended, or no longer wanted (its session stopped it before any worker took it).
  if (!row || row.state === 'done' || row.stopRequested) return 'not_mine';
  const parsed = RunInput.safeParse(row.input);
  if (!parsed.success) return 'invalid';
  const claimedAt = Date.now();
  const epoch = store.runs.claim(runId, env.owner, env.leaseTtlMs, claimedAt);
  // Delivered twice, or its worker is still alive: whoever holds the lease runs it.
  if (epoch === undefined) return 'not_mine';
  log.info({ runId, epoch }, 'run claimed');

  let n = 0;
  let lost = false;
  let finish: (outcome: RunOutcome) => void = () => undefined;
  const done = new Promise<RunOutcome>((resolve) => (finish = resolve));
  const abandon = (): void => {
    if (lost) return;
    lost = true;
    // Not from inside the body's own transition: stopping an actor there is not allowed.
    setImmediate(() => body.kill());
    finish('lost');
  };
  const ctx: RunContext = {
    store,
    host: env.host,
    log,
    epoch,
    write: (entries) => {
      if (lost) return false;
      try {
        store.runs.appendFenced(runId, epoch, entries.map((e): LogEntryInput => ({ ...e, key: `${runId}#${epoch}:${++n}` })));
        return true;
      } catch (error) {
        log.warn({ err: error, runId, epoch }, 'run write refused or failed; abandoning the run here');
        abandon();
        return false;
      }
    },
    finished: () => {
      store.runs.finish(runId, epoch);
      finish('finished');
    },
  };

  let stopAsked = false;
  const stopRenewing = keepLease({
    ttlMs: env.leaseTtlMs,
    takenAt: claimedAt,
    // A run's row is written by its worker alone (and the session's stop request): a renewal
    // that fails means this worker cannot reach the store, so it gives the run up in time.
    giveUpUnconfirmed: true,
    renew: (now) => {
      const lease = store.runs.renew(runId, epoch, env.leaseTtlMs, now);
      if (lease.held && lease.stopRequested && !stopAsked) {
        stopAsked = true;
        body.stop();
      }
      return lease.held;
    },
    onRetry: (error) => log.warn({ err: error, runId }, 'could not renew the run lease; trying again'),
    onLost: (loss) => {
      // Taken over, or cut off past the lease: another worker may be running it now.
      log.warn({ loss, runId, epoch }, loss.kind === 'taken' ? 'the run was taken over; stopping it here' : 'the run lease could not be renewed before it ran out; stopping the agent here');
      abandon();
    },
  });
  const onShutdown = (): void => {
    abandon();
    try {
      store.runs.release(runId, epoch);
    } catch {
      // Unreachable: the lease simply expires.
    }
  };
  shutdown.addEventListener('abort', onShutdown);
  const run = parsed.data;
  const body =
    'kind' in run
      ? startReviewRun(run, ctx)
      : // The request is the orchestrator's own output (its identity fields are checked above), passed through.
        startAgentRun(run as unknown as AgentProcessInput, ctx, run.continueConversation === true);
  try {
    return await done;
  } finally {
    stopRenewing();
    shutdown.removeEventListener('abort', onShutdown);
    body.kill();
  }
}
