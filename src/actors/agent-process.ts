import { join } from 'node:path';
import { fromCallback } from 'xstate';
import { getAdapter } from '../agents/registry.js';
import type { AgentProcessCommand, AgentProcessEvent, AgentProcessInput } from '../machines/events.js';
import { AgentRun } from './agent-run.js';

export type { AgentProcessCommand, AgentProcessEvent, AgentProcessInput };

const MID_RUN_KINDS = new Set<string>(['path_outside_workspace', 'permission_denied']);
const AFTER_SUCCESS_KINDS = new Set<string>(['path_outside_workspace', 'permission_denials']);

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
        onEvent: (event) => {
          sendBack({ type: 'agent.event', event });
          if (event.type === 'error') classifyWhileRunning();
        },
      },
    );
    const reported = new Set<string>();
    // Only failures that will not fix themselves stop a running agent early.
    const classifyWhileRunning = (): void => {
      const classification = adapter.classify({ request: input.request, ...run.evidence });
      if (!classification || !MID_RUN_KINDS.has(classification.kind) || reported.has(classification.kind)) return;
      reported.add(classification.kind);
      sendBack({ type: 'agent.classified', workerId, attempt, classification });
    };
    let stopped = false;
    receive((command) => {
      if (command.type === 'agent.stop') run.stop();
    });
    run.run().then(
      (exit) => {
        if (stopped) return;
        const failed = exit.exitCode !== 0 && !exit.stoppedByRequest;
        const found =
          failed || exit.errorEvents.length > 0
            ? adapter.classify({ request: input.request, events: exit.errorEvents, stderr: exit.stderrTail, exit })
            : null;
        // A run that ended well only counts failures that mean its work was not done.
        const classification = found && (failed || AFTER_SUCCESS_KINDS.has(found.kind)) ? found : undefined;
        sendBack({ type: 'agent.exited', workerId, attempt, ...exit, classification });
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
