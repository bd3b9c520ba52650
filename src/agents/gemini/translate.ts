import type { AgentEventDraft } from '../../protocol/index.js';
import { draft, isRecord, parseJsonLine, unparseable } from '../common/events.js';
import type { ExitInfo, TranslateResult } from '../types.js';
import { exitEvent } from './exit.js';
import { documentEvents, resultEvent } from './result.js';
import type { ErrorLine, MessageLine } from './schema.js';
import { GeminiLine, JsonDocument, KNOWN_TYPES } from './schema.js';
import type { GeminiState } from './state.js';
import { at, initialState, timestampOf } from './state.js';
import { toolResult, toolUse } from './tools.js';

export { initialState };
export type { GeminiState };

type Step = TranslateResult<GeminiState>;

/** Emit the buffered assistant chunks as one message. */
function flush(state: GeminiState): Step {
  if (!state.buffer) return { events: [], state };
  const { text, timestamp } = state.buffer;
  const rest: GeminiState = { ...state, buffer: undefined };
  if (text.trim().length === 0) return { events: [], state: rest };
  return {
    events: [draft('status', { kind: 'agent.message', text }, at(timestamp))],
    state: { ...rest, lastMessage: text },
  };
}

function message(line: MessageLine, state: GeminiState): Step {
  // User lines echo our own prompt back; they tell the orchestrator nothing new.
  if (line.role !== 'assistant' || line.content === undefined) return { events: [], state };
  if (line.delta === true) {
    const buffer = state.buffer
      ? { ...state.buffer, text: state.buffer.text + line.content }
      : { text: line.content, timestamp: timestampOf(line) };
    return { events: [], state: { ...state, buffer } };
  }
  const flushed = flush(state);
  const whole = flush({ ...flushed.state, buffer: { text: line.content, timestamp: timestampOf(line) } });
  return { events: [...flushed.events, ...whole.events], state: whole.state };
}

function agentError(line: ErrorLine, state: GeminiState): Step {
  const text = line.message ?? 'Gemini reported an error without a message.';
  const timestamp = at(timestampOf(line));
  if (line.severity === 'warning') {
    return { events: [draft('status', { kind: 'agent.warning', text, severity: 'warning' }, timestamp)], state };
  }
  // Not fatal by itself (the `empty` run exits 0); the result line that follows decides the outcome.
  return { events: [draft('error', { kind: 'agent.error', text, severity: 'error' }, timestamp)], state: { ...state, lastAgentError: text } };
}

function dispatch(line: GeminiLine, state: GeminiState): Step {
  if (line.type === 'message' && line.role === 'assistant') return message(line, state);
  const flushed = flush(state);
  const step = ((): Step => {
    const s = flushed.state;
    switch (line.type) {
      case 'init': {
        const id = line.session_id;
        const text = `Gemini session ${id ?? '(no id)'} started${line.model ? ` (model ${line.model})` : ''}`;
        const payload = { kind: 'run.started', text, ...(id ? { agentSessionId: id } : {}), ...(line.model ? { model: line.model } : {}) };
        return { events: [draft('status', payload, at(timestampOf(line)))], state: { ...s, sessionId: id, model: line.model } };
      }
      case 'message':
        return message(line, s);
      case 'tool_use':
        return toolUse(line, s);
      case 'tool_result':
        return toolResult(line, s);
      case 'error':
        return agentError(line, s);
      case 'result':
        return resultEvent(line, s);
    }
  })();
  return { events: [...flushed.events, ...step.events], state: step.state };
}

export function translate(line: string, state: GeminiState): Step {
  if (line.trim().length === 0) return { events: [], state };
  const parsed = parseJsonLine(line);
  if (!parsed.ok) return { events: [unparseable(line, 'not JSON')], state };
  const value = parsed.value;
  if (!isRecord(value)) return { events: [unparseable(line, 'not a JSON object')], state };

  if (typeof value.type === 'string') {
    // Newer CLIs may add event types; the six known ones carry every outcome we act on.
    if (!KNOWN_TYPES.includes(value.type)) return { events: [], state };
    const known = GeminiLine.safeParse(value);
    if (known.success) return dispatch(known.data, state);
    const issue = known.error.issues[0];
    return { events: [unparseable(line, `invalid ${value.type} line, ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`)], state };
  }

  if ('session_id' in value || 'response' in value) {
    const doc = JsonDocument.safeParse(value);
    if (doc.success) {
      const { events, failed } = documentEvents(doc.data);
      return { events, state: { ...state, failureExplained: state.failureExplained || failed } };
    }
  }
  return { events: [unparseable(line, 'not a Gemini stream line')], state };
}

export function finish(state: GeminiState, exit: ExitInfo): AgentEventDraft[] {
  const { events, state: last } = flush(state);
  const explained = last.failureExplained && exit.exitCode !== null;
  const failure = explained ? undefined : exitEvent(exit);
  return failure ? [...events, failure] : events;
}
