import { launchSpecFor } from '../safety/sandbox.js';
import { fromCallback } from 'xstate';
import { getAdapter } from '../agents/registry.js';
import type { LaunchRequest } from '../agents/types.js';
import type { AgentProcessCommand, AgentProcessEvent, AgentProcessInput } from '../machines/events.js';
import type { AgentEventInput } from '../protocol/index.js';
import { AgentRun } from './agent-run.js';

export type { AgentProcessCommand, AgentProcessEvent, AgentProcessInput };

const MID_RUN_KINDS = new Set<string>(['path_outside_workspace', 'permission_denied']);
const AFTER_SUCCESS_KINDS = new Set<string>(['path_outside_workspace', 'permission_denials']);

export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_STDERR_TAIL_BYTES = 64 * 1024;
export const DEFAULT_KILL_GRACE_MS = 3000;

export interface AgentProcessDeps {
  /** Commits events to the log, then calls `then`: the machine only sees committed events. */
  record?: (events: AgentEventInput[], then: () => void) => void;
  /** Calls `then` once everything recorded so far is committed. */
  afterCommit?: (then: () => void, lost?: () => void) => void;
  /**
   * The CLI conversation this worker run had already started (a restored actor re-runs with
   * the same input after a restart): it is continued instead of starting over.
   */
  conversationOf?: (input: AgentProcessInput) => string | undefined;
  /** The agent's process group, for killing it if the orchestrator dies before it does. */
  onSpawned?: (input: AgentProcessInput, pid: number) => void;
  /** Each run as it starts: settles once its last events (its exit) are handed on. */
  track?: (run: Promise<unknown>) => void;
}

export const RESUME_PROMPT =
  'The orchestrator was restarted while you were working. Continue exactly where you left off, do not redo finished steps, and finish with your summary. The original instructions follow.';

function launchRequest(input: AgentProcessInput, deps: AgentProcessDeps): { request: LaunchRequest; resumed?: string } {
  const conversation = deps.conversationOf?.(input);
  if (!conversation) return { request: input.request };
  const { presetSessionId: _preset, ...rest } = input.request;
  return { request: { ...rest, resumeSessionId: conversation, prompt: `${RESUME_PROMPT}\n\n${input.request.prompt}` }, resumed: conversation };
}

/** One agent launch as an XState callback actor; with `deps` its events go through the event log first. */
export function createAgentProcess(deps: AgentProcessDeps = {}) {
  const record = deps.record ?? ((_e: AgentEventInput[], then: () => void) => then());
  const afterCommit = deps.afterCommit ?? ((then: () => void) => then());
  return fromCallback<AgentProcessCommand, AgentProcessInput, AgentProcessEvent>(({ input, sendBack, receive }) => {
    const adapter = getAdapter(input.adapter);
    const { request } = launchRequest(input, deps);
    const spec = launchSpecFor(adapter, request);
    const { workerId, attempt } = input;
    let stopped = false;
    /**
     * Events committed by one log transaction reach the machine as one `agent.events`: a chatty
     * agent's turn commits several chunks of output, and each machine step (a context copy, the
     * silence timer set again, forwarding) cost ~0.1 ms per chunk. Sent in a microtask after the
     * transaction's callbacks, and before anything else this run sends (what other runs hand on
     * in the same landing may reach the machine first).
     */
    let committed: AgentEventInput[] | undefined;
    const sendCommitted = (): void => {
      const events = committed;
      if (events === undefined) return;
      committed = undefined;
      if (!stopped) sendBack({ type: 'agent.events', workerId, attempt, events });
      if (events.some((e) => e.type === 'error')) classifyWhileRunning();
    };
    const send = (event: AgentProcessEvent): void => {
      sendCommitted();
      if (!stopped) sendBack(event);
    };
    const reported = new Set<string>();
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
        onSpawn: (pid) => {
          deps.onSpawned?.(input, pid);
          afterCommit(() => send({ type: 'agent.spawned', workerId, attempt, pid, command: spec.command, args: spec.args }));
        },
        ...(deps.afterCommit ? { afterCommit: deps.afterCommit } : {}),
        onEvents: (events) =>
          record(events, () => {
            if (committed !== undefined) {
              for (const e of events) committed.push(e);
              return;
            }
            committed = events;
            queueMicrotask(sendCommitted);
          }),
      },
    );
    // Only failures that will not fix themselves stop a running agent early.
    const classifyWhileRunning = (): void => {
      const classification = adapter.classify({ request, ...run.evidence });
      if (!classification || !MID_RUN_KINDS.has(classification.kind) || reported.has(classification.kind)) return;
      reported.add(classification.kind);
      send({ type: 'agent.classified', workerId, attempt, classification });
    };
    receive((command) => {
      if (command.type === 'agent.stop') run.stop();
    });
    const running = run.run();
    deps.track?.(running);
    running.then(
      (exit) =>
        afterCommit(() => {
          const failed = exit.exitCode !== 0 && !exit.stoppedByRequest;
          const found =
            failed || exit.errorEvents.length > 0 ? adapter.classify({ request, events: exit.errorEvents, stderr: exit.stderrTail, exit }) : null;
          // A run that ended well only counts failures that mean its work was not done.
          const classification = found && (failed || AFTER_SUCCESS_KINDS.has(found.kind)) ? found : undefined;
          send({ type: 'agent.exited', workerId, attempt, ...exit, classification });
        }),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        afterCommit(() => send({ type: 'agent.failed', workerId, attempt, error: { kind: 'io_failed', message } }));
      },
    );
    // The actor is being torn down (its state was left): the group must not outlive it.
    return () => {
      stopped = true;
      run.stop();
    };
  });
}

/** Without a store (tests, translate): events go straight to the machine. */
export const agentProcess = createAgentProcess();
