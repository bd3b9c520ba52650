import { fromCallback } from 'xstate';
import type { AgentProcessCommand, AgentProcessEvent, AgentProcessInput, Classification, LaunchRequest } from '../../../src/machines/events.js';
import type { AgentEventInput, AgentEventType, EventPayload, Usage } from '../../../src/protocol/index.js';

/** One launch of the fake agent process, as the test sees it. */
export interface FakeRun {
  input: AgentProcessInput;
  /** `agent.stop` commands received. */
  stopRequests: number;
  /** The worker stopped the actor itself (stopChild / leaving the state): the group would be killed. */
  torndown: boolean;
  /** Plays events back to the worker as this run would. */
  send(event: AgentProcessEvent): void;
}

/** What a scripted run does when asked to stop (the real actor answers with an exit by request). */
export type OnStop = 'exit' | 'ignore';

export interface FakeAgentOptions {
  /** Events played on start, per attempt (1-based); attempts without a script stay silent. */
  scripts?: Record<number, (input: AgentProcessInput) => AgentProcessEvent[]>;
  onStop?: OnStop;
}

/**
 * A stand-in for `agentProcess`: records every launch and plays a scripted list of
 * AgentProcessEvent; tests push further events with `runs[i].send(...)`.
 */
export function fakeAgents(options: FakeAgentOptions = {}) {
  const runs: FakeRun[] = [];
  const logic = fromCallback<AgentProcessCommand, AgentProcessInput, AgentProcessEvent>(({ input, sendBack, receive }) => {
    const run: FakeRun = {
      input,
      stopRequests: 0,
      torndown: false,
      // Always delivered, even after teardown: the worker must itself ignore stale runs.
      send: (event) => sendBack(event),
    };
    runs.push(run);
    receive((command) => {
      if (command.type !== 'agent.stop') return;
      run.stopRequests++;
      if ((options.onStop ?? 'exit') === 'exit' && !run.torndown) run.send(exited(input.attempt, { exitCode: null, signal: 'SIGTERM', stoppedByRequest: true }));
    });
    for (const event of options.scripts?.[input.attempt]?.(input) ?? []) run.send(event);
    return () => {
      run.torndown = true;
    };
  });
  return {
    logic,
    runs,
    run(attempt: number): FakeRun {
      const run = runs.find((r) => r.input.attempt === attempt);
      if (!run) throw new Error(`no run for attempt ${attempt} (launched: ${runs.map((r) => r.input.attempt).join(', ') || 'none'})`);
      return run;
    },
  };
}

export const SESSION = 's1';
export const WORKER = 'implementer';
export const AGENT = 'claude';

const BASE_TIME = Date.parse('2025-01-01T10:00:00.000Z');
let clockTick = 0;
/** Distinct, increasing ISO timestamps. */
export const stamp = (offsetMs?: number): string => new Date(BASE_TIME + (offsetMs ?? ++clockTick * 1000)).toISOString();

export function agentEvent(
  attempt: number,
  type: AgentEventType,
  payload: Partial<EventPayload> & { text?: string },
  extra: { usage?: Usage; timestamp?: string; workerId?: string } = {},
): AgentEventInput {
  return {
    type,
    agent: AGENT,
    timestamp: extra.timestamp ?? stamp(),
    payload: { text: payload.text ?? `${type} event`, ...payload },
    ...(extra.usage ? { usage: extra.usage } : {}),
    sessionId: SESSION,
    workerId: extra.workerId ?? WORKER,
    attempt,
  };
}

export const ev = (...args: Parameters<typeof agentEvent>): AgentProcessEvent => {
  const event = agentEvent(...args);
  return { type: 'agent.events', workerId: event.workerId, attempt: event.attempt, events: [event] };
};

export const spawned = (attempt: number, pid = 4000 + attempt): AgentProcessEvent => ({
  type: 'agent.spawned',
  workerId: WORKER,
  attempt,
  pid,
  command: 'claude',
  args: ['-p'],
});

export function exited(
  attempt: number,
  opts: { exitCode?: number | null; signal?: string | null; stoppedByRequest?: boolean; classification?: Classification; stderrTail?: string } = {},
): AgentProcessEvent {
  return {
    type: 'agent.exited',
    workerId: WORKER,
    attempt,
    exitCode: opts.exitCode === undefined ? 0 : opts.exitCode,
    signal: opts.signal ?? null,
    stoppedByRequest: opts.stoppedByRequest ?? false,
    stderrTail: opts.stderrTail ?? '',
    errorEvents: [],
    ...(opts.classification ? { classification: opts.classification } : {}),
  };
}

export const classified = (attempt: number, classification: Classification): AgentProcessEvent => ({
  type: 'agent.classified',
  workerId: WORKER,
  attempt,
  classification,
});

export const failedToLaunch = (attempt: number, message = 'spawn claude ENOENT'): AgentProcessEvent => ({
  type: 'agent.failed',
  workerId: WORKER,
  attempt,
  error: { kind: 'io_failed', message },
});

export const baseRequest: LaunchRequest = {
  role: 'implementer',
  mode: 'work',
  prompt: 'Implement the task',
  cwd: '/repo',
  workspace: '/ws/s1',
  extraDirs: ['/ws/s1'],
};

/** A path-outside-workspace failure whose remedy is a corrected relaunch. */
export function outsideWorkspace(dir = '/srv/data'): Classification {
  return {
    kind: 'path_outside_workspace',
    evidence: `Path ${dir}/x.csv is not in the workspace`,
    remedy: {
      action: 'relaunch',
      fix: { kind: 'add-dir', dirs: [dir] },
      request: { ...baseRequest, extraDirs: [...baseRequest.extraDirs, dir], fixes: [{ kind: 'add-dir', dirs: [dir] }] },
      change: `--add-dir ${dir}`,
    },
  };
}

/** A failure no relaunch can fix: the user has to act. */
export function permissionDenied(): Classification {
  return {
    kind: 'permission_denied',
    evidence: 'EACCES: permission denied, open /repo/secret.pem',
    remedy: { action: 'escalate', suggestions: ['Grant write access to /repo/secret.pem', 'Or exclude the file from the task'] },
  };
}
