import type { AgentEventDraft, AgentEventType, EventPayload, TodoItem, Usage } from '../../protocol/index.js';

/** Raw text kept in events is capped so one bad line cannot bloat the log. */
export const RAW_TEXT_LIMIT = 4000;

export function truncate(text: string, limit = RAW_TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}… [${text.length - limit} more characters]`;
}

export function draft(
  type: AgentEventType,
  payload: EventPayload,
  extra: { usage?: Usage; timestamp?: string } = {},
): AgentEventDraft {
  const event: AgentEventDraft = { type, payload };
  if (extra.usage) event.usage = extra.usage;
  if (extra.timestamp) event.timestamp = extra.timestamp;
  return event;
}

/** A line that is not what the CLI's stream should contain: kept verbatim, never thrown. */
export function unparseable(line: string, reason: string): AgentEventDraft {
  return draft('error', {
    kind: 'stream.unparseable',
    text: `unparseable output line (${reason}): ${truncate(line, 200)}`,
    raw: truncate(line),
    severity: 'warning',
  });
}

export type JsonLine = { ok: true; value: unknown } | { ok: false; reason: string };

export function parseJsonLine(line: string): JsonLine {
  try {
    return { ok: true, value: JSON.parse(line) as unknown };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Share of finished items, as the worker's progress. */
export function todoProgress(todos: readonly TodoItem[]): number {
  if (todos.length === 0) return 0;
  const done = todos.filter((t) => t.status === 'completed' || t.status === 'cancelled').length;
  return Math.round((done / todos.length) * 100);
}

export function todoEvent(todos: TodoItem[], timestamp?: string): AgentEventDraft {
  const current = todos.find((t) => t.status === 'in_progress') ?? todos.find((t) => t.status === 'pending');
  const progress = todoProgress(todos);
  const text = current ? `${progress}% · now: ${current.text}` : `${progress}% of ${todos.length} tasks done`;
  return draft('task', { kind: 'plan.updated', text, todos, progress }, timestamp ? { timestamp } : {});
}

const TODO_STATUS: Record<string, TodoItem['status']> = {
  pending: 'pending',
  in_progress: 'in_progress',
  completed: 'completed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

export function todoStatus(value: unknown): TodoItem['status'] {
  return (typeof value === 'string' && TODO_STATUS[value]) || 'pending';
}

/** One-line description of a tool call for humans. */
export function describeToolCall(tool: string, input: Record<string, unknown>): string {
  const pick = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = input[k];
      if (typeof v === 'string' && v.length > 0) return v;
    }
    return undefined;
  };
  const detail = pick('command', 'cmd', 'file_path', 'path', 'absolute_path', 'pattern', 'url', 'query', 'description');
  return detail ? `${tool}: ${truncate(detail, 300)}` : tool;
}
