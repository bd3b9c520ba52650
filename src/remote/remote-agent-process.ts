import type { Logger } from 'pino';
import { fromCallback, fromPromise } from 'xstate';
import type { AgentProcessCommand, AgentProcessEvent, AgentProcessInput } from '../machines/events.js';
import type { PgStore } from '../persistence/postgres/store.js';
import type { LogEntry } from '../persistence/types.js';
import type { RunQueue } from './queue.js';
import { newRunId, processEventOf } from './run-entries.js';

export interface RemoteRunDeps {
  store: PgStore;
  queue: RunQueue;
  /** Each committed entry of a run, as it is read from the shared log (the session's bus). */
  publish: (entry: LogEntry) => void;
  log: Logger;
  /** How often the log and the run's lease are looked at without a notification. */
  pollMs?: number;
  /** True while the actors restored from a snapshot start (after a restart of the orchestrator). */
  restoring?: () => boolean;
}

/**
 * The agent-process actor for `--remote` sessions: instead of launching the agent it puts the
 * run in the `runs` table and on the agent's queue, then follows the shared log. Whatever a
 * worker committed for this run (the agent's events, `run.spawned`, `run.exited`, ...) goes to
 * the worker machine exactly as the local actor would have sent it — committed first, always.
 * If the run's worker stops renewing its lease (killed, paused, partitioned), the run is queued
 * again and another worker takes it over under a new epoch.
 */
export function createRemoteAgentProcess(deps: RemoteRunDeps) {
  const { store, queue, log } = deps;
  return fromCallback<AgentProcessCommand, AgentProcessInput, AgentProcessEvent>(({ input, sendBack, receive }) => {
    const sessionId = input.sessionId;
    // A restored actor follows its run again if a worker still has it; else (and always for new
    // work) a new run is queued, continuing the agent's conversation when restored, as locally.
    const restored = deps.restoring?.() === true;
    const adopted = restored ? store.runs.unfinished(sessionId, input.workerId, input.attempt, input.agent) : undefined;
    const runId = adopted?.runId ?? newRunId(input);
    let cursor = store.lastSeq(sessionId);
    let ended = false;
    let queuedFor = -1;
    const enqueue = (epoch: number, why: string): void => {
      if (queuedFor === epoch) return;
      queuedFor = epoch;
      log.info({ runId, epoch, why }, 'agent run queued for a worker');
      queue.send(input.agent, { runId }).catch((error: unknown) => {
        ended = true;
        sendBack({ type: 'agent.failed', workerId: input.workerId, attempt: input.attempt, error: { kind: 'io_failed', message: `could not queue the run: ${String(error)}` } });
      });
    };
    const deliver = (entry: LogEntry): void => {
      if (entry.workerId !== input.workerId || entry.attempt !== input.attempt || entry.agent !== input.agent) return;
      deps.publish(entry);
      const event = processEventOf(entry);
      if (!event || ended) return;
      if (event.type === 'agent.exited' || event.type === 'agent.failed') ended = true;
      sendBack(event);
    };

    const run = store.runs.ensure({ runId, sessionId, agent: input.agent, input: restored ? { ...input, continueConversation: true } : input }, new Date().toISOString());
    if (run.state === 'queued') enqueue(run.epoch, adopted ? 'restored, still queued' : 'new run');

    let checks = 0;
    const tick = (): void => {
      if (ended) return;
      try {
        for (let page = store.read(sessionId, { afterSeq: cursor, limit: 500 }); page.length > 0; page = store.read(sessionId, { afterSeq: cursor, limit: 500 })) {
          for (const e of page) {
            cursor = e.seq;
            deliver(e);
          }
        }
        if (ended || checks++ % 4 !== 0) return;
        const now = store.runs.get(runId);
        if (now?.state === 'running' && (now.expiresAt ?? 0) <= Date.now()) enqueue(now.epoch, `the worker ${now.owner ?? '?'} stopped renewing its lease`);
      } catch (error) {
        // The store is unreachable for now: the next tick tries again (nothing was lost, the log keeps it).
        log.warn({ err: error, runId }, 'could not follow the remote run');
      }
    };
    const timer = setInterval(tick, deps.pollMs ?? 250);
    const unlisten = store.onAppended((id) => {
      if (id === sessionId) tick();
    });
    const stop = (): void => {
      try {
        store.runs.requestStop(sessionId, runId);
      } catch (error) {
        // Taken over (the new holder decides about the run) or unreachable (its lease will lapse).
        log.warn({ err: error, runId }, 'could not ask the remote run to stop');
      }
    };
    receive((command) => {
      if (command.type === 'agent.stop') stop();
    });
    return () => {
      clearInterval(timer);
      unlisten();
      if (!ended) stop();
    };
  });
}

/** Remote agents' process groups are on the worker's host, which waits for them itself. */
export const remoteGroupExit = fromPromise<void, { pid?: number | undefined; maxMs?: number }>(() => Promise.resolve());
