import type { AgentEventDraft, TodoItem } from '../../protocol/index.js';
import { draft, todoEvent, truncate, unparseable } from '../common/events.js';
import type { CodexItem, ItemLine } from './schema.js';
import { announce, forget, wasAnnounced, type CodexState, type Step } from './state.js';
import { isReportingCall, TOOL_ITEM_TYPES, toolCallEvent, toolResultEvent } from './tools.js';

function todoStep(item: CodexItem, state: CodexState): Step {
  const todos: TodoItem[] = (item.items ?? []).map((t) => ({ text: t.text, status: t.completed ? 'completed' : 'pending' }));
  const key = JSON.stringify(todos);
  // Codex repeats the whole list on every update and again when the turn ends.
  if (key === state.todosKey) return { events: [], state };
  return { events: [todoEvent(todos)], state: { ...state, todosKey: key } };
}

function toolStep(phase: ItemLine['type'], item: CodexItem, state: CodexState): Step {
  const events: AgentEventDraft[] = [];
  let next = state;
  if (!wasAnnounced(state, item.id)) {
    events.push(toolCallEvent(item));
    next = announce(next, item.id);
  }
  if (phase !== 'item.completed') return { events, state: next };
  // A reporting tool already said everything in its own event; only its failure is news.
  const result = toolResultEvent(item);
  if (!isReportingCall(item) || result.type === 'error') events.push(result);
  return { events, state: forget(next, item.id) };
}

/** Items that only matter once complete: the answer, reasoning, plans and warnings. */
function completedStep(line: string, item: CodexItem, state: CodexState): Step {
  const text = item.text ?? '';
  switch (item.type) {
    case 'agent_message':
      if (!text.trim()) {
        return {
          events: [draft('status', { kind: 'agent.warning', text: 'Codex returned an empty answer', severity: 'warning' })],
          state,
        };
      }
      return { events: [draft('status', { kind: 'agent.message', text: truncate(text) })], state: { ...state, lastMessage: text } };
    case 'reasoning':
      return { events: text.trim() ? [draft('status', { kind: 'agent.thinking', text: truncate(text) })] : [], state };
    case 'plan':
      return { events: text.trim() ? [draft('status', { kind: 'agent.plan', text: truncate(text) })] : [], state };
    case 'error':
      // Codex uses error items for non-fatal warnings (unknown model, ignored config keys).
      return {
        events: [draft('status', { kind: 'agent.warning', text: item.message ?? 'Codex reported a warning', severity: 'warning' })],
        state,
      };
    default:
      return { events: [unparseable(line, `unknown Codex item type "${item.type}"`)], state };
  }
}

export function itemStep(line: string, parsed: ItemLine, state: CodexState): Step {
  const { item } = parsed;
  if (TOOL_ITEM_TYPES.has(item.type)) return toolStep(parsed.type, item, state);
  if (item.type === 'todo_list') return todoStep(item, state);
  // Messages, reasoning and warnings arrive whole in item.completed; earlier phases add nothing.
  if (parsed.type !== 'item.completed') return { events: [], state };
  return completedStep(line, item, state);
}
