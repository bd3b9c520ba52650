import type { StateValue } from 'xstate';
import type { AgentEventInput } from '../protocol/index.js';

/** `implementing.working` for `{implementing: 'working'}`. */
export function describeState(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([k, v]) => (v === undefined ? k : `${k}.${describeState(v)}`))
    .join(',');
}

const SHOWN = new Set(['tool.call', 'tool.failed', 'run.completed', 'run.failed', 'api.error', 'process.spawn_failed', 'stream.line_too_long']);

/** One plain line for the events a person watching a terminal cares about; undefined for the rest. */
export function describeAgentEvent(e: AgentEventInput): string | undefined {
  const kind = e.payload.kind ?? '';
  if (!SHOWN.has(kind) && !['milestone', 'blocker', 'finding', 'task', 'review'].includes(e.type)) return undefined;
  // The first line, without splitting the whole text (a tool call's can be a file's content).
  const end = e.payload.text.indexOf('\n');
  const text = e.payload.text.slice(0, Math.min(end < 0 ? Infinity : end, 160));
  return `${e.workerId}(${e.agent}) ${e.type}${kind ? `/${kind}` : ''}: ${text}`;
}
