import { join } from 'node:path';
import { fromCallback } from 'xstate';
import { getAdapter, type AdapterName } from '../agents/registry.js';
import type { LaunchRequest } from '../agents/types.js';
import type { AgentEventDraft, AgentEventInput } from '../protocol/index.js';
import { AgentRun } from './agent-run.js';

/** Identity and launch data only: an actor restored from a snapshot re-runs from this. */
export interface AgentProcessInput {
  sessionId: string;
  workerId: string;
  agent: string;
  adapter: AdapterName;
  attempt: number;
  request: LaunchRequest;
  /** The session's workspace directory (`workspace/<session>`). */
  sessionDir: string;
  maxLineBytes?: number;
  stderrTailBytes?: number;
  killGraceMs?: number;
}

export type AgentProcessEvent =
  | { type: 'agent.spawned'; workerId: string; attempt: number; pid: number; command: string; args: string[] }
  | { type: 'agent.event'; event: AgentEventInput }
  | {
      type: 'agent.exited';
      workerId: string;
      attempt: number;
      exitCode: number | null;
      signal: string | null;
      stoppedByRequest: boolean;
      stderrTail: string;
      errorEvents: AgentEventDraft[];
    }
  | { type: 'agent.failed'; workerId: string; attempt: number; error: { kind: 'io_failed'; message: string } };

/** Sent by the worker to end the run gracefully. */
export type AgentProcessCommand = { type: 'agent.stop' };

export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_STDERR_TAIL_BYTES = 64 * 1024;
export const DEFAULT_KILL_GRACE_MS = 3000;

export const agentProcess = fromCallback<AgentProcessCommand, AgentProcessInput, AgentProcessEvent>(
  ({ input, sendBack, receive }) => {
    const adapter = getAdapter(input.adapter);
    const spec = adapter.buildCommand(input.request);
    const { workerId, attempt } = input;
    const run = new AgentRun(
      {
        sessionId: input.sessionId,
        workerId,
        agent: input.agent,
        attempt,
        adapter,
        spec,
        sessionDir: input.sessionDir,
        maxLineBytes: input.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        stderrTailBytes: input.stderrTailBytes ?? DEFAULT_STDERR_TAIL_BYTES,
        killGraceMs: input.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      },
      {
        onSpawn: (pid) => sendBack({ type: 'agent.spawned', workerId, attempt, pid, command: spec.command, args: spec.args }),
        onEvent: (event) => sendBack({ type: 'agent.event', event }),
      },
    );
    let stopped = false;
    receive((command) => {
      if (command.type === 'agent.stop') run.stop();
    });
    run.run().then(
      (exit) => {
        if (!stopped) sendBack({ type: 'agent.exited', workerId, attempt, ...exit });
      },
      (error: unknown) => {
        if (!stopped) {
          const message = error instanceof Error ? error.message : String(error);
          sendBack({ type: 'agent.failed', workerId, attempt, error: { kind: 'io_failed', message } });
        }
      },
    );
    // The actor is being torn down (its state was left): the group must not outlive it.
    return () => {
      stopped = true;
      run.stop();
    };
  },
);

export const sessionDirOf = (workspace: string, sessionId: string): string => join(workspace, sessionId);
