import type { AgentEventDraft } from '../../protocol/index.js';
import { describeToolCall, draft, isRecord, todoEvent, todoStatus, truncate } from '../common/events.js';
import { orchestratorToolEvent } from '../common/orchestrator-tools.js';
import type { ContentBlock } from './schema.js';
import type { ClaudeState, ClaudeTask, PendingTool } from './state.js';

type Step = { events: AgentEventDraft[]; state: ClaudeState };
type Extra = { timestamp?: string };

/** The `--json-schema` answer tool: its input comes back as `result.structured_output`. */
const STRUCTURED_OUTPUT_TOOL = 'StructuredOutput';

function stringField(input: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const v = input[key];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}

function remember(state: ClaudeState, id: string | undefined, tool: PendingTool): ClaudeState {
  return id === undefined ? state : { ...state, tools: { ...state.tools, [id]: tool } };
}

function tasksEvent(tasks: readonly ClaudeTask[], extra: Extra): AgentEventDraft {
  return todoEvent(
    tasks.map((t) => ({ text: t.text, status: t.status })),
    extra.timestamp,
  );
}

function todoWrite(input: Record<string, unknown>, extra: Extra): AgentEventDraft | undefined {
  if (!Array.isArray(input.todos)) return undefined;
  const todos = input.todos.filter(isRecord).map((t) => ({
    text: stringField(t, 'content', 'activeForm') ?? '(untitled)',
    status: todoStatus(t.status),
  }));
  return todoEvent(todos, extra.timestamp);
}

function taskUpdate(input: Record<string, unknown>, state: ClaudeState, extra: Extra): Step {
  const id = stringField(input, 'taskId');
  const task = state.tasks.find((t) => t.id === id);
  if (!task) return { events: [], state };
  const tasks =
    input.status === 'deleted'
      ? state.tasks.filter((t) => t !== task)
      : state.tasks.map((t) =>
          t === task
            ? {
                ...t,
                text: stringField(input, 'subject') ?? t.text,
                status: input.status === undefined ? t.status : todoStatus(input.status),
              }
            : t,
        );
  return { events: [tasksEvent(tasks, extra)], state: { ...state, tasks } };
}

/** One `tool_use` block of an assistant line. */
export function toolUse(block: ContentBlock, state: ClaudeState, extra: Extra): Step {
  const name = block.name ?? 'unknown tool';
  const input = isRecord(block.input) ? block.input : {};
  const reported = orchestratorToolEvent(name, input, extra.timestamp);
  if (reported) return { events: [reported], state: remember(state, block.id, { name, quiet: true }) };
  if (name === 'TodoWrite') {
    const event = todoWrite(input, extra);
    if (event) return { events: [event], state: remember(state, block.id, { name, quiet: true }) };
  }
  if (name === 'TaskCreate') {
    const subject = stringField(input, 'subject', 'description') ?? '(untitled)';
    return { events: [], state: remember(state, block.id, { name, quiet: true, taskSubject: subject }) };
  }
  if (name === 'TaskUpdate') {
    const step = taskUpdate(input, state, extra);
    return { events: step.events, state: remember(step.state, block.id, { name, quiet: true }) };
  }
  if (name === STRUCTURED_OUTPUT_TOOL) return { events: [], state: remember(state, block.id, { name, quiet: true }) };
  const command = stringField(input, 'command');
  const file = stringField(input, 'file_path', 'notebook_path', 'path');
  const event = draft(
    'progress',
    {
      kind: 'tool.call',
      text: describeToolCall(name, input),
      tool: name,
      ...(command === undefined ? {} : { command }),
      ...(file === undefined ? {} : { file }),
      ...(block.id === undefined ? {} : { toolUseId: block.id }),
    },
    extra,
  );
  return { events: [event], state: remember(state, block.id, { name, quiet: false }) };
}

/** tool_result content is a string or a list of text/image blocks. */
export function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(isRecord)
    .map((b) => (typeof b.text === 'string' ? b.text : b.type === 'image' ? '[image]' : ''))
    .filter((t) => t.length > 0)
    .join('\n');
}

function createdTaskId(toolUseResult: unknown, text: string, state: ClaudeState): string {
  if (isRecord(toolUseResult) && isRecord(toolUseResult.task) && typeof toolUseResult.task.id === 'string') {
    return toolUseResult.task.id;
  }
  return /Task #(\w+)/.exec(text)?.[1] ?? String(state.tasks.length + 1);
}

const TOOL_ERROR_TAGS = /<\/?tool_use_error>/g;

/** One `tool_result` block of a user line. */
export function toolResult(block: ContentBlock, toolUseResult: unknown, state: ClaudeState, extra: Extra): Step {
  const id = block.tool_use_id;
  const pending = id === undefined ? undefined : state.tools[id];
  const tools = id === undefined ? state.tools : Object.fromEntries(Object.entries(state.tools).filter(([k]) => k !== id));
  let next: ClaudeState = { ...state, tools };
  const tool = pending?.name ?? 'tool';
  const text = resultText(block.content).replace(TOOL_ERROR_TAGS, '').trim();
  if (block.is_error === true) {
    const exitCode = /^Exit code (\d+)/.exec(text)?.[1];
    const event = draft(
      'error',
      {
        kind: 'tool.failed',
        text: `${tool} failed: ${truncate(text || 'no error text', 1000)}`,
        tool,
        ...(exitCode === undefined ? {} : { exitCode: Number(exitCode) }),
        ...(id === undefined ? {} : { toolUseId: id }),
      },
      extra,
    );
    return { events: [event], state: next };
  }
  if (pending?.taskSubject !== undefined) {
    const task: ClaudeTask = { id: createdTaskId(toolUseResult, text, state), text: pending.taskSubject, status: 'pending' };
    next = { ...next, tasks: [...next.tasks, task] };
    return { events: [tasksEvent(next.tasks, extra)], state: next };
  }
  if (pending?.quiet) return { events: [], state: next };
  const firstLine = text.split('\n').find((l) => l.trim().length > 0) ?? '(no output)';
  const event = draft(
    'progress',
    {
      kind: 'tool.result',
      text: `${tool} done: ${truncate(firstLine, 200)}`,
      tool,
      output: truncate(text, 2000),
      ...(id === undefined ? {} : { toolUseId: id }),
    },
    extra,
  );
  return { events: [event], state: next };
}
