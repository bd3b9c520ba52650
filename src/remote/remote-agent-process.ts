import type { Logger } from 'pino';
import { fromCallback, fromPromise } from 'xstate';
import type { AgentProcessCommand, AgentProcessEvent, AgentProcessInput } from '../machines/events.js';
import type { LogEntry } from '../persistence/types.js';
import { newRunId, processEventOf } from './run-entries.js';
import { RunFollower, type FollowDeps } from './run-follower.js';

export interface RemoteRunDeps extends FollowDeps {
  /** Each committed entry of a run, as it is read from the shared log (the session's bus). */
  publish: (entry: LogEntry) => void;
  log: Logger;
  /** True while the actors restored from a snapshot start (after a restart of the orchestrator). */
  restoring?: () => boolean;
}

/**
 * The agent-process actor for `--remote` sessions: instead of launching the agent it puts the
 * run in the `runs` table and on the agent's queue, then follows the shared log. Whatever a
 * worker committed for this run (the agent's events, `run.spawned`, `run.limitExceeded`,
 * `run.exited`, ...) goes to the worker machine exactly as the local actors would have sent it —
 * committed first, always.
 */
export function createRemoteAgentProcess(deps: RemoteRunDeps) {
  const { store } = deps;
  return fromCallback<AgentProcessCommand, AgentProcessInput, AgentProcessEvent>(({ input, sendBack, receive }) => {
    // A restored actor follows its run again if a worker still has it; else (and always for new
    // work) a new run is queued, continuing the agent's conversation when restored, as locally.
    const restored = deps.restoring?.() === true;
    const adopted = restored ? store.runs.unfinished(input.sessionId, input.workerId, input.attempt, input.agent) : undefined;
    const runId = adopted?.runId ?? newRunId(input);
    let ended = false;
    const follower = new RunFollower(
      deps,
      { runId, sessionId: input.sessionId, agent: input.agent, input: restored ? { ...input, continueConversation: true } : input },
      (entry) => {
        if (entry.workerId !== input.workerId || entry.attempt !== input.attempt || entry.agent !== input.agent) return;
        deps.publish(entry);
        const event = processEventOf(entry);
        if (!event || ended) return;
        if (event.type === 'agent.exited' || event.type === 'agent.failed') {
          ended = true;
          follower.close();
        }
        sendBack(event);
      },
      (message) => {
        ended = true;
        follower.close();
        sendBack({ type: 'agent.failed', workerId: input.workerId, attempt: input.attempt, error: { kind: 'io_failed', message } });
      },
    );
    follower.start(adopted ? 'restored, still queued' : 'new run');
    receive((command) => {
      if (command.type === 'agent.stop') follower.requestStop();
    });
    return () => {
      follower.close();
      if (!ended) follower.requestStop();
    };
  });
}

/** Remote agents' process groups are on the worker's host, which waits for them itself. */
export const remoteGroupExit = fromPromise<void, { pid?: number | undefined; maxMs?: number }>(() => Promise.resolve());
