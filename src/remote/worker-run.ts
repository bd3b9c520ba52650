import { createActor, sendTo, setup } from 'xstate';
import type { Logger } from 'pino';
import { createAgentProcess } from '../actors/agent-process.js';
import type { AgentProcessEvent, AgentProcessInput } from '../machines/events.js';
import type { PgStore } from '../persistence/postgres/store.js';
import type { LogEntryInput } from '../persistence/types.js';
import { controlEntryOf, RemoteRunInput } from './run-entries.js';

export type RunOutcome = 'finished' | 'not_mine' | 'lost' | 'invalid';

export interface WorkerRunEnv {
  store: PgStore;
  owner: string;
  host: string;
  leaseTtlMs: number;
  log: Logger;
}

type HostEvent = AgentProcessEvent | { type: 'host.stop' };

/**
 * Executes one queued run on this host with the same agent-process actor a local session uses
 * (sandbox, guard hooks, line limits, failure classification). Every event is committed to the
 * shared log under this worker's run epoch before anything else happens; a refused write (the
 * run was taken over) or a lost lease ends the run here at once, writing nothing more.
 */
export async function executeRun(runId: string, env: WorkerRunEnv, shutdown: AbortSignal): Promise<RunOutcome> {
  const { store, log } = env;
  const row = store.runs.get(runId);
  // Ended, or no longer wanted (its session stopped it before any worker took it).
  if (!row || row.state === 'done' || row.stopRequested) return 'not_mine';
  const parsed = RemoteRunInput.safeParse(row.input);
  if (!parsed.success) return 'invalid';
  // The request is the orchestrator's own output (its identity fields are checked above), passed through.
  const input = parsed.data as unknown as AgentProcessInput;
  const epoch = store.runs.claim(runId, env.owner, env.leaseTtlMs, Date.now());
  // Delivered twice, or its worker is still alive: whoever holds the lease runs it.
  if (epoch === undefined) return 'not_mine';
  log.info({ runId, epoch }, 'run claimed');

  let n = 0;
  const key = (): string => `${runId}#${epoch}:${++n}`;
  let lost = false;
  let finish: (outcome: RunOutcome) => void = () => undefined;
  const done = new Promise<RunOutcome>((resolve) => (finish = resolve));
  const write = (entries: LogEntryInput[]): boolean => {
    if (lost) return false;
    try {
      store.runs.appendFenced(runId, epoch, entries);
      return true;
    } catch (error) {
      log.warn({ err: error, runId, epoch }, 'run write refused or failed; abandoning the run here');
      abandon();
      return false;
    }
  };
  const identity = { sessionId: input.sessionId, workerId: input.workerId, agent: input.agent, attempt: input.attempt };
  const onControl = (event: Exclude<AgentProcessEvent, { type: 'agent.events' }>): void => {
    const entry = controlEntryOf(event, env.host);
    if (!write([{ ...identity, ...entry, timestamp: new Date().toISOString(), key: key() }])) return;
    if (event.type === 'agent.exited' || event.type === 'agent.failed') {
      store.runs.finish(runId, epoch);
      finish('finished');
    }
  };

  const logic = createAgentProcess({
    record: (events, then) => {
      if (write(events.map((event) => ({ ...event, key: key() })))) then();
    },
    // A takeover continues the agent's own conversation, as a local resume does.
    conversationOf: (i) => (epoch > 1 || parsed.data.continueConversation ? store.agentSessionIdOf(i.sessionId, i.workerId, i.attempt, i.agent) : undefined),
  });
  const host = setup({ types: { events: {} as HostEvent }, actors: { proc: logic } }).createMachine({
    invoke: { id: 'proc', src: 'proc', input: () => input },
    on: {
      'host.stop': { actions: sendTo('proc', { type: 'agent.stop' }) },
      'agent.spawned': { actions: ({ event }) => onControl(event) },
      'agent.classified': { actions: ({ event }) => onControl(event) },
      'agent.exited': { actions: ({ event }) => onControl(event) },
      'agent.failed': { actions: ({ event }) => onControl(event) },
    },
  });
  const actor = createActor(host);
  function abandon(): void {
    if (lost) return;
    lost = true;
    // Stopping the actor kills the agent's process group without reporting anything.
    setImmediate(() => actor.stop());
    finish('lost');
  }
  let stopAsked = false;
  const renew = setInterval(() => {
    try {
      const lease = store.runs.renew(runId, epoch, env.leaseTtlMs, Date.now());
      if (!lease.held) abandon();
      else if (lease.stopRequested && !stopAsked) {
        stopAsked = true;
        actor.send({ type: 'host.stop' });
      }
    } catch (error) {
      log.warn({ err: error, runId }, 'could not renew the run lease');
    }
  }, env.leaseTtlMs / 3);
  const onShutdown = (): void => {
    abandon();
    try {
      store.runs.release(runId, epoch);
    } catch {
      // Unreachable: the lease simply expires.
    }
  };
  shutdown.addEventListener('abort', onShutdown);
  actor.start();
  try {
    return await done;
  } finally {
    clearInterval(renew);
    shutdown.removeEventListener('abort', onShutdown);
    actor.stop();
  }
}
