import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AgentProcessEvent, AgentProcessInput, ResourceMonitorEvent } from '../machines/events.js';
import type { LogEntry } from '../persistence/types.js';
import { AgentEventInput } from '../protocol/index.js';

/**
 * A remote run's id: one launch of one worker's agent in one session. The same worker and
 * attempt recur (each task of the plan runs `implementer` attempt 1), so a nonce tells them apart.
 */
export const newRunId = (input: Pick<AgentProcessInput, 'sessionId' | 'workerId' | 'attempt' | 'agent'>): string =>
  `${input.sessionId}/${input.workerId}/${input.attempt}/${input.agent}/${randomBytes(4).toString('hex')}`;

/**
 * The launch as stored in the `runs` table and read back by a worker on another host: the
 * identity is checked; the launch request is the orchestrator's own output, passed through.
 */
export const RemoteRunInput = z.object({
  sessionId: z.string().min(1),
  workerId: z.string().min(1),
  agent: z.string().min(1),
  adapter: z.enum(['claude', 'codex', 'gemini', 'jsonl']),
  attempt: z.number().int().positive(),
  request: z.record(z.string(), z.unknown()),
  sessionDir: z.string().min(1),
  maxLineBytes: z.number().int().positive().optional(),
  stderrTailBytes: z.number().int().positive().optional(),
  killGraceMs: z.number().int().nonnegative().optional(),
  /** Measured and enforced by the worker on its own host (see resource-monitor.ts). */
  limits: z
    .object({ cpuPercent: z.number().positive(), memoryMb: z.number().positive(), runtimeMinutes: z.number().positive(), cpuWindowSeconds: z.number().positive().optional() })
    .optional(),
  /** Set for a run restarted by a resumed session: the agent continues its own conversation. */
  continueConversation: z.boolean().optional(),
});

/** What a run tells the session's worker machine: the agent-process actor's events and the resource monitor's. */
export type RunEvent = AgentProcessEvent | ResourceMonitorEvent;
export type RunControlEvent = Exclude<RunEvent, { type: 'agent.events' }>;

/**
 * What the agent-process actor (and the worker host's resource monitor) tell the worker
 * machine, written by the worker as log entries (`run.spawned`, `run.classified`,
 * `run.limitExceeded`, `run.exited`, `run.failed`) so the session's orchestrator, wherever it
 * runs, reads them from the shared log like any other committed entry.
 */
const Control = z.object({ text: z.string(), control: z.record(z.string(), z.unknown()) });

export const CONTROL_TYPES: Record<string, RunControlEvent['type']> = {
  'run.spawned': 'agent.spawned',
  'run.classified': 'agent.classified',
  'run.limitExceeded': 'worker.limitExceeded',
  'run.exited': 'agent.exited',
  'run.failed': 'agent.failed',
};

export function controlEntryOf(event: RunControlEvent, host: string): { type: string; payload: LogEntry['payload'] } {
  const type = Object.entries(CONTROL_TYPES).find(([, t]) => t === event.type)?.[0] ?? 'run.failed';
  const what = event.type === 'worker.limitExceeded' ? `${event.limit} limit exceeded: ${event.detail}` : event.type.slice('agent.'.length);
  return { type, payload: { text: `${what} on ${host}`, host, control: event } };
}

/** The machine event a committed entry of the run stands for, if any. */
export function processEventOf(entry: LogEntry): RunEvent | undefined {
  const kind = CONTROL_TYPES[entry.type];
  if (kind) {
    const parsed = Control.safeParse(entry.payload);
    return parsed.success && parsed.data.control.type === kind ? (parsed.data.control as unknown as RunControlEvent) : undefined;
  }
  const event = AgentEventInput.safeParse({
    type: entry.type,
    agent: entry.agent,
    timestamp: entry.timestamp,
    payload: entry.payload,
    sessionId: entry.sessionId,
    workerId: entry.workerId,
    attempt: entry.attempt,
    ...(entry.usage ? { usage: entry.usage } : {}),
  });
  // One event per entry: remote runs arrive entry by entry from the shared log.
  return event.success ? { type: 'agent.events', workerId: event.data.workerId, attempt: event.data.attempt, events: [event.data] } : undefined;
}
