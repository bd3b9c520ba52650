import type { AgentEventDraft, TodoItem } from '../../protocol/index.js';
import { describeToolCall, draft, isRecord, todoEvent, todoStatus, truncate } from '../common/events.js';
import { orchestratorToolEvent } from '../common/orchestrator-tools.js';
import type { ToolResultLine, ToolUseLine } from './schema.js';
import type { GeminiState, PendingTool } from './state.js';
import { at, timestampOf } from './state.js';

const TOOL_OUTPUT_LIMIT = 1000;
const SHELL_TOOLS = new Set(['run_shell_command', 'shell']);

/**
 * Gemini reports a shell command as `status:"success"` whatever its exit code, and the stream
 * omits the exit code (facts §3.5). An OS refusal printed by the shell is the one failure we
 * must still see, because recovery acts on it.
 */
const SHELL_REFUSAL = /^.*: (?:Permission denied|Operation not permitted)\s*$/m;

function stringParam(params: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = params[k];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}

/** `write_todos` carries `todos[{description,status}]`. */
function todosOf(params: Record<string, unknown>): TodoItem[] | undefined {
  if (!Array.isArray(params.todos)) return undefined;
  return params.todos.filter(isRecord).map((t) => ({
    text: typeof t.description === 'string' ? t.description : typeof t.content === 'string' ? t.content : '',
    status: todoStatus(t.status),
  }));
}

export function toolUse(line: ToolUseLine, state: GeminiState): { events: AgentEventDraft[]; state: GeminiState } {
  const name = line.tool_name ?? 'unknown tool';
  const params = line.parameters ?? {};
  const timestamp = timestampOf(line);
  const remember = (pending: PendingTool): GeminiState =>
    line.tool_id ? { ...state, tools: { ...state.tools, [line.tool_id]: pending } } : state;

  const reported = orchestratorToolEvent(name, params, timestamp);
  if (reported) return { events: [reported], state: remember({ name, quiet: true }) };

  const todos = name === 'write_todos' ? todosOf(params) : undefined;
  if (todos) return { events: [todoEvent(todos, timestamp)], state: remember({ name, quiet: true }) };

  const command = SHELL_TOOLS.has(name) ? stringParam(params, 'command') : undefined;
  const file = stringParam(params, 'file_path', 'absolute_path', 'path', 'dir_path');
  const event = draft(
    'progress',
    {
      kind: 'tool.call',
      text: describeToolCall(name, params),
      tool: name,
      ...(command === undefined ? {} : { command }),
      ...(file === undefined ? {} : { file }),
      ...(line.tool_id ? { toolId: line.tool_id } : {}),
    },
    at(timestamp),
  );
  return {
    events: [event],
    state: remember({ name, quiet: false, ...(file === undefined ? {} : { file }), ...(command === undefined ? {} : { command }) }),
  };
}

function firstLine(text: string): string {
  return truncate(text.split('\n').find((l) => l.trim().length > 0)?.trim() ?? '', 200);
}

export function toolResult(
  line: ToolResultLine,
  state: GeminiState,
): { events: AgentEventDraft[]; state: GeminiState } {
  const id = line.tool_id ?? '';
  const pending: PendingTool | undefined = state.tools[id];
  const rest = Object.fromEntries(Object.entries(state.tools).filter(([k]) => k !== id));
  const next: GeminiState = { ...state, tools: rest };
  const name = pending?.name ?? 'tool';
  const timestamp = timestampOf(line);
  const output = line.output ?? '';
  const detail = {
    tool: name,
    ...(pending?.file === undefined ? {} : { file: pending.file }),
    ...(pending?.command === undefined ? {} : { command: pending.command }),
    ...(id ? { toolId: id } : {}),
  };

  // A BeforeTool hook's deny (our guard): a policy finding, not a failing tool, as with Claude.
  if (line.error?.type === 'policy_violation') {
    const reason = line.error.message ?? output;
    const refused = draft('finding', { kind: 'policy.refused', text: `tool call refused: ${truncate(reason || '(no reason given)', 500)}`, severity: 'warning', ...detail }, at(timestamp));
    return { events: [refused], state: next };
  }
  const failed = line.status !== 'success' || line.error !== undefined;
  const refusal = !failed && SHELL_TOOLS.has(name) ? SHELL_REFUSAL.exec(output)?.[0]?.trim() : undefined;
  if (failed || refusal !== undefined) {
    const message = refusal ?? line.error?.message ?? (output || `status ${line.status ?? 'unknown'}`);
    const why = refusal === undefined ? '' : ' (Gemini reported success, but the shell refused the command)';
    return {
      events: [
        draft(
          'error',
          {
            kind: 'tool.failed',
            text: `${name} failed${why}: ${truncate(message, 2000)}`,
            severity: 'error',
            ...detail,
            ...(line.error?.type ? { errorType: line.error.type } : {}),
            ...(refusal === undefined ? {} : { output: truncate(output, TOOL_OUTPUT_LIMIT) }),
          },
          at(timestamp),
        ),
      ],
      state: next,
    };
  }
  if (pending?.quiet) return { events: [], state: next };
  const summary = firstLine(output) || (pending?.file ?? '');
  return {
    events: [
      draft(
        'progress',
        { kind: 'tool.result', text: summary ? `${name} done: ${summary}` : `${name} done`, ...detail, output: truncate(output, TOOL_OUTPUT_LIMIT) },
        at(timestamp),
      ),
    ],
    state: next,
  };
}
